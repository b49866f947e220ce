import type { IngestResult } from '../../../src/conversations/inbound.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';

/**
 * Issue 22 item 8: the customer whose report opens an incident is thanked for reporting it and
 * told it is being looked into — not "we're aware of a problem", which is only true for those who
 * report it after them. The clock stands still, so every report lands in the same millisecond:
 * who was first cannot come from timestamps.
 */
describe('incident acknowledgement wording', () => {
  let t: TestHub;
  const chat = new RecordingChannel('chat');
  const now = new Date('2026-03-10T10:00:00Z');

  beforeAll(async () => {
    t = await startTestHub('pglite', { channels: [chat], clock: () => now });
  });
  afterAll(() => t?.stop());

  const acknowledgementOf = (conversationId: string) => chat.delivered.find((d) => d.conversation.id === conversationId && d.message.author_kind === 'system');

  it('thanks the first reporter for reporting it; tells later reporters it is already known', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'down-1', user: 'first', text: 'Our site is down! Nobody can log in.' }));
    await waitFor(() => acknowledgementOf(first.conversation.id) !== undefined, 60_000, "the first reporter's acknowledgement");
    const later: IngestResult[] = [];
    for (const user of ['second', 'third']) later.push(await t.hub.ingest(chatMessage({ id: `down-${user}`, user, text: 'The service is down for all our users, urgent!' })));
    await waitFor(() => later.every((r) => acknowledgementOf(r.conversation.id) !== undefined), 60_000, "the later reporters' acknowledgements");

    const incident = await t.hub.store.db.selectFrom('incidents').select(['number', 'title']).executeTakeFirstOrThrow();
    const firstText = acknowledgementOf(first.conversation.id)!.message.text;
    expect(firstText).toContain('Thanks for reporting this');
    expect(firstText).toContain(`incident #${incident.number}: ${incident.title}`);
    expect(firstText).toMatch(/looking into it/);
    expect(firstText).not.toMatch(/aware|already/i);
    expect(firstText).toMatch(/We'll send you an update (within about an hour|by )/);

    for (const report of later) {
      const text = acknowledgementOf(report.conversation.id)!.message.text;
      expect(text).toContain(`We're already aware of a problem that looks like what you describe (incident #${incident.number}: ${incident.title})`);
      expect(text).not.toContain('Thanks for reporting this');
    }
  });
});
