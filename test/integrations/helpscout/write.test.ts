import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../../src/store/store.js';
import { isVendorError } from '../../../src/vendors/error.js';
import { MAX_ATTACHMENT_BYTES } from '../../../integrations/helpscout/mapper.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { adapterFor, createOp, customer, file, message, openTestStore, refOf } from './support.js';

/**
 * What the adapter sends Help Scout for each write, as the fake receives it, and what it reads
 * back: thread ids, thread kinds, who wrote what, conversation facts.
 */
let db: Awaited<ReturnType<typeof openTestStore>>;
let store: Store;
let fake: FakeHelpScout;
let adapter: ReturnType<typeof adapterFor>['adapter'];
beforeAll(async () => {
  db = await openTestStore();
  store = db.store;
  fake = await startFakeHelpScout();
  adapter = adapterFor(fake, store).adapter;
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});

const lastWrite = (path: RegExp) => [...fake.requests()].reverse().find((r) => r.method !== 'GET' && path.test(r.path))!;
const body = (path: RegExp) => lastWrite(path).body as Record<string, any>;

describe('create', () => {
  it('a chat conversation: imported (Help Scout sends the customer nothing), one chat thread per message, our id as a tag', async () => {
    const op = createOp({
      customer: customer('Casey@Example.com', 'Casey Q Customer'),
      messages: [message('Hi <there> & welcome', [], new Date('2024-05-01T10:00:00.250Z')), message('second\nline', [], new Date('2024-05-01T10:00:05Z'))],
      tags: ['hub-chat', 'Unverified-Sender'],
    });
    const outcome = await adapter.write(op);
    const sent = body(/^\/v2\/conversations$/);
    expect(sent).toMatchObject({
      subject: 'Export broken',
      customer: { email: 'Casey@Example.com', firstName: 'Casey', lastName: 'Q Customer' },
      mailboxId: Number(fake.env['HELPSCOUT_MAILBOX_ID']),
      type: 'chat',
      status: 'active',
      imported: true,
      autoReply: false,
    });
    expect(sent['tags']).toEqual(['hub-chat', 'unverified-sender', `hub-${op.conversationId}`]);
    expect(sent['threads']).toEqual([
      { type: 'chat', customer: { email: 'Casey@Example.com' }, text: 'Hi &lt;there&gt; &amp; welcome', createdAt: '2024-05-01T10:00:00Z' },
      { type: 'chat', customer: { email: 'Casey@Example.com' }, text: 'second<br>line', createdAt: '2024-05-01T10:00:05Z' },
    ]);
    const remote = fake.conversation(outcome.externalId!)!;
    expect(remote.hubConversationId).toBe(op.conversationId);
    expect(remote.type).toBe('chat');
    expect(outcome.threadIds).toEqual(remote.threads.map((t) => t.id));
    expect(remote.threads.map((t) => t.text)).toEqual(['Hi <there> & welcome', 'second\nline']);
    expect(outcome.metadata).toEqual({ customerId: expect.any(Number) });
    expect(fake.notifications()).toEqual([]);
  });

  it('an email conversation: customer threads; small files inline, too-large ones as a link line (or a marker without a link), never loaded', async () => {
    const small = file('screenshot.png', Buffer.from('png-bytes'));
    const linked = file('dump.zip', MAX_ATTACHMENT_BYTES + 1, 'https://hub.example/files/dump.zip');
    const unlinked = file('video.mov', MAX_ATTACHMENT_BYTES + 5);
    const op = createOp({ channel: 'email', subject: null, messages: [message('Logs attached.', [small, linked, unlinked])], tags: ['hub-email'] });
    const outcome = await adapter.write(op);
    const sent = body(/^\/v2\/conversations$/);
    expect(sent['type']).toBe('email');
    expect(sent['subject']).toBe('Logs attached.');
    expect(sent['threads'][0]['type']).toBe('customer');
    expect(sent['threads'][0]['attachments']).toEqual([{ fileName: 'screenshot.png', mimeType: 'application/octet-stream', data: '<12 base64 chars>' }]);
    const thread = fake.conversation(outcome.externalId!)!.threads[0]!;
    expect(thread.text).toBe('Logs attached.\n\ndump.zip (10.0 MB): https://hub.example/files/dump.zip\n[file too large: video.mov]');
    expect(thread.attachments).toEqual([{ filename: 'screenshot.png', size: 9 }]);
    expect([small.loads, linked.loads, unlinked.loads]).toEqual([1, 0, 0]);
  });

  it('an anonymous visitor gets a stable address no mail can reach', async () => {
    const op = createOp({ customer: customer(null, null) });
    const outcome = await adapter.write(op);
    expect(fake.conversation(outcome.externalId!)!.customerEmail).toBe(`visitor-${op.conversationId}@chat.invalid`);
  });

  it('a request Help Scout refuses (unknown mailbox) is `rejected`, not retried as unknown', async () => {
    const { adapter: misconfigured } = adapterFor(fake, store, { mailboxId: '999' });
    const error = await misconfigured.write(createOp()).catch((e: unknown) => e);
    expect(isVendorError(error) && error.kind).toBe('rejected');
    expect(isVendorError(error) && error.outcomeUnknown).toBe(false);
    const check = await misconfigured.checkConnection();
    expect(check.ok).toBe(false);
    expect(check.hint).toMatch(/HELPSCOUT_MAILBOX_ID=999/);
  });
});

