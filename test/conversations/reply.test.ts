import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { HubEvent } from '../../src/conversations/events.js';
import { backends } from '../support/backends.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

describe.each(backends)('reply() and channel delivery on %s', (backend) => {
  let t: TestHub;
  const chat = new RecordingChannel('chat');
  const events: HubEvent[] = [];
  beforeAll(async () => {
    t = await startTestHub(backend, { channels: [chat] });
    t.hub.bus.subscribe((event) => events.push(event));
  });
  afterAll(() => t?.stop());

  it('stores an agent reply, announces it at once and delivers it to the customer once', async () => {
    const inbound = await t.hub.ingest(chatMessage({ id: 'r-1', user: 'ivy' }));
    const sent = await t.hub.reply({
      conversationId: inbound.conversation.id,
      source: 'helpdesk-test',
      sourceMessageId: 'thread-1',
      authorKind: 'agent',
      authorName: 'Agent Smith',
      text: 'We are on it',
    });
    expect(sent.created).toBe(true);
    expect(sent.message).toMatchObject({ direction: 'outbound', author_kind: 'agent', text: 'We are on it' });
    // The event is published right after commit, before any worker polls.
    expect(events).toContainEqual(expect.objectContaining({ type: 'message.created', messageId: sent.message.id, direction: 'outbound' }));
    await waitFor(() => chat.delivered.find((d) => d.message.id === sent.message.id), 20_000, 'delivery');
    const stored = await waitFor(
      () => t.hub.store.db.selectFrom('messages').selectAll().where('id', '=', sent.message.id).where('delivered_at', 'is not', null).executeTakeFirst(),
      10_000,
      'delivered_at',
    );
    expect(stored.delivered_at).toBeInstanceOf(Date);
    const conversation = await t.hub.store.db.selectFrom('conversations').selectAll().where('id', '=', inbound.conversation.id).executeTakeFirstOrThrow();
    expect(conversation.first_agent_reply_at).toBeInstanceOf(Date);
  });

  it('a reply redelivered by the helpdesk is stored once and sent once', async () => {
    const inbound = await t.hub.ingest(chatMessage({ id: 'r-2', user: 'jack' }));
    const reply = { conversationId: inbound.conversation.id, source: 'helpdesk-test', sourceMessageId: 'thread-2', authorKind: 'agent' as const, text: 'Once' };
    const [a, b, c] = await Promise.all([t.hub.reply(reply), t.hub.reply(reply), t.hub.reply(reply)]);
    expect([a, b, c].filter((r) => r!.created)).toHaveLength(1);
    await waitFor(() => chat.delivered.find((d) => d.message.id === a!.message.id), 20_000, 'delivery');
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(chat.delivered.filter((d) => d.message.source_message_id === 'thread-2')).toHaveLength(1);
  });

  it('keeps retrying while the customer channel is down, then delivers', async () => {
    chat.failuresLeft = 1;
    const inbound = await t.hub.ingest(chatMessage({ id: 'r-3', user: 'kim' }));
    const sent = await t.hub.reply({ conversationId: inbound.conversation.id, source: 'helpdesk-test', sourceMessageId: 'thread-3', authorKind: 'agent', text: 'Eventually' });
    await waitFor(() => chat.delivered.find((d) => d.message.id === sent.message.id), 40_000, 'delivery after retry');
    expect(chat.failuresLeft).toBe(0);
  });

  it('concurrent replies share a transaction: each stored once, in order, a bad one failing alone', async () => {
    const a = await t.hub.ingest(chatMessage({ id: 'rb-a', user: 'batch-a' }));
    const b = await t.hub.ingest(chatMessage({ id: 'rb-b', user: 'batch-b' }));
    const calls = [
      t.hub.reply({ conversationId: a.conversation.id, source: 'helpdesk-test', sourceMessageId: 'rb-1', authorKind: 'agent', text: 'a1' }),
      t.hub.reply({ conversationId: b.conversation.id, source: 'helpdesk-test', sourceMessageId: 'rb-2', authorKind: 'agent', text: 'b1' }),
      t.hub.reply({ conversationId: a.conversation.id, source: 'helpdesk-test', sourceMessageId: 'rb-3', authorKind: 'system', text: 'a2' }),
      t.hub.reply({ conversationId: a.conversation.id, source: 'helpdesk-test', sourceMessageId: 'rb-1', authorKind: 'agent', text: 'a1' }),
      t.hub.reply({ conversationId: '00000000-0000-4000-8000-00000000000b', source: 'helpdesk-test', sourceMessageId: 'rb-x', authorKind: 'agent', text: 'lost' }),
    ];
    const settled = await Promise.allSettled(calls);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected']);
    const [r1, r2, r3, r1again] = settled.slice(0, 4).map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof t.hub.reply>>>).value);
    expect([r1!.created, r2!.created, r3!.created, r1again!.created]).toEqual([true, true, true, false]);
    expect(r1again!.message.id).toBe(r1!.message.id);
    expect(r3!.message.position).toBeGreaterThan(r1!.message.position);
    const stored = await t.hub.store.db.selectFrom('messages').select('text').where('source_message_id', 'in', ['rb-1', 'rb-2', 'rb-3', 'rb-x']).orderBy('position').execute();
    expect(stored.map((m) => m.text)).toEqual(['a1', 'b1', 'a2']);
  });

  it('refuses a reply to an unknown conversation and stores nothing', async () => {
    await expect(
      t.hub.reply({ conversationId: '00000000-0000-4000-8000-000000000009', source: 'helpdesk-test', sourceMessageId: 'thread-x', authorKind: 'agent', text: 'x' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(t.hub.reply({ conversationId: 'not-a-uuid', source: 's', sourceMessageId: 'x', authorKind: 'agent', text: 'x' })).rejects.toMatchObject({ status: 400 });
    const stored = await t.hub.store.db.selectFrom('messages').select('id').where('source_message_id', '=', 'thread-x').execute();
    expect(stored).toHaveLength(0);
  });
});

describe.each(backends)('what an agent’s chat reply queues on %s', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    // The real chat channel (no recording stand-in): it delivers as a reply commits.
    t = await startTestHub(backend);
  });
  afterAll(() => t?.stop());

  const jobsFor = async (messageId: string) =>
    (await sql<{ name: string }>`SELECT name FROM pgboss.job WHERE data->>'messageId' = ${messageId} ORDER BY name`.execute(t.hub.store.db)).rows.map((r) => r.name);

  it('no delivery job; the first reply judges the acknowledgement as it is stored, later ones queue only the unread check', async () => {
    const inbound = await t.hub.ingest(chatMessage({ id: 'q-1', user: 'quinn', text: 'How do I change the billing address on my invoices?' }));
    const conversationId = inbound.conversation.id;
    const ack = () => t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    await waitFor(async () => (await ack())?.decision === 'sent', 20_000, 'the acknowledgement');

    const first = await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: 'q-thread-1', authorKind: 'agent', text: 'Under Settings › Billing.' });
    // Delivered as it committed: open sockets got the event, a client away reads it from its cursor.
    expect(first.message.delivered_at).toBeInstanceOf(Date);
    expect(await jobsFor(first.message.id)).toEqual(['chat.unread-check']);
    // Judged in the reply's own transaction: no job, no wait.
    const judged = (await ack())!;
    expect(judged.first_reply_at).toEqual(first.message.created_at);
    expect(judged.kept).toBe(true);

    // Nothing left to judge and no escalation: the second reply queues no triage job.
    const second = await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: 'q-thread-2', authorKind: 'agent', text: 'And the VAT id beside it.' });
    expect(second.message.delivered_at).toBeInstanceOf(Date);
    expect(await jobsFor(second.message.id)).toEqual(['chat.unread-check']);
    expect((await ack())!.first_reply_at).toEqual(judged.first_reply_at);
  });

  it('a reply before the acknowledgement is decided queues the job that judges it after both committed', async () => {
    const inbound = await t.hub.ingest(chatMessage({ id: 'q-4', user: 'sam', text: 'Where do I find my invoices?' }));
    const conversationId = inbound.conversation.id;
    const ack = () => t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    const decided = await waitFor(async () => ((await ack())?.decision === 'sent' ? await ack() : undefined), 20_000, 'the acknowledgement');
    // As if triage were still deciding it (on a server database, in a transaction the reply cannot see).
    await t.hub.store.db.deleteFrom('acknowledgements').where('conversation_id', '=', conversationId).execute();
    const reply = await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: 'q-thread-4', authorKind: 'agent', text: 'Under Billing.' });
    expect(await jobsFor(reply.message.id)).toEqual(['acknowledgement.settle', 'chat.unread-check']);
    const settled = async () =>
      (await sql<{ state: string }>`SELECT state::text FROM pgboss.job WHERE name = 'acknowledgement.settle' AND data->>'messageId' = ${reply.message.id}`.execute(t.hub.store.db)).rows[0]?.state;
    await waitFor(async () => (await settled()) === 'completed', 20_000, 'the settle job to run');
    // The acknowledgement committed after the job looked: still unjudged, the next reply judges
    // it — by the conversation's first reply, not by itself.
    await t.hub.store.db.insertInto('acknowledgements').values({ ...decided!, first_reply_at: null }).execute();
    await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: 'q-thread-5', authorKind: 'agent', text: 'Top right.' });
    expect((await ack())!.first_reply_at).toEqual(reply.message.created_at);
  });

  it('a reply while the conversation has an open escalation queues its check', async () => {
    const inbound = await t.hub.ingest(chatMessage({ id: 'q-2', user: 'rene', text: 'Could someone look at my account settings?' }));
    const conversationId = inbound.conversation.id;
    // Opened by hand: which messages triage escalates, and to whom, is not what this test is about.
    await sql`INSERT INTO escalations (id, conversation_id, policy, title, level, status, opened_at)
      VALUES (gen_random_uuid(), ${conversationId}, 'default', 'Account settings', 'high', 'open', now() - interval '1 minute')
      ON CONFLICT (conversation_id) DO NOTHING`.execute(t.hub.store.db);
    const reply = await t.hub.reply({ conversationId, source: 'helpdesk-test', sourceMessageId: 'q-thread-3', authorKind: 'agent', text: 'Looking now.' });
    expect(await jobsFor(reply.message.id)).toContain('escalation.replied');
    await waitFor(
      () => t.hub.store.db.selectFrom('escalations').select('replied_at').where('conversation_id', '=', conversationId).where('replied_at', 'is not', null).executeTakeFirst(),
      20_000,
      'the escalation to record the reply',
    );
  });
});
