/**
 * `Content-Disposition: attachment` for any file name (RFC 6266 §4.3, RFC 8187): an ASCII
 * `filename` for old clients (anything else replaced by `_`, quotes and backslashes too) and the
 * exact name as UTF-8 in `filename*`. A raw non-Latin-1 name in a header would make Node refuse to
 * send the response (ERR_INVALID_CHAR), a 500 for every download of that file.
 */
export function attachmentDisposition(filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_').slice(0, 200) || 'file';
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