describe('append, note, triage, reply', () => {
  it('append posts ONE imported thread combining the messages (chat → /chats, email → /customer) and returns its id', async () => {
    const chat = createOp();
    const chatRef = refOf(chat, (await adapter.write(chat)).externalId!);
    const appended = await adapter.write({ kind: 'append', ref: chatRef, channel: 'chat', customer: chat.customer, messages: [message('one'), message('two')] });
    expect(lastWrite(/\/chats$/).path).toBe(`/v2/conversations/${chatRef.externalId}/chats`);
    expect(body(/\/chats$/)).toEqual({ customer: { email: 'casey@example.com' }, text: 'one<br><br>two', imported: true });
    const remote = fake.conversation(chatRef.externalId)!;
    expect(appended.threadIds).toEqual([remote.threads.at(-1)!.id]);
    expect(remote.threads.at(-1)!.text).toBe('one\n\ntwo');

    const email = createOp({ channel: 'email' });
    const emailOutcome = await adapter.write(email);
    await adapter.write({ kind: 'append', ref: refOf(email, emailOutcome.externalId!, emailOutcome.metadata), channel: 'email', customer: email.customer, messages: [message('follow-up')] });
    expect(body(/\/customer$/)).toEqual({ customer: { id: emailOutcome.metadata!['customerId'] }, text: 'follow-up', imported: true });
  });

  it('a customer writing again reopens a closed conversation', async () => {
    const op = createOp();
    const ref = refOf(op, (await adapter.write(op)).externalId!);
    await fake.setStatus(ref.externalId, 'closed');
    await adapter.write({ kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message('still broken')] });
    expect(fake.conversation(ref.externalId)!.status).toBe('open');
  });

  it('note → a private note; triage → urgency tag replacing the earlier one (other tags kept) and the evidence as a note', async () => {
    const op = createOp({ tags: ['hub-chat', 'urgency-low'] });
    const ref = refOf(op, (await adapter.write(op)).externalId!);
    const note = await adapter.write({ kind: 'note', ref, key: 'ack-1', text: 'Sent to the customer by Support Hub:\n\nWe are on it.' });
    expect(body(/\/notes$/)).toEqual({ text: 'Sent to the customer by Support Hub:<br><br>We are on it.' });
    const triage = await adapter.write({ kind: 'triage', ref, key: 'triage:x:urgent', level: 'urgent', tags: ['urgency-urgent'], note: 'Support Hub triage: URGENT' });
    const remote = fake.conversation(ref.externalId)!;
    expect(remote.tags.sort()).toEqual(['hub-chat', `hub-${op.conversationId}`, 'urgency-urgent'].sort());
    const notes = remote.threads.filter((t) => t.kind === 'note');
    expect(notes.map((t) => [t.id, t.public, t.text])).toEqual([
      [note.threadIds[0], false, 'Sent to the customer by Support Hub:\n\nWe are on it.'],
      [triage.threadIds[0], false, 'Support Hub triage: URGENT'],
    ]);
  });

  it('reply → a public reply, not imported, so Help Scout mails it (conversations that started in Help Scout)', async () => {
    const started = await fake.customerWrites({ email: 'direct@example.com', name: 'Dee Direct', subject: 'Locked out', text: 'Help me' });
    const reply = await adapter.write({ kind: 'reply', ref: { conversationId: randomUUID(), externalId: started.conversationId, metadata: {} }, key: 'ack', text: 'We got your message.' });
    expect(body(/\/reply$/)).toEqual({ customer: { id: expect.any(Number) }, text: 'We got your message.', draft: false });
    const notified = fake.notifications().filter((n) => n.conversationId === started.conversationId);
    expect(notified.map((n) => n.kind)).toEqual(['auto-reply', 'agent-reply']);
    expect(notified[1]).toMatchObject({ to: 'direct@example.com', threadId: reply.threadIds[0], text: 'We got your message.' });
  });
});

