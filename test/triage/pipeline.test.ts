import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubEvent } from '../../src/conversations/events.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

describe('every customer message gets an urgency call', () => {
  let t: TestHub;
  const events: HubEvent[] = [];
  beforeAll(async () => {
    t = await startTestHub('pglite');
    t.hub.bus.subscribe((e) => events.push(e));
  });
  afterAll(() => t?.stop());

  const triageOf = (conversationId: string) =>
    t.hub.store.db.selectFrom('triage_results').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();

  it('stores the level with the evidence staff see, and announces it', async () => {
    const result = await t.hub.ingest(chatMessage({ id: 'tr-1', user: 'ops', subject: 'Site down', text: 'Our whole site is down and customers cannot log in!!!' }));
    const triage = await waitFor(() => triageOf(result.conversation.id), 20_000, 'triage result');
    expect(triage.level).toBe('urgent');
    const evidence = triage.evidence as { phrase: string; category: string; start: number | null; end: number | null }[];
    expect(evidence.map((e) => e.category)).toContain('outage');
    for (const e of evidence.filter((e) => e.start !== null)) expect(triage.classified_text.slice(e.start!, e.end!)).toBe(e.phrase);
    expect(events).toContainEqual({ type: 'triage.updated', conversationId: result.conversation.id, level: 'urgent' });
  });

  it('a calm follow-up does not lower the call by itself', async () => {
    const first = await t.hub.ingest(chatMessage({ id: 'tr-2a', user: 'calm', text: 'Payments are failing for all our customers, checkout is broken' }));
    const before = await waitFor(() => triageOf(first.conversation.id), 20_000, 'first triage');
    await t.hub.ingest(chatMessage({ id: 'tr-2b', user: 'calm', text: 'thanks, no rush' }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await triageOf(first.conversation.id))!.level).toBe(before.level);
  });

  it('counts a customer coming back in another conversation within 24 hours as a repeat contact', async () => {
    await t.hub.ingest(chatMessage({ id: 'tr-4a', user: 'returning', thread: 'first-visit', text: 'The export is not working' }));
    const again = await t.hub.ingest(chatMessage({ id: 'tr-4b', user: 'returning', thread: 'second-visit', text: 'The export is still not working' }));
    const triage = await waitFor(() => triageOf(again.conversation.id), 20_000, 'triage result');
    expect((triage.evidence as { category: string }[]).map((e) => e.category)).toContain('repeat_contact');
    const firstTime = await t.hub.ingest(chatMessage({ id: 'tr-4c', user: 'newcomer', text: 'The export is not working' }));
    const single = await waitFor(() => triageOf(firstTime.conversation.id), 20_000, 'triage result');
    expect((single.evidence as { category: string }[]).map((e) => e.category)).not.toContain('repeat_contact');
  });

  it('an ordinary question is not urgent', async () => {
    const result = await t.hub.ingest(chatMessage({ id: 'tr-3', user: 'curious', text: 'How do I change the colour of my invoices?' }));
    const triage = await waitFor(() => triageOf(result.conversation.id), 20_000, 'triage result');
    expect(['normal', 'low']).toContain(triage.level);
  });
});
