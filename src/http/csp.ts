/**
 * The Content-Security-Policy of a page that runs no inline code at all: scripts, styles and
 * requests only to this origin, no forms, no base URL. `frameAncestors` is who may frame it:
 * nobody (the widget demo) or the helpdesk's origins (the Help Scout sidebar app).
 */
export function selfOnlyPageCsp(frameAncestors: readonly string[] | 'none'): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    `frame-ancestors ${frameAncestors === 'none' ? "'none'" : frameAncestors.join(' ')}`,
  ].join('; ');
}
