import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';

/**
 * Server-rendered pages and cards from `views/{folder}/*.ejs`. EJS escapes `<%= %>` by default and
 * the templates print every value that way, so no string from a customer or a data source becomes
 * markup; `<%- %>` is kept for the folder's own partials and for HTML this code built by escaping.
 */
export type View = (locals: Record<string, unknown>) => string;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/** Text for HTML built outside a template (text and attribute values alike). */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const VIEWS_ROOT = fileURLToPath(new URL('../../views/', import.meta.url));

/** Template sources, read once. */
const sources = new Map<string, { filename: string; template: string }>();

function viewSource(folder: string, name: string): { filename: string; template: string } {
  const filename = `${VIEWS_ROOT}${folder}/${name.replace(/\.ejs$/, '')}.ejs`;
  let source = sources.get(filename);
  if (!source) {
    source = { filename, template: readFileSync(filename, 'utf8') };
    sources.set(filename, source);
  }
  return source;
}

/**
 * A compiler for `views/{folder}/{name}.ejs`, where `include('x')` means `views/{folder}/x.ejs`.
 * Includes come from `viewSource` through EJS's `includer` and are compiled once (EJS's cache,
 * keyed by file name). The top-level template is compiled without `filename` on purpose: with one,
 * EJS probes the disk (existsSync) on every include of every render, which was a measurable share
 * of a sidebar card's time.
 */
export function viewCompiler(folder: string, helpers: Record<string, unknown> = {}): (name: string) => View {
  return (name) => {
    const { template } = viewSource(folder, name);
    // EJS 7 takes `{ filename, template }` from an includer (its cache needs the name); @types/ejs
    // (written for EJS 3) allows only one of the two.
    const includer = ((path: string) => viewSource(folder, path)) as unknown as ejs.IncluderCallback;
    const render = ejs.compile(template, { cache: true, async: false, includer });
    return (locals) => render({ ...helpers, ...locals });
  };
}
