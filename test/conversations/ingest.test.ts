import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { HubEvent } from '../../src/conversations/events.js';
import type { IngestResult } from '../../src/conversations/inbound.js';
import { HubError } from '../../src/errors.js';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

// Each stored inbound message enqueues one probe job here, so "its jobs" are countable rows.
const followUps = [(result: IngestResult) => [{ name: 'ops.probe' as const, data: { probeId: `follow-up:${result.message.id}` } }]];

async function jobsFor(t: TestHub, messageId: string): Promise<number> {
  const rows = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'ops.probe' AND data->>'probeId' = ${`follow-up:${messageId}`}`.execute(t.hub.store.db);
  return rows.rows[0]!.n;
}

describe.each(backends)('ingest() on %s', (backend) => {
  let t: TestHub;
  const events: HubEvent[] = [];
  beforeAll(async () => {
    // Workers off: the test counts the jobs ingest enqueued, before anything consumes them.
    t = await startTestHub(backend, { followUps, workers: false });
    t.hub.bus.subscribe((event) => events.push(event));
  });
  afterAll(() => t?.stop());

  it('stores contact, conversation and message, and enqueues the follow-up jobs with them', async () => {
    const result = await t.hub.ingest(chatMessage({ id: 'm-1', user: 'alice', subject: 'Cannot log in', text: 'Hello' }));
    expect(result.created).toBe(true);
    expect(result.newConversation).toBe(true);
    expect(result.contact).toMatchObject({ identity_kind: 'chat', identity_key: 'app1:alice', email: 'alice@example.com', verified: true });
    expect(result.conversation).toMatchObject({ channel: 'chat', source: 'chat:app1', subject: 'Cannot log in', status: 'open' });
    expect(result.message).toMatchObject({ direction: 'inbound', author_kind: 'customer', text: 'Hello', source_message_id: 'm-1' });
    expect(await jobsFor(t, result.message.id)).toBe(1);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'conversation.created', conversationId: result.conversation.id }),
        expect.objectContaining({ type: 'message.created', messageId: result.message.id }),
      ]),
    );
  });

  it('threads a follow-up into the same conversation by its threading key', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'm-2a', user: 'bob' }));
    const second = await t.hub.ingest(chatMessage({ id: 'm-2b', user: 'bob' }));
    expect(second.newConversation).toBe(false);
    expect(second.conversation.id).toBe(first.conversation.id);
    expect(second.message.position).toBeGreaterThan(first.message.position);
  });

  it('appends to a conversation named by id, and rejects an unknown id without storing anything', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'm-3a', user: 'carol' }));
    const byId = await t.hub.ingest({ ...chatMessage({ id: 'm-3b', user: 'carol' }), thread: { conversationId: first.conversation.id } });
    expect(byId.conversation.id).toBe(first.conversation.id);
    const unknown = t.hub.ingest({ ...chatMessage({ id: 'm-3c', user: 'carol' }), thread: { conversationId: '00000000-0000-4000-8000-000000000000' } });
    await expect(unknown).rejects.toMatchObject({ status: 404, code: 'conversation_not_found' });
    const stored = await t.hub.store.db.selectFrom('messages').select('id').where('source_message_id', '=', 'm-3c').execute();
    expect(stored).toHaveLength(0);
  });

  it('returns the stored message for a duplicate and enqueues nothing more', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'm-4', user: 'dave', text: 'original' }));
    const again = await t.hub.ingest(chatMessage({ id: 'm-4', user: 'dave', text: 'retried by the network' }));
    expect(again.created).toBe(false);
    expect(again.message.id).toBe(first.message.id);
    expect(again.message.text).toBe('original');
    expect(await jobsFor(t, first.message.id)).toBe(1);
  });

  it('50 concurrent ingests of one source message store one message and one set of jobs', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => t.hub.ingest(chatMessage({ id: 'm-5', user: 'erin' }))));
    expect(new Set(results.map((r) => r.message.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const rows = await t.hub.store.db.selectFrom('messages').select('id').where('source', '=', 'chat:app1').where('source_message_id', '=', 'm-5').execute();
    expect(rows).toHaveLength(1);
    expect(await jobsFor(t, rows[0]!.id)).toBe(1);
    const conversations = await t.hub.store.db.selectFrom('conversations').select('id').where('thread_key', '=', 'conv-of-erin').execute();
    expect(conversations).toHaveLength(1);
  });

  it('keeps every message when many customers write at once (grouped transactions)', async () => {
    const inputs = Array.from({ length: 120 }, (_, i) => chatMessage({ id: `burst-${i}`, user: `burst-user-${i % 30}` }));
    const results = await Promise.all(inputs.map((input) => t.hub.ingest(input)));
    expect(results.every((r) => r.created)).toBe(true);
    const count = await t.hub.store.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('source_message_id', 'like', 'burst-%')
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(120);
    const conversations = new Set(results.map((r) => r.conversation.id));
    expect(conversations.size).toBe(30);
    // Each customer's messages stay in the order they were received.
    for (let user = 0; user < 30; user++) {
      const mine = results.filter((_, i) => i % 30 === user).map((r) => r.message.position);
      expect(mine).toEqual([...mine].sort((a, b) => a - b));
    }
  });

  it('one bad message in a concurrent group fails alone; its neighbours are stored', async () => {
    const good = Array.from({ length: 5 }, (_, i) => t.hub.ingest(chatMessage({ id: `mixed-${i}`, user: 'frank' })));
    const bad = t.hub.ingest({ ...chatMessage({ id: 'mixed-bad', user: 'frank' }), thread: { conversationId: '00000000-0000-4000-8000-000000000001' } });
    await expect(bad).rejects.toBeInstanceOf(HubError);
    const stored = await Promise.all(good);
    expect(stored.every((r) => r.created)).toBe(true);
  });

  it('rejects a malformed inbound message with a clear error and stores nothing', async () => {
    await expect(t.hub.ingest({ ...chatMessage({ id: 'm-bad' }), source: '' })).rejects.toMatchObject({ status: 400, code: 'invalid_message' });
  });

  it('verified follows the email it proves: an unproven email is stored unverified, the same email proven stays proven, a new unproven one is not', async () => {
    await t.hub.ingest({ ...chatMessage({ id: 'm-6a', user: 'gina' }), contact: { identityKind: 'chat', identityKey: 'app1:gina', verified: false } });
    const claimed = await t.hub.ingest({
      ...chatMessage({ id: 'm-6b', user: 'gina' }),
      contact: { identityKind: 'chat', identityKey: 'app1:gina', email: 'gina@example.com', name: 'Gina', verified: false },
    });
    expect(claimed.contact).toMatchObject({ email: 'gina@example.com', name: 'Gina', verified: false });
    expect(claimed.message.metadata).toMatchObject({ identityVerified: false });
    const proven = await t.hub.ingest({ ...chatMessage({ id: 'm-6c', user: 'gina' }), contact: { identityKind: 'chat', identityKey: 'app1:gina', email: 'gina@example.com', name: 'Gina', verified: true } });
    expect(proven.contact).toMatchObject({ email: 'gina@example.com', verified: true });
    // The same address again, unproven this time (an older session): still proven.
    const again = await t.hub.ingest({ ...chatMessage({ id: 'm-6d', user: 'gina' }), contact: { identityKind: 'chat', identityKey: 'app1:gina', email: 'GINA@example.com', name: null, verified: false } });
    expect(again.contact).toMatchObject({ verified: true, name: 'Gina' });
    // The user (a proven identity) claims another address: stored, and not proven.
    const moved = await t.hub.ingest({ ...chatMessage({ id: 'm-6e', user: 'gina' }), contact: { identityKind: 'chat', identityKey: 'app1:gina', email: 'gina@other.example', name: 'Gina', verified: false } });
    expect(moved.contact).toMatchObject({ email: 'gina@other.example', verified: false });
  });

  it('mail that failed authentication never rewrites a stored contact’s name; an authenticated one may', async () => {
    const email = 'ivy@example.com';
    const mail = (id: string, name: string, verified: boolean) => ({
      channel: 'email' as const,
      source: 'email:support@acme.example',
      sourceMessageId: `<${id}@mail.example>`,
      thread: { key: `<${id}@mail.example>` },
      contact: { identityKind: 'email', identityKey: email, email, name, verified },
      subject: 'Hi',
      text: 'hello',
    });
    await t.hub.ingest(mail('ivy-1', 'Ivy Real', true));
    const spoofed = await t.hub.ingest(mail('ivy-2', 'Real Victim, attacker@evil.example,', false));
    expect(spoofed.contact).toMatchObject({ name: 'Ivy Real', verified: true });
    const renamed = await t.hub.ingest(mail('ivy-3', 'Ivy R. Real', true));
    expect(renamed.contact).toMatchObject({ name: 'Ivy R. Real' });
  });

  it('reopens a closed conversation when the customer writes again', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'm-7a', user: 'hank' }));
    await t.hub.store.db.updateTable('conversations').set({ status: 'closed' }).where('id', '=', first.conversation.id).execute();
    const again = await t.hub.ingest(chatMessage({ id: 'm-7b', user: 'hank' }));
    expect(again.conversation.status).toBe('open');
  });
});
