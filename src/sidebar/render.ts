import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { SidebarCard, Tone } from './card.js';
import { safeHref } from './html.js';

/**
 * Cards rendered by an EJS partial per helpdesk (`views/sidebar/{name}.ejs`). EJS escapes `<%= %>`
 * by default and the templates print every card value that way, so no string from a data source
 * becomes markup; `<%- %>` is used only to include the folder's own partials.
 */

const VIEWS = fileURLToPath(new URL('../../views/sidebar/', import.meta.url));

// Help Scout's style guide: `span.badge` is grey; `.green`, `.blue`, `.orange`, `.red` colour it.
const BADGE_CLASS: Record<Tone, string> = { neutral: 'badge', success: 'badge green', info: 'badge blue', warning: 'badge orange', danger: 'badge red' };

const helpers = {
  badgeClass: (tone: Tone) => BADGE_CLASS[tone] ?? 'badge',
  href: safeHref,
};

export type CardRenderer = (card: SidebarCard) => string;

/** Compiles `views/sidebar/{name}.ejs` once (its includes are cached by EJS). */
export function compileView(name: string): (locals: Record<string, unknown>) => string {
  const filename = `${VIEWS}${name}.ejs`;
  const render = ejs.compile(readFileSync(filename, 'utf8'), { filename, cache: true, async: false });
  return (locals) => render({ ...helpers, ...locals });
}

/** A card renderer from `views/sidebar/{name}.ejs` (local `card`). */
export function cardTemplate(name: string): CardRenderer {
  const render = compileView(name);
  return (card) => render({ card }).trim();
}
