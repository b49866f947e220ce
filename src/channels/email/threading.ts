import type { Store } from '../../store/store.js';
import type { ParsedMail } from './parse.js';
import { conversationOfReplyAddress } from './reply-address.js';

export type MailThread = { conversationId: string } | { key: string };

/**
 * Which conversation an inbound mail belongs to, most trusted first:
 * 1. our signed reply address among its recipients;
 * 2. its In-Reply-To, then its References, looked up in every Message-ID we received or sent —
 *    only into a conversation of the same sender: a Message-ID is no secret (it travels in every
 *    reply and CC), so knowing one must not let a stranger write into someone's conversation
 *    (the signed reply address of rule 1 is how others join);
 * 3. otherwise a thread of its own, keyed by the root of its References (so two replies to the
 *    same unknown thread still meet), else its own Message-ID — qualified by the sender when the
 *    thread belongs to someone else, so it cannot meet theirs by key either.
 */
export async function findThread(
  deps: { store: Store; mailbox: string; domain: string; replySecret: string; threadBySubject?: boolean },
  mail: Pick<ParsedMail, 'messageId' | 'inReplyTo' | 'references' | 'to' | 'cc' | 'subject'>,
  envelopeRecipients: readonly string[],
  sender?: string,
): Promise<MailThread> {
  const recipients = [...envelopeRecipients, ...mail.to.map((a) => a.address), ...mail.cc.map((a) => a.address)];
  for (const recipient of recipients) {
    const conversationId = conversationOfReplyAddress(deps.replySecret, recipient, deps.domain);
    if (!conversationId) continue;
    const exists = await deps.store.db.selectFrom('conversations').select('id').where('id', '=', conversationId).executeTakeFirst();
    if (exists) return { conversationId };
  }
  const candidates = [...(mail.inReplyTo ? [mail.inReplyTo] : []), ...[...mail.references].reverse()];
  let othersThread = false;
  if (candidates.length > 0) {
    const known = await deps.store.db
      .selectFrom('mail_message_ids as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .innerJoin('contacts as k', 'k.id', 'c.contact_id')
      .select(['m.message_id', 'm.conversation_id', 'k.email'])
      .where('m.mailbox', '=', deps.mailbox)
      .where('m.message_id', 'in', candidates)
      .execute();
    // The closest ancestor wins: In-Reply-To, then the newest reference.
    for (const id of candidates) {
      const match = known.find((k) => k.message_id === id);
      if (!match) continue;
      if (!sender || match.email?.toLowerCase() === sender.toLowerCase()) return { conversationId: match.conversation_id };
      othersThread = true;
    }
  }
  // Rule 3 (opt-in): a mail that names no thread at all, from the same sender, with the same
  // subject once reply prefixes are gone, within 7 days. Off by default: merging unrelated
  // conversations is worse than splitting one.
  if (deps.threadBySubject && sender && !mail.inReplyTo && mail.references.length === 0) {
    const subject = normalizeSubject(mail.subject);
    if (subject.length >= 4) {
      const recent = await deps.store.db
        .selectFrom('conversations as c')
        .innerJoin('contacts as k', 'k.id', 'c.contact_id')
        .select(['c.id', 'c.subject'])
        .where('c.source', '=', `email:${deps.mailbox}`)
        .where('k.identity_kind', '=', 'email')
        .where('k.identity_key', '=', sender)
        .where('c.last_message_at', '>', new Date(Date.now() - 7 * 24 * 3600_000))
        .orderBy('c.last_message_at', 'desc')
        .limit(20)
        .execute();
      const match = recent.find((c) => normalizeSubject(c.subject ?? '') === subject);
      if (match) return { conversationId: match.id };
    }
  }
  const root = mail.references[0] ?? mail.inReplyTo ?? mail.messageId;
  return { key: othersThread && sender ? `${root} from ${sender.toLowerCase()}` : root };
}

/** "Re: Fwd: [Ticket] Invoice  wrong" → "[ticket] invoice wrong": reply and forward prefixes in several languages. */
export function normalizeSubject(subject: string): string {
  let s = subject.trim();
  for (;;) {
    const next = s.replace(/^(?:re|fw|fwd|aw|wg|sv|vs|tr|rv|antw|odp)(?:\[\d+\])?\s*:\s*/i, '');
    if (next === s) break;
    s = next;
  }
  return s.replace(/\s+/g, ' ').toLowerCase();
}

export async function recordMessageId(
  store: Store,
  entry: { mailbox: string; messageId: string; conversationId: string; direction: 'inbound' | 'outbound'; raw?: Buffer; hubMessageId?: string },
): Promise<void> {
  await store.db
    .insertInto('mail_message_ids')
    .values({
      mailbox: entry.mailbox,
      message_id: entry.messageId,
      conversation_id: entry.conversationId,
      direction: entry.direction,
      raw: entry.raw ?? null,
      hub_message_id: entry.hubMessageId ?? null,
    })
    .onConflict((oc) => oc.columns(['mailbox', 'message_id']).doNothing())
    .execute();
}
