/**
 * Pipeline step 2: who the customer is. Like Zammad's `identify_sender` filter: From is the
 * author (RFC 5322 §3.6.2). Reply-To wins only when From is one of our own addresses (a contact
 * form or a relay that sends as us on the customer's behalf), or when the caller asks for it.
 * Sender is the fallback for a message without a usable From.
 */
import type { MailAddress, ParsedMail } from './parse.js';

export type SenderSource = 'from' | 'reply-to' | 'sender';

export interface IdentifiedSender extends MailAddress {
  source: SenderSource;
}

export interface IdentifySenderOptions {
  /** Our own mailbox addresses (lowercase compared). */
  ownAddresses?: readonly string[];
  /** Prefer Reply-To over From whenever it is present (some form tools always set it). */
  preferReplyTo?: boolean;
}

export function identifySender(
  mail: Pick<ParsedMail, 'from' | 'replyTo' | 'sender'>,
  options: IdentifySenderOptions = {},
): IdentifiedSender | null {
  const own = new Set((options.ownAddresses ?? []).map((address) => address.toLowerCase()));
  const replyTo = mail.replyTo.find((address) => !own.has(address.address));
  const fromIsOurs = mail.from !== null && own.has(mail.from.address);

  if (replyTo && (options.preferReplyTo || fromIsOurs || mail.from === null)) {
    // Keep the From display name when Reply-To names the same mailbox without one.
    const name = replyTo.name || (mail.from?.address === replyTo.address ? mail.from.name : '');
    return { address: replyTo.address, name, source: 'reply-to' };
  }
  if (mail.from) return { ...mail.from, source: 'from' };
  if (mail.sender) return { ...mail.sender, source: 'sender' };
  return null;
}
