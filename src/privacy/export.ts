import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { sql, type Kysely } from 'kysely';
import { ZipFile } from 'yazl';
import type { HubDatabase } from '../store/schema.js';
import { describeQuery, type Footprint } from './footprint.js';

/**
 * "Send me my data": one zip per person, written as it is read. Messages are read a page at a time
 * and attachments and raw mails one at a time, each only when the zip writer reaches its entry, so
 * a customer with 10,000 messages never has them all in memory.
 *
 * Layout (README.txt inside says the same for the customer):
 *   README.txt                       what this is, in plain language
 *   person.json                      who the hub knows them as: contacts, devices, counts
 *   conversations/NNN-<id>.json      one per conversation: messages, what the hub decided and why
 *   attachments/<id>-<filename>      the files they sent or were sent
 *   mail/<message id>.eml            the raw emails as received
 */

const MESSAGE_PAGE = 500;

export interface ExportSummary {
  conversations: number;
  messages: number;
  attachments: number;
  rawMails: number;
}

export async function exportPerson(db: Kysely<HubDatabase>, footprint: Footprint, out: Writable, options: { generatedAt?: Date; handle?: string } = {}): Promise<ExportSummary> {
  const zip = new ZipFile();
  const done = pipeline(zip.outputStream as unknown as Readable, out);
  const generatedAt = options.generatedAt ?? new Date();
  const contactIds = footprint.contacts.map((c) => c.id);
  const attachments = contactIds.length
    ? await db.selectFrom('attachments').select(['id', 'filename', 'content_type', 'size', 'created_at']).where('contact_id', 'in', contactIds).orderBy('created_at').execute()
    : [];
  const attachmentPath = new Map(attachments.map((a) => [a.id, `attachments/${a.id}-${safeName(a.filename)}`]));
  const mails = footprint.conversationIds.length
    ? await db.selectFrom('mail_message_ids').select(['message_id', 'mailbox', 'conversation_id']).where('conversation_id', 'in', footprint.conversationIds).where('raw', 'is not', null).orderBy('created_at').execute()
    : [];
  const mailPath = new Map(mails.map((m, i) => [`${m.mailbox}\n${m.message_id}`, `mail/${String(i + 1).padStart(4, '0')}-${safeName(m.message_id)}.eml`]));

  zip.addBuffer(Buffer.from(readme(footprint, generatedAt, options.handle)), 'README.txt', { mtime: generatedAt });
  zip.addBuffer(Buffer.from(`${JSON.stringify(await personDocument(db, footprint, generatedAt), null, 2)}\n`), 'person.json', { mtime: generatedAt });
  let messages = 0;
  footprint.conversationIds.forEach((conversationId, index) => {
    zip.addReadStreamLazy(`conversations/${String(index + 1).padStart(3, '0')}-${conversationId}.json`, { mtime: generatedAt }, (callback) =>
      callback(null, Readable.from(conversationDocument(db, conversationId, attachmentPath, mailPath, () => messages++))),
    );
  });
  for (const attachment of attachments) {
    zip.addReadStreamLazy(attachmentPath.get(attachment.id)!, { mtime: attachment.created_at, compress: false }, (callback) =>
      callback(null, Readable.from(oneRow(async () => (await db.selectFrom('attachments').select('content').where('id', '=', attachment.id).executeTakeFirst())?.content))),
    );
  }
  for (const mail of mails) {
    zip.addReadStreamLazy(mailPath.get(`${mail.mailbox}\n${mail.message_id}`)!, { mtime: generatedAt }, (callback) =>
      callback(
        null,
        Readable.from(
          oneRow(async () => (await db.selectFrom('mail_message_ids').select('raw').where('mailbox', '=', mail.mailbox).where('message_id', '=', mail.message_id).executeTakeFirst())?.raw ?? undefined),
        ),
      ),
    );
  }
  zip.end();
  await done;
  return { conversations: footprint.conversationIds.length, messages, attachments: attachments.length, rawMails: mails.length };
}

async function* oneRow(load: () => Promise<Buffer | undefined>): AsyncGenerator<Buffer> {
  const bytes = await load();
  // Removed since the list was read (retention, an erasure): an empty file rather than a broken zip.
  yield bytes ?? Buffer.alloc(0);
}

