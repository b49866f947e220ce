import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRef } from '../../../src/capabilities/helpdesk.js';
import { createOp, startHarness, testStore, type Harness } from './support.js';

/** Zendesk's limits (developer.zendesk.com › Rate limits): an account-wide one per plan, and Update Ticket's 100/min. */
describe('Zendesk rate limits', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  const harnesses: Harness[] = [];

  beforeAll(async () => {
    db = await testStore();
  });
  afterAll(async () => {
    for (const h of harnesses) await h.close();
    await db?.close();
  });

  async function ticket(h: Harness): Promise<ConversationRef> {
    const conversationId = randomUUID();
    const outcome = await h.zendesk.write(createOp(conversationId, ['rate me']));
    return { conversationId, externalId: outcome.externalId!, metadata: outcome.metadata ?? {} };
  }

  it('the client keeps Update Ticket under its own limit: it waits instead of drawing 429s', async () => {
    const h = await startHarness(db.store, {
      fake: { updateTicketLimit: { limit: 4, windowMs: 1000 } },
      env: { ZENDESK_UPDATE_TICKET_RATE_LIMIT: '4/1' },
    });
    harnesses.push(h);
    const ref = await ticket(h);
    // Concurrent writers, as several hub workers would be.
    await Promise.all(Array.from({ length: 12 }, (_, i) => h.zendesk.write({ kind: 'note', ref, key: `n${i}`, text: `note ${i}` })));
    expect(h.fake.stats().byStatus[429] ?? 0).toBe(0);
    expect(h.fake.updateTicketStats()).toMatchObject({ requests: 12 });
    expect(h.fake.updateTicketStats().maxInWindow).toBeLessThanOrEqual(4);
    expect(h.fake.ticket(ref.externalId)!.comments.filter((c) => !c.public)).toHaveLength(12);
  });

  it('a 429 is waited out for its Retry-After before the next call, and nothing is lost', async () => {
    // The client believes it has far more room than the account really has (another app shares it).
    // Short windows: when Zendesk reports almost nothing left, the client pauses a quarter of the window.
    const h = await startHarness(db.store, {
      fake: { rateLimit: { limit: 3, windowMs: 1000 } },
      env: { ZENDESK_RATE_LIMIT: '1000/2', ZENDESK_UPDATE_TICKET_RATE_LIMIT: '1000/2' },
    });
    harnesses.push(h);
    const ref = await ticket(h);
    // A burst: the client's bucket lets all eight go, the account takes three a second.
    await Promise.all(Array.from({ length: 8 }, (_, i) => h.zendesk.write({ kind: 'note', ref, key: `n${i}`, text: `note ${i}` })));
    const log = h.fake.requests();
    const limited = log.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    // After the last 429 of the burst, nothing came before its Retry-After had passed.
    const last = limited.at(-1)!;
    const after = log.filter((r) => r.at > last.at);
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]!.at - last.at).toBeGreaterThanOrEqual(last.retryAfter! * 1000 - 50);
    const notes = h.fake.ticket(ref.externalId)!.comments.filter((c) => !c.public).map((c) => c.body);
    expect(notes.sort()).toEqual(Array.from({ length: 8 }, (_, i) => `note ${i}`));
  });

  it('the budget is shared through the database: two adapters on one account stay under its limit together', async () => {
    const h = await startHarness(db.store, {
      fake: { rateLimit: { limit: 6, windowMs: 1000 } },
      env: { ZENDESK_RATE_LIMIT: '6/1', ZENDESK_UPDATE_TICKET_RATE_LIMIT: '1000/1' },
    });
    harnesses.push(h);
    const other = h.adapter();
    const ref = await ticket(h);
    h.fake.resetStats();
    await Promise.all([
      ...Array.from({ length: 6 }, (_, i) => h.zendesk.write({ kind: 'note', ref, key: `a${i}`, text: `a ${i}` })),
      ...Array.from({ length: 6 }, (_, i) => other.write({ kind: 'note', ref, key: `b${i}`, text: `b ${i}` })),
    ]);
    expect(h.fake.stats().byStatus[429] ?? 0).toBe(0);
    expect(h.fake.stats().maxUnitsInWindow).toBeLessThanOrEqual(6);
  });

  it('reads are retried after a 5xx; a write that got one is reported as of unknown outcome', async () => {
    const h = await startHarness(db.store);
    harnesses.push(h);
    const ref = await ticket(h);
    h.fake.failNextRequests(503, 500);
    expect((await h.zendesk.threads(ref.externalId)).map((t) => t.text)).toEqual(['rate me']);
    h.fake.failNextRequests(503);
    await expect(h.zendesk.write({ kind: 'note', ref, key: 'k', text: 'x' })).rejects.toMatchObject({ kind: 'unavailable', outcomeUnknown: true, status: 503 });
  });
});
