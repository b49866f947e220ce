/**
 * The message text of an inbound email: what the sender wrote this time, without the quoted
 * history or signature. The full original MIME stays in `ParsedMail.raw`; only the text that
 * staff and the classifier read is shortened.
 */
import { stripQuotedAndSignature } from '../../text/quoted.js';

export function stripEmailHistory(text: string): string {
  // NUL bytes survive some decoders (FreeScout's message-4 has six) and PostgreSQL text rejects them.
  const clean = text.replace(/\u0000/g, '').replace(/[ \t]+$/gm, '');
  return stripQuotedAndSignature(clean);
}
