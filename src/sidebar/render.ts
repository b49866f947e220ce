import { viewCompiler } from '../http/views.js';
import type { SidebarCard } from './card.js';
import { safeHref } from './safe-href.js';

/**
 * Cards rendered by an EJS partial per helpdesk (`views/sidebar/{name}.ejs`); see
 * src/http/views.ts for how escaping keeps data from becoming markup. Every template may link,
 * only through `href` (safeHref).
 */
export const compileView = viewCompiler('sidebar', { href: safeHref });

export type CardRenderer = (card: SidebarCard) => string;

/** A card renderer from `views/sidebar/{name}.ejs` (local `card`, plus the helpdesk's own helpers). */
export function cardTemplate(name: string, locals: Record<string, unknown> = {}): CardRenderer {
  const render = compileView(name);
  return (card) => render({ ...locals, card }).trim();
}
