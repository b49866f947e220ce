import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';

/**
 * Acknowledgement safety (issue: never twice per conversation, never to auto-responders, not once
 * an agent replied, at most 10 automatic messages per sender per 3 hours), on the chat channel
 * recorded at the customer's end, with the clock fixed on a Tuesday afternoon in the team's zone.
 */
describe('acknowledgements', () => {
  let t: TestHub;
  const chat = new RecordingChannel('chat');
  // Tuesday 2026-03-10 14:00 in Berlin: open, so "within about N hours".
  let now = new Date('2026-03-10T13:00:00Z');

  beforeAll(async () => {
    t = await startTestHub('pglite', {
      channels: [chat],
      clock: () => now,
      env: { TEAM_TIME_ZONE: 'Europe/Berlin', ACK_TEAM_NAME: 'The Acme team' },
    });
  });
  afterAll(async () => t?.stop());

  const acksTo = (conversationId: string) => chat.delivered.filter((d) => d.conversation.id === conversationId && d.message.author_kind === 'system');

  it('a new conversation gets one acknowledgement naming the problem with an honest ETA', async () => {
    const result = await t.hub.ingest(chatMessage({ id: 'a1', user: 'ada', subject: 'Export to CSV fails', text: 'The CSV export fails with an error since this morning.' }));
    const ack = await waitFor(() => acksTo(result.conversation.id)[0], 20_000, 'acknowledgement');
    expect(ack.message.text).toContain('Hi User,');
    expect(ack.message.text).toContain('Thanks for contacting us about "Export to CSV fails"');
    expect(ack.message.text).toMatch(/will get back to you (within about \d+ hours|by .*)/);
    expect(ack.message.text).toContain('The Acme team');
    const row = await t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', result.conversation.id).executeTakeFirstOrThrow();
    expect(row.decision).toBe('sent');
    expect(row.due_at).not.toBeNull();
    // A follow-up in the same conversation is not acknowledged again.
    await t.hub.ingest(chatMessage({ id: 'a2', user: 'ada', text: 'Any news? It is still broken!!' }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(acksTo(result.conversation.id)).toHaveLength(1);
  });

  it('auto-replies are never acknowledged', async () => {
    const result = await t.hub.ingest({ ...chatMessage({ id: 'auto-1', user: 'ooo', text: 'I am out of office until Monday.' }), metadata: { autoReply: true } });
    const row = await waitFor(() => t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', result.conversation.id).executeTakeFirst(), 20_000, 'decision');
    expect(row.decision).toBe('skipped');
    expect(row.reason).toMatch(/automatic reply/);
    expect(acksTo(result.conversation.id)).toHaveLength(0);
  });

  it('at most 10 automatic messages per sender per 3 hours', async () => {
    const conversations: string[] = [];
    for (let i = 0; i < 14; i++) {
      const r = await t.hub.ingest(chatMessage({ id: `flood-${i}`, user: 'flood', thread: `flood-${i}`, text: `Question number ${i} about invoices` }));
      conversations.push(r.conversation.id);
    }
    await waitFor(async () => {
      const rows = await t.hub.store.db.selectFrom('acknowledgements').select('decision').where('conversation_id', 'in', conversations).execute();
      return rows.length === 14;
    }, 30_000, '14 decisions');
    const sent = await t.hub.store.db.selectFrom('acknowledgements').select(['decision', 'reason']).where('conversation_id', 'in', conversations).execute();
    expect(sent.filter((r) => r.decision === 'sent')).toHaveLength(10);
    expect(sent.filter((r) => r.decision === 'skipped').every((r) => /automatic messages/.test(r.reason ?? ''))).toBe(true);
    // Three hours later the sender may hear from us again.
    now = new Date(now.getTime() + 3 * 3600_000 + 60_000);
    const later = await t.hub.ingest(chatMessage({ id: 'flood-later', user: 'flood', thread: 'flood-later', text: 'One more question' }));
    const row = await waitFor(() => t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', later.conversation.id).executeTakeFirst(), 20_000, 'decision');
    expect(row.decision).toBe('sent');
  });

  it('not once an agent has replied', async () => {
    // No job workers: the agent's reply is stored before the acknowledgement is decided, every time.
    const quiet = await startTestHub('pglite', { channels: [new RecordingChannel('chat')], workers: false, clock: () => now });
    try {
      const result = await quiet.hub.ingest(chatMessage({ id: 'fast-1', user: 'fast', text: 'hello, how do I add a user?' }));
      await quiet.hub.reply({ conversationId: result.conversation.id, source: 'test', sourceMessageId: 'agent-1', authorKind: 'agent', text: 'Hi! Settings → Users.' });
      const outcome = await quiet.hub.triage.acknowledger.acknowledge(result.conversation.id, null);
      expect(outcome).toMatchObject({ decision: 'skipped' });
      const row = await quiet.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', result.conversation.id).executeTakeFirstOrThrow();
      expect(row.reason).toMatch(/agent already replied/);
    } finally {
      await quiet.stop();
    }
  });
});