async function personDocument(db: Kysely<HubDatabase>, footprint: Footprint, generatedAt: Date): Promise<unknown> {
  const contactIds = footprint.contacts.map((c) => c.id);
  const sessions = contactIds.length
    ? await db.selectFrom('chat_sessions').select(['app_id', 'user_kind', 'device', 'created_at', 'expires_at', 'revoked_at']).where('contact_id', 'in', contactIds).orderBy('created_at').execute()
    : [];
  const pushTokens = contactIds.length
    ? await db.selectFrom('chat_push_tokens').select(['app_id', 'platform', 'token', 'updated_at']).where('contact_id', 'in', contactIds).orderBy('updated_at').execute()
    : [];
  const contacts = contactIds.length ? await db.selectFrom('contacts').selectAll().where('id', 'in', contactIds).orderBy('created_at').execute() : [];
  const bannersSeen = contactIds.length
    ? await db
        .selectFrom('incident_banner_views as v')
        .innerJoin('incidents as i', 'i.id', 'v.incident_id')
        .select(['i.number', 'i.title', 'i.public_title', 'v.seen_at'])
        .where('v.contact_id', 'in', contactIds)
        .orderBy('v.seen_at')
        .execute()
    : [];
  return {
    generatedAt: generatedAt.toISOString(),
    identities: contacts.map((c) => ({
      id: c.id,
      kind: identityKindInWords(c.identity_kind),
      identifier: c.identity_key,
      email: c.email,
      name: c.name,
      verified: c.verified,
      firstSeen: c.created_at,
      lastUpdated: c.updated_at,
    })),
    devicesAndSessions: sessions.map((s) => ({ app: s.app_id, kind: s.user_kind, device: s.device, started: s.created_at, expires: s.expires_at, ended: s.revoked_at })),
    // Devices the app registered for push notifications of unread replies (PUT /v1/push-token).
    pushDevices: pushTokens.map((p) => ({ app: p.app_id, platform: p.platform, token: p.token, registered: p.updated_at })),
    // The chat window showed them a notice about a known problem (counted to see whether it helped).
    incidentNoticesSeen: bannersSeen.map((b) => ({ incident: b.number, title: b.public_title ?? b.title, seen: b.seen_at })),
    counts: footprint.counts,
  };
}

function identityKindInWords(kind: string): string {
  if (kind === 'chat') return 'in-app chat (signed in)';
  if (kind === 'chat-visitor') return 'in-app chat (visitor)';
  if (kind === 'email') return 'email';
  return kind;
}

/** One conversation's document, written a page of messages at a time. */
async function* conversationDocument(
  db: Kysely<HubDatabase>,
  conversationId: string,
  attachmentPath: ReadonlyMap<string, string>,
  mailPath: ReadonlyMap<string, string>,
  countMessage: () => void,
): AsyncGenerator<string> {
  const conversation = await db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
  if (!conversation) {
    yield `${JSON.stringify({ id: conversationId, removed: 'this conversation was removed while the export ran' })}\n`;
    return;
  }
  const decisions = await hubDecisions(db, conversationId);
  const mails = await db.selectFrom('mail_message_ids').select(['mailbox', 'message_id', 'hub_message_id', 'direction']).where('conversation_id', '=', conversationId).execute();
  const mailOf = new Map(mails.filter((m) => m.hub_message_id).map((m) => [m.hub_message_id!, { messageId: m.message_id, rawMail: mailPath.get(`${m.mailbox}\n${m.message_id}`) ?? null }]));
  const head = {
    id: conversation.id,
    channel: conversation.channel,
    subject: conversation.subject,
    status: conversation.status,
    started: conversation.created_at,
    lastMessage: conversation.last_message_at,
    firstAgentReply: conversation.first_agent_reply_at,
    ...decisions,
  };
  // The head's JSON without its closing brace, then "messages": [ … ] streamed, then the brace.
  const headJson = JSON.stringify(head, null, 2);
  yield `${headJson.slice(0, -2)},\n  "messages": [`;
  let after = -1;
  let first = true;
  for (;;) {
    const page = await db
      .selectFrom('messages')
      .select(['id', 'position', 'direction', 'author_kind', 'author_name', 'text', 'html', 'attachments', 'source', 'created_at', 'delivered_at', 'read_at'])
      .where('conversation_id', '=', conversationId)
      .where('position', '>', after)
      .orderBy('position')
      .limit(MESSAGE_PAGE)
      .execute();
    if (page.length === 0) break;
    let chunk = '';
    for (const m of page) {
      countMessage();
      const document = {
        id: m.id,
        at: m.created_at,
        direction: m.direction === 'inbound' ? 'from the customer' : 'to the customer',
        author: m.author_kind,
        authorName: m.author_name,
        via: m.source,
        text: m.text,
        ...(m.html ? { html: m.html } : {}),
        attachments: (m.attachments ?? []).map((a) => ({ filename: a.filename, contentType: a.contentType, size: a.size, file: attachmentPath.get(a.location.replace(/^attachment:/, '')) ?? null })),
        delivered: m.delivered_at,
        read: m.read_at,
        ...(mailOf.has(m.id) ? { email: mailOf.get(m.id) } : {}),
      };
      chunk += `${first ? '\n' : ',\n'}    ${JSON.stringify(document)}`;
      first = false;
    }
    yield chunk;
    after = page[page.length - 1]!.position;
    if (page.length < MESSAGE_PAGE) break;
  }
  yield `${first ? '' : '\n  '}]\n}\n`;
}

