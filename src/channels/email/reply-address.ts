import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Threading rule 1, the most trusted: every mail we send carries a reply address
 * `reply+<conversation id><signature>@<our domain>`. Hex only, because mail systems may change
 * the case of local parts; the HMAC makes it unguessable, so nobody can post into a conversation
 * by guessing an address.
 */
const SIGNATURE_HEX = 16;

export function replyAddress(secret: string, conversationId: string, domain: string): string {
  const id = conversationId.replace(/-/g, '').toLowerCase();
  return `reply+${id}${sign(secret, id)}@${domain}`;
}

/** The conversation id a recipient address names, if it is one of ours and its signature holds. */
export function conversationOfReplyAddress(secret: string, address: string, domain: string): string | null {
  const match = /^reply\+([0-9a-f]{32})([0-9a-f]{16})@(.+)$/i.exec(address.trim());
  if (!match || match[3]!.toLowerCase() !== domain.toLowerCase()) return null;
  const id = match[1]!.toLowerCase();
  const given = Buffer.from(match[2]!.toLowerCase(), 'hex');
  if (!timingSafeEqual(given, Buffer.from(sign(secret, id), 'hex'))) return null;
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`;
}

function sign(secret: string, id: string): string {
  return createHmac('sha256', secret).update(`reply:${id}`).digest('hex').slice(0, SIGNATURE_HEX);
}