describe('reading back', () => {
  it('threads(): oldest first, kinds and authors; byHub is never assumed from `source` (the fake’s default: API threads say "email"), our writes are known by their recorded ids', async () => {
    const op = createOp({ channel: 'email' });
    const ref = refOf(op, (await adapter.write(op)).externalId!);
    await adapter.write({ kind: 'note', ref, key: 'n', text: 'hub note' });
    await fake.agentReply(ref.externalId, 'Agent <b>reply</b>', { agentName: 'Ana Agent' });
    await fake.agentNote(ref.externalId, 'agent note');
    await fake.customerReplies(ref.externalId, 'customer by email');
    await fake.setStatus(ref.externalId, 'pending');
    const threads = await adapter.threads(ref.externalId);
    expect(threads.map((t) => [t.kind, t.public, t.byHub, t.text])).toEqual([
      ['customer', true, false, 'The export button does nothing'],
      ['note', false, false, 'hub note'],
      ['agent', true, false, 'Agent <b>reply</b>'],
      ['note', false, false, 'agent note'],
      ['customer', true, false, 'customer by email'],
      ['other', false, false, ''],
    ]);
    expect(threads[2]!.authorName).toBe('Ana Agent');
    expect(threads.map((t) => t.createdAt.getTime())).toEqual([...threads.map((t) => t.createdAt.getTime())].sort((a, b) => a - b));
  });

  it('conversation(): our id from the tag, status and customer; null for an unknown id', async () => {
    const op = createOp({ customer: customer('pat@example.com', 'Pat Doe') });
    const externalId = (await adapter.write(op)).externalId!;
    await fake.setStatus(externalId, 'pending');
    expect(await adapter.conversation(externalId)).toMatchObject({
      externalId,
      hubConversationId: op.conversationId,
      subject: 'Export broken',
      status: 'pending',
      customer: { email: 'pat@example.com', name: 'Pat Doe' },
    });
    const direct = await fake.customerWrites({ email: 'walkin@example.com', subject: 's', text: 't' });
    expect((await adapter.conversation(direct.conversationId))!.hubConversationId).toBeNull();
    expect(await adapter.conversation('99999999')).toBeNull();
  });

  it('changedSince(): the conversations modified since a time (for the reconciliation poll)', async () => {
    const before = new Date(Date.now() - 1000);
    const op = createOp();
    const externalId = (await adapter.write(op)).externalId!;
    const changed = await adapter.changedSince(before);
    expect(changed.map((c) => c.externalId)).toContain(externalId);
    const future = await adapter.changedSince(new Date(Date.now() + 60_000));
    expect(future).toEqual([]);
  });
});

describe('customer notifications (what Help Scout itself mails, see the fake’s README)', () => {
  it('by default (HELPSCOUT_EMAIL_REPLIES=helpdesk) an email conversation is a normal one: Help Scout mails the agent reply once, the hub is told to send none', async () => {
    expect(adapter.traits.replyDelivery).toEqual({ chat: 'hub', email: 'helpdesk' });
    const op = createOp({ channel: 'email', customer: customer('mailed@example.com') });
    const externalId = (await adapter.write(op)).externalId!;
    const sent = body(/^\/v2\/conversations$/);
    expect(sent).toMatchObject({ imported: false, autoReply: false });
    // createdAt is accepted only with `imported` (…/conversations/create): none is sent.
    expect(sent).not.toHaveProperty('createdAt');
    expect((sent['threads'] as Record<string, unknown>[]).every((t) => !('createdAt' in t))).toBe(true);
    expect(fake.notifications().filter((n) => n.to === 'mailed@example.com')).toEqual([]);
    const { threadId } = await fake.agentReply(externalId, 'Help Scout mails this');
    expect(fake.notifications().filter((n) => n.to === 'mailed@example.com').map((n) => [n.kind, n.threadId])).toEqual([['agent-reply', threadId]]);
  });

  it('a chat customer is known to Help Scout only by the hub’s address for their contact, which no mail reaches: Help Scout can never mail them a second copy, in either reading', async () => {
    const contactId = randomUUID();
    const chat = createOp({ channel: 'chat', customer: { ...customer('real@example.com', 'Real Person'), contactId } });
    const externalId = (await adapter.write(chat)).externalId!;
    expect(body(/^\/v2\/conversations$/)).toMatchObject({ imported: true, customer: { email: `chat-${contactId}@chat.invalid`, firstName: 'Real', lastName: 'Person' } });
    await fake.agentReply(externalId, 'the hub delivers this in the chat');
    // The fake's default reading mails agent replies on imported conversations too: to an address that goes nowhere.
    expect(fake.notifications().filter((n) => n.to === 'real@example.com')).toEqual([]);
    expect(fake.notifications().filter((n) => n.conversationId === externalId).map((n) => n.to)).toEqual([`chat-${contactId}@chat.invalid`]);
  });

  it('HELPSCOUT_EMAIL_REPLIES=hub: email conversations are imported and the hub mails replies — safe only where Help Scout stays silent on them (the friendly reading), which is why it is not the default', async () => {
    for (const silent of [true, false]) {
      const other = await startFakeHelpScout({ importedSilencesAgentReplies: silent });
      try {
        const { adapter: hubMails } = adapterFor(other, store, { emailReplies: 'hub' });
        expect(hubMails.traits.replyDelivery.email).toBe('hub');
        const externalId = (await hubMails.write(createOp({ channel: 'email', customer: customer('twice@example.com') }))).externalId!;
        await other.agentReply(externalId, 'the hub mails this');
        expect(other.notifications().map((n) => n.to)).toEqual(silent ? [] : ['twice@example.com']);
        const check = await hubMails.checkConnection();
        expect(check.findings?.find((f) => f.check === 'reply delivery')?.detail).toContain('HELPSCOUT_EMAIL_REPLIES=hub');
      } finally {
        await other.close();
      }
    }
  });
});
