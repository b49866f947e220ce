import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationRef, HelpdeskWrite } from '../../../src/capabilities/helpdesk.js';
import { VendorError } from '../../../src/vendors/error.js';
import { attachment, createOp, message, startHarness, testStore, type Harness } from './support.js';

describe('Zendesk adapter against the fake Support API', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  let h: Harness;

  beforeAll(async () => {
    db = await testStore();
    h = await startHarness(db.store);
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });
  beforeEach(() => {
    h.fake.setFaults({ searchLagMs: 0, lostResponseRate: 0, errorRate: 0 });
    h.calls.length = 0;
  });

  async function created(texts = ['Hello']): Promise<{ ref: ConversationRef; commentId: string }> {
    const conversationId = randomUUID();
    const outcome = await h.zendesk.write(createOp(conversationId, texts));
    return { ref: { conversationId, externalId: outcome.externalId!, metadata: outcome.metadata ?? {} }, commentId: outcome.threadIds[0]! };
  }

  it('creates our conversation as a hub_delivered ticket whose messages are one public comment by the requester', async () => {
    const conversationId = randomUUID();
    const outcome = await h.zendesk.write(createOp(conversationId, ['I cannot log in.', 'Tried twice.  ']));
    const ticket = h.fake.ticket(outcome.externalId!)!;
    expect(ticket.external_id).toBe(conversationId);
    expect(ticket.tags).toEqual(expect.arrayContaining(['hub_delivered', 'hub_chat']));
    expect(ticket.subject).toBe('Cannot log in');
    expect(ticket.comments).toHaveLength(1);
    const [comment] = ticket.comments;
    expect(comment!.body).toBe('I cannot log in.\n\nTried twice.');
    expect(comment!.public).toBe(true);
    expect(h.fake.user(comment!.author_id)!.email).toBe('dana@customer.example');
    expect(outcome.threadIds).toEqual([String(comment!.id)]);
    expect(outcome.metadata).toEqual({ requesterId: ticket.requester_id });
  });

  it('a create whose answer was lost is resent with its Idempotency-Key and Zendesk answers with the same ticket', async () => {
    const conversationId = randomUUID();
    h.fake.loseNextResponses(1);
    const outcome = await h.zendesk.write(createOp(conversationId, ['lost once']));
    const ours = h.fake.conversations().filter((c) => c.hubConversationId === conversationId);
    expect(ours).toHaveLength(1);
    expect(outcome.externalId).toBe(ours[0]!.id);
    const posts = h.fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v2/tickets').slice(-2);
    expect(posts.map((r) => r.status)).toEqual([0, 201]);
  });

  it('findWrite finds a lost create before search shows it, by resending the same key', async () => {
    h.fake.setFaults({ searchLagMs: 60_000 });
    const op = createOp(randomUUID(), ['lost every time']);
    h.fake.loseNextResponses(4);
    const error = await h.zendesk.write(op).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VendorError);
    expect((error as VendorError).outcomeUnknown).toBe(true);
    const found = await h.zendesk.findWrite(op, new Set());
    const ours = h.fake.conversations().filter((c) => c.hubConversationId === op.conversationId);
    expect(ours).toHaveLength(1);
    expect(found).toMatchObject({ externalId: ours[0]!.id, threadIds: [ours[0]!.threads[0]!.id] });
  });

  it('a lost create with attachments (new upload tokens on resend) is found by external_id once searchable, never created twice', async () => {
    h.fake.setFaults({ searchLagMs: 60_000 });
    const op = createOp(randomUUID(), [], { messages: [message('see file', [attachment('log.txt', Buffer.from('error 42'))])] });
    // Every answer to the first write's creates is lost (VendorHttp sends an idempotent create 4 times).
    h.fake.loseNextResponses(4, { method: 'POST', path: '/api/v2/tickets' });
    await expect(h.zendesk.write(op)).rejects.toMatchObject({ outcomeUnknown: true });
    expect(await h.zendesk.findWrite(op, new Set())).toBeNull();
    h.fake.setFaults({ searchLagMs: 0 }); // the search index catches up
    const found = await h.zendesk.findWrite(op, new Set());
    const ours = h.fake.conversations().filter((c) => c.hubConversationId === op.conversationId);
    expect(ours).toHaveLength(1);
    expect(found?.externalId).toBe(ours[0]!.id);
    expect(ours[0]!.threads[0]!.attachments).toEqual([{ filename: 'log.txt', size: 8 }]);
  });

  it('append, note and triage are one Update Ticket each, and return the comment id from the audit', async () => {
    const { ref } = await created();
    h.calls.length = 0;
    const append = await h.zendesk.write({ kind: 'append', ref, channel: 'chat', customer: createOp('x', []).customer, messages: [message('one'), message('two')] });
    const note = await h.zendesk.write({ kind: 'note', ref, key: 'n1', text: 'Sent to the customer by Support Hub:\n\nThanks!' });
    await h.zendesk.write({ kind: 'triage', ref, key: 't1', level: 'low', tags: ['urgency-low'], note: 'Support Hub triage: LOW' });
    const triage = await h.zendesk.write({ kind: 'triage', ref, key: 't2', level: 'high', tags: ['urgency-high'], note: 'Support Hub triage: HIGH' });
    expect(h.calls.filter((c) => c.method === 'PUT')).toHaveLength(4);
    const ticket = h.fake.ticket(ref.externalId)!;
    const byId = (id: string) => ticket.comments.find((c) => String(c.id) === id)!;
    expect(byId(append.threadIds[0]!)).toMatchObject({ body: 'one\n\ntwo', public: true, author_id: ticket.requester_id });
    expect(byId(note.threadIds[0]!)).toMatchObject({ public: false, author_id: h.fake.apiUserId });
    expect(byId(triage.threadIds[0]!)).toMatchObject({ body: 'Support Hub triage: HIGH', public: false });
    expect(ticket.priority).toBe('high');
    expect(ticket.tags).toContain('urgency_high');
    expect(ticket.tags).not.toContain('urgency_low');
    expect(ticket.tags).toContain('hub_delivered');
  });

  it('findWrite finds a lost append, and does not mistake an earlier identical comment for it', async () => {
    const { ref, commentId } = await created();
    const op: HelpdeskWrite = { kind: 'append', ref, channel: 'chat', customer: createOp('x', []).customer, messages: [message('same words')] };
    const first = await h.zendesk.write(op);
    h.fake.loseNextResponses(1);
    await expect(h.zendesk.write(op)).rejects.toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
    const known = new Set([commentId, first.threadIds[0]!]);
    const found = await h.zendesk.findWrite(op, known);
    expect(found).not.toBeNull();
    expect(found!.threadIds[0]).not.toBe(first.threadIds[0]);
    expect(h.fake.ticket(ref.externalId)!.comments.filter((c) => c.body === 'same words')).toHaveLength(2);

    // A write the vendor refused outright (5xx, nothing done) is not found.
    h.fake.failNextRequests(500);
    await expect(h.zendesk.write(op)).rejects.toMatchObject({ outcomeUnknown: true });
    expect(await h.zendesk.findWrite(op, new Set([...known, found!.threadIds[0]!]))).toBeNull();
  });

  it('findWrite finds a lost note and a lost reply by their text and author', async () => {
    const { ref, commentId } = await created();
    const note: HelpdeskWrite = { kind: 'note', ref, key: 'k', text: 'device: iPhone\r\n\r\n\r\nos: 17  ' };
    h.fake.loseNextResponses(1);
    await expect(h.zendesk.write(note)).rejects.toMatchObject({ outcomeUnknown: true });
    const foundNote = await h.zendesk.findWrite(note, new Set([commentId]));
    expect(h.fake.ticket(ref.externalId)!.comments.find((c) => String(c.id) === foundNote?.threadIds[0])?.public).toBe(false);
    const reply: HelpdeskWrite = { kind: 'reply', ref, key: 'r', text: 'We are on it.' };
    expect(await h.zendesk.findWrite(reply, new Set())).toBeNull();
    h.fake.loseNextResponses(1);
    await expect(h.zendesk.write(reply)).rejects.toMatchObject({ outcomeUnknown: true });
    expect(await h.zendesk.findWrite(reply, new Set())).not.toBeNull();
  });

  it('threads(): oldest first; ours are byHub, agent replies and notes written in Zendesk are not', async () => {
    const { ref } = await created(['Help!']);
    await h.zendesk.write({ kind: 'append', ref, channel: 'chat', customer: createOp('x', []).customer, messages: [message('More detail')] });
    await h.fake.agentReply(ref.externalId, 'Agent here', { agentName: 'Ana Agent' });
    await h.fake.agentNote(ref.externalId, 'internal only');
    await h.zendesk.write({ kind: 'reply', ref, key: 'r1', text: 'Hub acknowledgement' });
    await h.fake.customerReplies(ref.externalId, 'Thanks by email');
    const threads = await h.zendesk.threads(ref.externalId);
    expect(threads.map((t) => [t.text, t.kind, t.public, t.byHub])).toEqual([
      ['Help!', 'customer', true, true],
      ['More detail', 'customer', true, true],
      ['Agent here', 'agent', true, false],
      ['internal only', 'note', false, false],
      ['Hub acknowledgement', 'agent', true, true],
      ['Thanks by email', 'customer', true, false],
    ]);
    expect(threads[2]!.authorName).toBe('Ana Agent');
    expect(threads.map((t) => t.createdAt.getTime())).toEqual([...threads.map((t) => t.createdAt.getTime())].sort((a, b) => a - b));
  });

  it('conversation(): our id from external_id, status mapped, null for a ticket that is not there', async () => {
    const { ref } = await created();
    expect(await h.zendesk.conversation(ref.externalId)).toMatchObject({
      externalId: ref.externalId,
      hubConversationId: ref.conversationId,
      status: 'open',
      customer: { email: 'dana@customer.example', name: 'Dana Customer' },
    });
    await h.fake.setStatus(ref.externalId, 'pending');
    expect((await h.zendesk.conversation(ref.externalId))!.status).toBe('pending');
    await h.fake.setStatus(ref.externalId, 'closed');
    expect((await h.zendesk.conversation(ref.externalId))!.status).toBe('closed');
    const direct = await h.fake.customerWrites({ email: 'walkin@example.com', subject: 'Direct', text: 'Straight to Zendesk' });
    expect((await h.zendesk.conversation(direct.conversationId))!.hubConversationId).toBeNull();
    expect(await h.zendesk.conversation('999999')).toBeNull();
  });

  it('a customer follow-up reopens a solved ticket (requester-authored comment)', async () => {
    const { ref } = await created();
    await h.fake.setStatus(ref.externalId, 'closed');
    await h.zendesk.write({ kind: 'append', ref, channel: 'chat', customer: createOp('x', []).customer, messages: [message('still broken')] });
    expect(h.fake.ticket(ref.externalId)!.status).toBe('open');
  });

  it('changedSince(): tickets changed since a time, once the export index has caught up', async () => {
    const since = new Date(Date.now() - 2000);
    const { ref } = await created();
    expect((await h.zendesk.changedSince(since)).map((c) => c.externalId)).toContain(ref.externalId);
    h.fake.setFaults({ searchLagMs: 60_000 });
    const { ref: hidden } = await created();
    expect((await h.zendesk.changedSince(since)).map((c) => c.externalId)).not.toContain(hidden.externalId);
  });

  it('attachments within the limit are uploaded; larger ones become a link line in the comment', async () => {
    const small = h.adapter({}, { maxAttachmentBytes: 16 });
    const conversationId = randomUUID();
    const messages = [message('two files', [attachment('small.txt', Buffer.from('tiny')), attachment('big.bin', Buffer.alloc(64), 'https://hub.example/files/abc')])];
    const outcome = await small.write(createOp(conversationId, [], { messages }));
    const comment = h.fake.ticket(outcome.externalId!)!.comments[0]!;
    expect(comment.attachments.map((a) => a.file_name)).toEqual(['small.txt']);
    expect(comment.body).toBe('two files\n\nAttachment too large for Zendesk: big.bin (1 KB) https://hub.example/files/abc');
  });

  it('authenticates with an OAuth token as well as an API token', async () => {
    const oauth = h.adapter({ ZENDESK_OAUTH_TOKEN: h.fake.oauthToken, ZENDESK_EMAIL: '', ZENDESK_API_TOKEN: '' });
    const outcome = await oauth.write(createOp(randomUUID(), ['via oauth']));
    expect(h.fake.ticket(outcome.externalId!)).not.toBeNull();
    expect((await oauth.checkConnection()).ok).toBe(true);
    const wrong = h.adapter({ ZENDESK_OAUTH_TOKEN: 'not-the-token', ZENDESK_EMAIL: '', ZENDESK_API_TOKEN: '' });
    await expect(wrong.write(createOp(randomUUID(), ['nope']))).rejects.toMatchObject({ kind: 'auth', status: 401 });
    expect(await wrong.checkConnection()).toMatchObject({ ok: false, hint: expect.stringContaining('ZENDESK_API_TOKEN') });
  });

  it('revoked credentials fail as VendorError auth until restored', async () => {
    const { ref } = await created();
    h.fake.revokeCredentials();
    try {
      await expect(h.zendesk.write({ kind: 'note', ref, key: 'k', text: 'while revoked' })).rejects.toMatchObject({ kind: 'auth', status: 401 });
      await expect(h.zendesk.threads(ref.externalId)).rejects.toMatchObject({ kind: 'auth' });
      expect((await h.zendesk.checkConnection()).ok).toBe(false);
    } finally {
      h.fake.restoreCredentials();
    }
    await h.zendesk.write({ kind: 'note', ref, key: 'k', text: 'after restore' });
    expect(h.fake.ticket(ref.externalId)!.comments.map((c) => c.body)).toEqual(['Hello', 'after restore']);
  });

  it('a write to a closed ticket is rejected (Zendesk: closed prevents ticket update)', async () => {
    const { ref } = await created();
    const ticket = h.fake.ticket(ref.externalId)!;
    ticket.status = 'closed';
    await expect(h.zendesk.write({ kind: 'note', ref, key: 'k', text: 'too late' })).rejects.toMatchObject({ kind: 'rejected', status: 422 });
  });
});
