import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { sql } from 'kysely';
import type { InboundMessage, IngestResult } from '../../conversations/inbound.js';
import type { Store } from '../../store/store.js';
import type { AttachmentRef } from '../../store/schema.js';
import { classifyAutomatedMail } from './loop-guard.js';
import { parseMail, type MailAttachment, type ParsedMail } from './parse.js';
import { stripEmailHistory } from './quoted.js';
import { identifySender } from './sender.js';
import { findThread, recordMessageId } from './threading.js';
import { authenticateSender, type SmtpContext } from './authenticity.js';
import type { DNSResolver } from 'mailauth';

export interface ReceiveDeps {
  store: Store;
  log: Logger;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  mailbox: string;
  domain: string;
  replySecret: string;
  maxMessageBytes: number;
  /** Threading rule 3: same sender, same subject, within 7 days (opt-in). */
  threadBySubject?: boolean;
  /** Check SPF/DKIM/DMARC (mailauth); the resolver is injectable for offline tests. */
  checkSenders?: boolean;
  resolver?: DNSResolver;
}

export type ReceiveOutcome =
  | { kind: 'stored'; result: IngestResult; autoReply: boolean }
  | { kind: 'bounce'; reasons: string[] }
  | { kind: 'rejected'; reason: string };

/**
 * One inbound mail through the pipeline: parse → loop and bounce guard → identify sender →
 * thread → strip quoted history → `ingest()`. The full MIME is kept beside the message. A bounce
 * is never turned into a conversation. Throws only on a temporary failure (the database), so the
 * sending server keeps the mail and retries: nothing accepted is lost.
 */
export async function receiveMail(
  deps: ReceiveDeps,
  raw: Buffer,
  envelopeRecipients: readonly string[],
  smtp: SmtpContext = {},
): Promise<ReceiveOutcome> {
  let mail;
  try {
    mail = await parseMail(raw, { maxMessageBytes: deps.maxMessageBytes });
  } catch (error) {
    return { kind: 'rejected', reason: (error as Error).message };
  }
  const verdict = classifyAutomatedMail(mail, { ownDomains: [deps.domain], ownAddresses: [deps.mailbox] });
  if (verdict.bounce) {
    const bounced = await recordBounce(deps, mail, raw, verdict.reasons);
    deps.log.info({ messageId: mail.messageId, reasons: verdict.reasons, bounced }, 'bounce received; recorded, not a conversation');
    return { kind: 'bounce', reasons: verdict.reasons };
  }
  const sender = identifySender(mail, { ownAddresses: [deps.mailbox] });
  if (!sender) return { kind: 'rejected', reason: 'the mail names no sender' };
  const thread = await findThread(deps, mail, envelopeRecipients, sender.address);
  // Only a DMARC pass proves the From address; anyone can claim a customer's address otherwise.
  const auth = deps.checkSenders ? await authenticateSender(raw, smtp, { mta: deps.domain, ...(deps.resolver ? { resolver: deps.resolver } : {}) }) : null;
  const stripped = stripEmailHistory(mail.text);
  const result = await deps.ingest({
    channel: 'email',
    source: `email:${deps.mailbox}`,
    // Dedupe key (mailbox, Message-ID): the same mail delivered twice is stored once.
    sourceMessageId: mail.messageId,
    thread,
    // Unverified unless DMARC passed: staff see it, and account data stays hidden for it.
    contact: { identityKind: 'email', identityKey: sender.address, email: sender.address, name: sender.name || null, verified: auth?.verified ?? false },
    subject: mail.subject || null,
    text: stripped || mail.text.trim() || '(no text)',
    html: mail.html,
    metadata: {
      messageId: mail.messageId,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      autoReply: verdict.autoReply,
      ...(verdict.autoReply ? { autoReplyReasons: verdict.reasons } : {}),
      ...(auth ? { senderAuthentication: { spf: auth.spf, dkim: auth.dkim, dmarc: auth.dmarc } } : {}),
    },
  });
  await recordMessageId(deps.store, { mailbox: deps.mailbox, messageId: mail.messageId, conversationId: result.conversation.id, direction: 'inbound', raw });
  if (result.created) await keepAttachments(deps.store, result, mail.attachments);
  return { kind: 'stored', result, autoReply: verdict.autoReply };
}

/**
 * Attachments become rows of their own (what staff and helpdesk sync read), referenced from the
 * message. Written after the message, so a crash in between leaves them only in the kept MIME,
 * from which they can be recovered; one over the size limit is listed without content.
 */
async function keepAttachments(store: Store, result: IngestResult, attachments: readonly MailAttachment[]): Promise<void> {
  const kept = attachments.filter((a) => a.content && !a.overLimit);
  if (kept.length === 0) return;
  const rows = kept.map((a) => ({
    id: randomUUID(),
    contact_id: result.contact.id,
    filename: a.filename || 'attachment',
    content_type: a.contentType || 'application/octet-stream',
    size: a.content!.length,
    sha256: createHash('sha256').update(a.content!).digest('hex'),
    content: a.content!,
  }));
  const refs: AttachmentRef[] = rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.content_type, size: r.size, location: `attachment:${r.id}` }));
  await store.transaction(async (tx) => {
    await tx.insertInto('attachments').values(rows).execute();
    await tx.updateTable('messages').set({ attachments: JSON.stringify(refs) }).where('id', '=', result.message.id).execute();
  });
}

/**
 * A bounce of our own mail is recorded on the message it bounced (staff see the customer did
 * not get it), found by the Message-IDs it names: its threading headers, or the original
 * headers a delivery-status report quotes.
 */
async function recordBounce(deps: ReceiveDeps, mail: ParsedMail, raw: Buffer, reasons: string[]): Promise<string[]> {
  const ours = new RegExp(`<[^<>\\s]+@${deps.domain.replace(/[.]/g, '\\.')}>`, 'gi');
  const candidates = [...new Set([mail.inReplyTo, ...mail.references, ...(raw.toString('latin1').match(ours) ?? [])].filter((id): id is string => Boolean(id)))];
  if (candidates.length === 0) return [];
  const sent = await deps.store.db
    .selectFrom('mail_message_ids')
    .select('hub_message_id')
    .where('mailbox', '=', deps.mailbox)
    .where('direction', '=', 'outbound')
    .where('message_id', 'in', candidates.slice(0, 50))
    .where('hub_message_id', 'is not', null)
    .execute();
  const ids = sent.map((s) => s.hub_message_id!);
  if (ids.length > 0) {
    const bounce = JSON.stringify({ bounce: { at: new Date().toISOString(), reasons, report: mail.messageId } });
    await deps.store.db
      .updateTable('messages')
      .set({ metadata: sql`metadata || ${bounce}::jsonb` })
      .where('id', 'in', ids)
      .execute();
  }
  return ids;
}