/** What the hub decided about a conversation, and why: triage, acknowledgement, incident, escalation, helpdesk. */
async function hubDecisions(db: Kysely<HubDatabase>, conversationId: string): Promise<Record<string, unknown>> {
  const [triage, overrides, acknowledgement, incident, escalation, helpdesks] = await Promise.all([
    db.selectFrom('triage_results').select(['level', 'score', 'confidence', 'evidence', 'classified_at']).where('conversation_id', '=', conversationId).executeTakeFirst(),
    db.selectFrom('triage_overrides').select(['from_level', 'to_level', 'reason', 'created_at']).where('conversation_id', '=', conversationId).orderBy('seq').execute(),
    db.selectFrom('acknowledgements').select(['decision', 'reason', 'level', 'basis', 'received_at', 'due_at', 'promise', 'text', 'first_reply_at', 'kept']).where('conversation_id', '=', conversationId).executeTakeFirst(),
    db
      .selectFrom('incident_conversations as ic')
      .innerJoin('incidents as i', 'i.id', 'ic.incident_id')
      .select(['i.number', 'i.title', 'i.status', 'i.opened_at', 'i.resolved_at', 'ic.added_at'])
      .where('ic.conversation_id', '=', conversationId)
      .executeTakeFirst(),
    db.selectFrom('escalations').select(['id', 'policy', 'level', 'title', 'status', 'opened_at', 'acknowledged_at', 'resolved_at']).where('conversation_id', '=', conversationId).executeTakeFirst(),
    db.selectFrom('sync_conversations').select(['integration_id', 'external_id']).where('conversation_id', '=', conversationId).where('external_id', 'is not', null).execute(),
  ]);
  const targets = escalation
    ? await sql<{ target: string; state: string; url: string | null; opened_at: Date | null }>`SELECT target, state, url, opened_at FROM escalation_targets WHERE escalation_id = ${escalation.id} ORDER BY step, target`.execute(db)
    : null;
  return {
    urgency: triage
      ? { level: triage.level, score: triage.score, confidence: triage.confidence, because: triage.evidence, decidedAt: triage.classified_at }
      : null,
    urgencyChangedByStaff: overrides.map((o) => ({ from: o.from_level, to: o.to_level, reason: o.reason, at: o.created_at })),
    acknowledgement: acknowledgement
      ? {
          sent: acknowledgement.decision === 'sent',
          whyNot: acknowledgement.decision === 'skipped' ? acknowledgement.reason : null,
          urgency: acknowledgement.level,
          received: acknowledgement.received_at,
          promisedReplyBy: acknowledgement.due_at,
          promise: acknowledgement.promise,
          promiseBasis: acknowledgement.basis,
          text: acknowledgement.text,
          firstReply: acknowledgement.first_reply_at,
          promiseKept: acknowledgement.kept,
        }
      : null,
    incident: incident ? { number: incident.number, title: incident.title, status: incident.status, opened: incident.opened_at, resolved: incident.resolved_at, joined: incident.added_at } : null,
    escalation: escalation
      ? {
          policy: escalation.policy,
          urgency: escalation.level,
          title: escalation.title,
          status: escalation.status,
          opened: escalation.opened_at,
          acknowledged: escalation.acknowledged_at,
          resolved: escalation.resolved_at,
          toldTo: targets!.rows.map((t) => ({ target: t.target, state: t.state, link: t.url, at: t.opened_at })),
        }
      : null,
    helpdesks: helpdesks.map((h) => ({ helpdesk: h.integration_id, id: h.external_id })),
  };
}

function readme(footprint: Footprint, generatedAt: Date, handle?: string): string {
  const c = footprint.counts;
  return `Your data held by our support system
=====================================

This archive holds everything our support system (Support Hub) keeps about ${handle ?? describeQuery({ email: footprint.emails[0] ?? '(no email address)' })},
as of ${generatedAt.toISOString()} (UTC).

What is inside
--------------
person.json
    Who the system knows you as: your email address(es), name, the ids the app signed you
    in with, the devices and sessions you chatted from, and any notice about a known problem
    the chat window showed you.

conversations/
    One file per conversation (${c.conversations} in all): every message you sent and every reply
    you received (${c.messages} messages), with times, and what the system decided about it:
    - urgency: how urgent it judged your message and the words that made it think so;
    - acknowledgement: the automatic reply you were sent and the reply time it promised;
    - incident: whether your message was grouped with others about the same outage;
    - escalation: whether it was passed to an engineer on call, and where;
    - helpdesks: the id your conversation had in the helpdesk our team works in.

attachments/
    The files you sent or were sent (${c.attachments}).

mail/
    The emails you sent us, exactly as they arrived (${c.rawMails}), readable with any mail program.

The helpdesk our support team uses (for example Help Scout or Zendesk) keeps its own copy of
these conversations; ask us if you want that copy too. Times are in UTC.
`;
}

/** A file name safe in any unzip tool: no directories, no control characters, not too long. */
function safeName(name: string): string {
  const cleaned = name.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, '_').replace(/^\.+/, '_').slice(0, 120);
  return cleaned || 'file';
}
