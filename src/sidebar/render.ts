import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { SidebarCard } from './card.js';
import { safeHref } from './safe-href.js';

/**
 * Cards rendered by an EJS partial per helpdesk (`views/sidebar/{name}.ejs`). EJS escapes `<%= %>`
 * by default and the templates print every card value that way, so no string from a data source
 * becomes markup; `<%- %>` is used only to include the folder's own partials.
 */

const VIEWS = fileURLToPath(new URL('../../views/sidebar/', import.meta.url));

/** Every template may link, only through this. */
const helpers = { href: safeHref };

export type CardRenderer = (card: SidebarCard) => string;

/** Template sources, read once: `include('x')` means `views/sidebar/x.ejs`. */
const sources = new Map<string, { filename: string; template: string }>();

function viewSource(name: string): { filename: string; template: string } {
  const filename = `${VIEWS}${name.replace(/\.ejs$/, '')}.ejs`;
  let source = sources.get(filename);
  if (!source) {
    source = { filename, template: readFileSync(filename, 'utf8') };
    sources.set(filename, source);
  }
  return source;
}

/**
 * Compiles `views/sidebar/{name}.ejs` once. Includes come from `viewSource` through EJS's
 * `includer` and are compiled once (EJS's cache, keyed by file name). The top-level template is
 * compiled without `filename` on purpose: with one, EJS probes the disk (existsSync) on every
 * include of every render, which was a measurable share of a card's time.
 */
export function compileView(name: string): (locals: Record<string, unknown>) => string {
  const { template } = viewSource(name);
  // EJS 7 takes `{ filename, template }` from an includer (its cache needs the name); @types/ejs
  // (written for EJS 3) allows only one of the two.
  const includer = ((path: string) => viewSource(path)) as unknown as ejs.IncluderCallback;
  const render = ejs.compile(template, { cache: true, async: false, includer });
  return (locals) => render({ ...helpers, ...locals });
}

/** A card renderer from `views/sidebar/{name}.ejs` (local `card`, plus the helpdesk's own helpers). */
export function cardTemplate(name: string, locals: Record<string, unknown> = {}): CardRenderer {
  const render = compileView(name);
  return (card) => render({ ...locals, card }).trim();
}
