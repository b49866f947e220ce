/** A 500-character URL: no break opportunity anywhere in it, as pasted logs and links arrive. */
export const LONG_URL = `https://example.com/${'a1b2c3d4e5'.repeat(48)}`;

/**
 * A 10,000-character customer message starting with `opening`, with the 500-character URL in it
 * and one long unbroken token (the layout tests of issue 22).
 */
export function longMessage(opening: string, length = 10_000): string {
  const words = 'the export stops at the second screen and shows an error we cannot read ';
  let text = `${opening} Logs: ${LONG_URL} `;
  while (text.length < length) text += words;
  return text.slice(0, length);
}
