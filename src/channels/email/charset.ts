/**
 * Repairs UTF-8 text that a sender labelled ISO-8859-1 / windows-1252: decoded as labelled it
 * reads "cafÃ©" or "donâ€™t". Such text is re-encoded to the bytes it came from and decoded as
 * UTF-8; if those bytes are not valid UTF-8 the label was right and the text is kept.
 */

// windows-1252 0x80–0x9F, the only bytes where it differs from ISO-8859-1 (WHATWG Encoding).
const CP1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';
const CP1252_BYTE = new Map<string, number>([...CP1252_HIGH].map((ch, i) => [ch, 0x80 + i]));

// A UTF-8 lead byte (C2–F4) read as Latin-1 followed by a continuation byte read the same way.
const MOJIBAKE = /[\u00C2-\u00F4][\u0080-\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function repairMislabelledUtf8(text: string): string {
  if (!MOJIBAKE.test(text)) return text;
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const byte = code <= 0xff ? code : CP1252_BYTE.get(text[i]!);
    if (byte === undefined) return text; // a character no single-byte label produces
    bytes[i] = byte;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return text;
  }
}
