import { HubError } from '../../errors.js';

/**
 * Attachments are accepted by what their bytes are, not what the client says: the declared type
 * must be allowed AND match the content's signature, so a script cannot ride in as "image/png".
 */
const SIGNATURES: Record<string, (b: Buffer) => boolean> = {
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff,
  'image/gif': (b) => b.subarray(0, 6).toString('latin1') === 'GIF87a' || b.subarray(0, 6).toString('latin1') === 'GIF89a',
  'image/webp': (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  'application/pdf': (b) => b.subarray(0, 5).toString('latin1') === '%PDF-',
  'text/plain': (b) => !b.includes(0) && isUtf8(b),
};

export const ALLOWED_ATTACHMENT_TYPES = Object.keys(SIGNATURES);

export function sniffContentType(declared: string, content: Buffer): string {
  const check = SIGNATURES[declared];
  if (!check) {
    throw new HubError(415, 'unsupported_media_type', `attachments may be ${ALLOWED_ATTACHMENT_TYPES.join(', ')}; got "${declared || 'no Content-Type'}"`);
  }
  if (!check(content)) throw new HubError(415, 'unsupported_media_type', `the content is not a valid ${declared} file`);
  return declared;
}

function isUtf8(content: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}
