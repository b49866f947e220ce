import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationRef, HelpdeskWrite } from '../../../src/capabilities/helpdesk.js';
import type { VendorError } from '../../../src/vendors/error.js';
import { createOp, customer, message, startHarness, testStore, type Harness } from './support.js';

/**
 * What Zendesk documents (support-oas.yaml and the Tickets / Rate limits / Webhooks pages), as
 * opposed to what our first reading assumed. Each case failed against the adapter and the fake
 * as they were before (issue 19).
 */
describe('Zendesk as the vendor documents it', () => {
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
  beforeEach(() => h.fake.setFaults({ searchLagMs: 0, lostResponseRate: 0, errorRate: 0 }));

  async function created(zendesk = h.zendesk): Promise<ConversationRef> {
    const conversationId = randomUUID();
    const outcome = await zendesk.write(createOp(conversationId, ['It does not work']));
    return { conversationId, externalId: outcome.externalId!, metadata: outcome.metadata ?? {} };
  }
  const nextSecond = () => new Promise((resolve) => setTimeout(resolve, 1100));
  const append = (ref: ConversationRef, text: string): HelpdeskWrite => ({ kind: 'append', ref, channel: 'chat', customer, messages: [message(text)] });

  describe('1. a customer follow-up reopens a pending or solved ticket', () => {
    it('the fake: an API update naming the requester as author is not the requester updating, so the status stays', async () => {
      const ref = await created();
      await h.fake.setStatus(ref.externalId, 'pending');
      const requester = h.fake.ticket(ref.externalId)!.requester_id;
      const response = await fetch(`${h.fake.url}/api/v2/tickets/${ref.externalId}.json`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${h.fake.oauthToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { comment: { body: 'as the requester', public: true, author_id: requester } } }),
      });
      expect(response.status).toBe(200);
      expect(h.fake.ticket(ref.externalId)!.status).toBe('pending');
      // The requester writing themselves (by mail) does reopen it.
      await h.fake.customerReplies(ref.externalId, 'by mail');
      expect(h.fake.ticket(ref.externalId)!.status).toBe('open');
    });

    it('the adapter sets the status explicitly: pending → open, solved → open; on-hold and open stay as they are', async () => {
      for (const [before, after] of [
        ['pending', 'open'],
        ['closed', 'open'], // the fake's "closed" is an agent solving it
        ['hold', 'hold'],
        ['open', 'open'],
      ] as const) {
        const ref = await created();
        await h.fake.setStatus(ref.externalId, before === 'hold' ? ('hold' as 'pending') : before);
        await h.zendesk.write(append(ref, `after ${before}`));
        expect(h.fake.ticket(ref.externalId)!.status, before).toBe(after);
      }
    });

    it('decided from the update’s own answer, even when the agent acted in the same second: no read first, a second update only when the ticket was pending or solved', async () => {
      const ref = await created();
      await h.zendesk.write(append(ref, 'one'));
      await h.fake.setStatus(ref.externalId, 'pending');
      h.fake.resetStats();
      await h.zendesk.write(append(ref, 'two'));
      expect(h.fake.ticket(ref.externalId)!.status).toBe('open');
      expect(h.fake.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 200', 'PUT 200']);
      // An open ticket: one request.
      h.fake.resetStats();
      await h.zendesk.write(append(ref, 'three'));
      expect(h.fake.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 200']);
    });

    it('a follow-up whose answer was lost still reopens the ticket when findWrite finds it', async () => {
      const ref = await created();
      await h.fake.setStatus(ref.externalId, 'closed');
      h.fake.loseNextResponses(1, { method: 'PUT' });
      const op = append(ref, 'lost but there');
      await expect(h.zendesk.write(op)).rejects.toMatchObject({ outcomeUnknown: true });
      expect(h.fake.ticket(ref.externalId)!.status).toBe('solved');
      expect(await h.zendesk.findWrite(op, new Set())).not.toBeNull();
      expect(h.fake.ticket(ref.externalId)!.status).toBe('open');
    });
  });

  describe('2. an agent-role API user', () => {
    let agentHarness: Harness;
    beforeAll(async () => {
      agentHarness = await startHarness(db.store, { fake: { apiUserRole: 'agent' } });
    });
    afterAll(async () => agentHarness?.close());

    it('is accepted; doctor says missed webhooks are found without the admin-only export', async () => {
      const check = await agentHarness.zendesk.checkConnection();
      expect(check).toMatchObject({ ok: true, detail: expect.stringContaining('(agent)') });
      const finding = check.findings?.find((f) => f.check === 'missed-webhook reconciliation');
      expect(finding).toMatchObject({ ok: true, detail: expect.stringContaining('admin-only') });
    });

    it('reconciles through List Tickets (start_time), never the export, and never reports an auth failure', async () => {
      const since = new Date(Date.now() - 5000);
      const ref = await created(agentHarness.zendesk);
      agentHarness.fake.resetStats();
      const changed = await agentHarness.zendesk.changedSince(since);
      expect(changed.map((c) => c.externalId)).toContain(ref.externalId);
      const paths = agentHarness.fake.requests().map((r) => r.path);
      expect(paths).not.toContain('/api/v2/incremental/tickets/cursor');
      expect(paths).toContain('/api/v2/tickets');
    });

    it('an admin demoted to agent: the export answers 403 (forbidden, not auth) and the list takes over', async () => {
      const h2 = await startHarness(db.store);
      try {
        const ref = await created(h2.zendesk);
        await h2.zendesk.checkConnection();
        h2.fake.setApiUserRole('agent');
        const changed = await h2.zendesk.changedSince(new Date(Date.now() - 5000));
        expect(changed.map((c) => c.externalId)).toContain(ref.externalId);
        expect(h2.fake.requests().filter((r) => r.path === '/api/v2/incremental/tickets/cursor').map((r) => r.status)).toEqual([403]);
        expect(h2.zendesk.reconciliation()).toBe('ticket list');
      } finally {
        await h2.close();
      }
    });
  });

  it("3. a Retry-After longer than a call may hold its worker is honoured in full: rate_limited with the whole wait, nothing sent early, every adapter on the account waits", async () => {
    const limited = await startHarness(db.store, {
      fake: { rateLimit: { limit: 4, windowMs: 30_000 } },
      env: { ZENDESK_RATE_LIMIT: '1000/30' },
      overrides: { maxRateWaitMs: 1000 },
    });
    try {
      const ref = await created(limited.zendesk);
      const failures: VendorError[] = [];
      for (let i = 0; i < 4; i++) await limited.zendesk.write({ kind: 'note', ref, key: `n${i}`, text: `note ${i}` }).catch((e: VendorError) => failures.push(e));
      // One 429 reached the vendor; every write after it waited (was refused here) instead of trying early.
      expect(limited.fake.requests().filter((r) => r.status === 429)).toHaveLength(1);
      const told = limited.fake.requests().find((r) => r.status === 429)!.retryAfter! * 1000;
      expect(told).toBeGreaterThan(20_000);
      expect(failures.length).toBeGreaterThan(0);
      expect(failures[0]).toMatchObject({ kind: 'rate_limited', status: 429 });
      expect(failures[0]!.retryAfterMs).toBeGreaterThanOrEqual(told);
      for (const later of failures.slice(1)) expect(later).toMatchObject({ kind: 'rate_limited', retryAfterMs: expect.any(Number) });
      // Another process (adapter) on the same account: it does not send a request into the pause.
      const before = limited.fake.requests().length;
      const other = limited.adapter({}, { maxRateWaitMs: 1000 });
      const error = (await other.write({ kind: 'note', ref, key: 'other', text: 'other' }).catch((e: unknown) => e)) as VendorError;
      expect(error).toMatchObject({ kind: 'rate_limited' });
      expect(error.retryAfterMs).toBeGreaterThan(15_000);
      expect(limited.fake.requests().length).toBe(before);
    } finally {
      await limited.close();
    }
  });

  it('4. updates to one ticket stay within 30 per 10 minutes per user: the per-ticket budget makes a long burst wait (and be combined) instead of drawing 429s', async () => {
    const strict = await startHarness(db.store, {
      fake: { perTicketLimit: { limit: 6, windowMs: 3000 } },
      env: { ZENDESK_PER_TICKET_UPDATE_LIMIT: '6/3' },
      overrides: { maxRateWaitMs: 10_000 },
    });
    try {
      const ref = await created(strict.zendesk);
      for (let i = 0; i < 10; i++) await strict.zendesk.write({ kind: 'note', ref, key: `n${i}`, text: `note ${i}` });
      expect(strict.fake.stats().byStatus[429] ?? 0).toBe(0);
      expect(strict.fake.ticket(ref.externalId)!.comments.filter((c) => !c.public)).toHaveLength(10);
      // Another ticket has its own budget: not slowed by the first one's.
      const other = await created(strict.zendesk);
      const started = Date.now();
      await strict.zendesk.write({ kind: 'note', ref: other, key: 'x', text: 'x' });
      expect(Date.now() - started).toBeLessThan(2500);
    } finally {
      await strict.close();
    }
  });

  it('4. a 429 from the account-wide limit pauses the account, not the tickets: a ticket keeps its saved burst', async () => {
    // 20 per minute per ticket: a burst of 15, then one every 12 s. maxRateWaitMs 3 s: a ticket
    // whose burst a 429 had taken would refuse the second note (rate_limited) instead of sending it.
    const burst = await startHarness(db.store, { env: { ZENDESK_PER_TICKET_UPDATE_LIMIT: '20/60' }, overrides: { maxRateWaitMs: 3000 } });
    try {
      const ref = await created(burst.zendesk);
      // The account runs out (another integration spent it): 429s with X-Rate-Limit-Remaining 0.
      burst.fake.setRateLimit({ limit: 1, windowMs: 1000 });
      await burst.zendesk.conversation(ref.externalId);
      await burst.zendesk.write({ kind: 'note', ref, key: 'n0', text: 'note 0' });
      expect(burst.fake.stats().byStatus[429] ?? 0).toBeGreaterThan(0);
      burst.fake.setRateLimit(null);
      for (let i = 1; i <= 5; i++) await burst.zendesk.write({ kind: 'note', ref, key: `n${i}`, text: `note ${i}` });
      expect(burst.fake.ticket(ref.externalId)!.comments.filter((c) => !c.public)).toHaveLength(6);
    } finally {
      await burst.close();
    }
  });

  it('4. the Incremental Ticket Export keeps to its 10 requests a minute', async () => {
    const exporting = await startHarness(db.store, { env: { ZENDESK_EXPORT_RATE_LIMIT: '3/2' }, overrides: { maxRateWaitMs: 5000 } });
    try {
      await exporting.zendesk.checkConnection();
      for (let i = 0; i < 5; i++) await exporting.zendesk.changedSince(new Date(Date.now() - 60_000));
      const exports = exporting.fake.requests().filter((r) => r.path === '/api/v2/incremental/tickets/cursor');
      expect(exports.map((r) => r.status).every((s) => s === 200)).toBe(true);
      // Five polls against three per two seconds: the last two waited for the export's own budget.
      expect(exports.at(-1)!.at - exports[0]!.at).toBeGreaterThan(1000);
    } finally {
      await exporting.close();
    }
  });

  it('7. a 201 from Create Ticket with only {ticket} (as documented) is success: the first comment is read back, nothing is created twice', async () => {
    const conversationId = randomUUID();
    const outcome = await h.zendesk.write(createOp(conversationId, ['no audit please']));
    const ticket = h.fake.ticket(outcome.externalId!)!;
    expect(outcome.threadIds).toEqual([String(ticket.comments[0]!.id)]);
    expect(h.fake.conversations().filter((c) => c.hubConversationId === conversationId)).toHaveLength(1);
  });

  describe('8. tags through the documented `tags` field, safely', () => {
    it('a triage call sets its urgency tag, drops the other levels, keeps every tag an agent set', async () => {
      const ref = await created();
      const token = h.fake.oauthToken;
      await fetch(`${h.fake.url}/api/v2/tickets/${ref.externalId}.json`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { tags: [...h.fake.ticket(ref.externalId)!.tags, 'vip', 'urgency_low'] } }),
      });
      await h.zendesk.write({ kind: 'triage', ref, key: 't1', level: 'urgent', tags: ['urgency-urgent'], note: 'Urgent because outage' });
      const ticket = h.fake.ticket(ref.externalId)!;
      expect(ticket.tags).toEqual(expect.arrayContaining(['vip', 'hub_delivered', 'urgency_urgent']));
      expect(ticket.tags).not.toContain('urgency_low');
      expect(ticket.priority).toBe('urgent');
      const sent = h.fake.requests().filter((r) => r.method === 'PUT').at(-1);
      expect(sent?.status).toBe(200);
    });

    it('a tag an agent adds between our read and our write is not overwritten (409, read again)', async () => {
      const ref = await created();
      // The agent's change lands after the adapter read the ticket and before it writes, in a later
      // second (`updated_at` counts seconds: a change within the read's own second is invisible to it).
      h.fake.afterNextRead(async () => {
        await nextSecond();
        h.fake.agentSetTags(ref.externalId, [...h.fake.ticket(ref.externalId)!.tags, 'added_by_agent']);
      });
      h.fake.resetStats();
      await h.zendesk.write({ kind: 'triage', ref, key: 't2', level: 'high', tags: ['urgency-high'], note: 'High' });
      expect(h.fake.ticket(ref.externalId)!.tags).toEqual(expect.arrayContaining(['added_by_agent', 'urgency_high']));
      expect(h.fake.requests().map((r) => `${r.method} ${r.status}`)).toEqual(['GET 200', 'PUT 409', 'GET 200', 'PUT 200']);
    });

    it('the fake ignores additional_tags / remove_tags on a single ticket (documented for Update Many only)', async () => {
      const ref = await created();
      const before = [...h.fake.ticket(ref.externalId)!.tags];
      await fetch(`${h.fake.url}/api/v2/tickets/${ref.externalId}.json`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${h.fake.oauthToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { additional_tags: ['x'], remove_tags: ['hub_delivered'] } }),
      });
      expect(h.fake.ticket(ref.externalId)!.tags).toEqual(before);
    });
  });

  describe('10. the webhook "Test" button', () => {
    it('signed with Zendesk’s fixed test secret: 200 {"test": true}, nothing recorded', async () => {
      const { ZENDESK_TEST_SECRET, isZendeskTestDelivery, verifyZendeskWebhook } = await import('../../../integrations/zendesk/webhook.js');
      const { createHmac } = await import('node:crypto');
      const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const body = Buffer.from('{"type":"zen:event-type:ticket.created","id":"test"}');
      const signature = createHmac('sha256', ZENDESK_TEST_SECRET).update(timestamp).update(body).digest('base64');
      const request = { rawBody: body, headers: { 'x-zendesk-webhook-signature': signature, 'x-zendesk-webhook-signature-timestamp': timestamp }, url: '/webhooks/zendesk' };
      expect(verifyZendeskWebhook(h.fake.env['ZENDESK_WEBHOOK_SECRET']!, request).ok).toBe(false);
      expect(isZendeskTestDelivery(request)).toBe(true);
      // STACK-NOTES' reference vector for that secret.
      const vector = createHmac('sha256', ZENDESK_TEST_SECRET).update('2024-04-17T17:18:10Z').update('{"type":"zen:event-type:ticket.created"}').digest('base64');
      expect(vector).toBe('USK/Cwx08e+CcXA+uug83NlsE3OXFH4/j2TL4BaR3v4=');
      // A stale test delivery is not a test delivery either.
      const old = '2024-04-17T17:18:10Z';
      expect(isZendeskTestDelivery({ ...request, headers: { 'x-zendesk-webhook-signature': vector, 'x-zendesk-webhook-signature-timestamp': old } })).toBe(false);
    });
  });

  describe('11. an anonymous visitor', () => {
    it('becomes a requester with a stable .invalid address (the documented email path), never a name-only requester a strict account refuses', async () => {
      const conversationId = randomUUID();
      const outcome = await h.zendesk.write({ ...createOp(conversationId, ['anonymous hello']), customer: { email: null, name: null, verified: false } });
      const ticket = h.fake.ticket(outcome.externalId!)!;
      expect(h.fake.user(ticket.requester_id)!.email).toBe(`visitor-${conversationId}@chat.invalid`);
      // The fake's unfriendly reading refuses a name-only new requester (422).
      const refused = await fetch(`${h.fake.url}/api/v2/tickets.json`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.fake.oauthToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ticket: { subject: 'x', comment: { body: 'x' }, requester: { name: 'Nameless Visitor' } } }),
      });
      expect(refused.status).toBe(422);
    });

    it('a chat customer whose email the product did not prove is filed under the hub’s address for their contact, never under the claimed address’s Zendesk user', async () => {
      const contactId = randomUUID();
      const claimed = { email: 'someone-else@example.com', name: 'Some One', verified: false, contactId };
      const outcome = await h.zendesk.write({ ...createOp(randomUUID(), ['I am someone else']), customer: claimed });
      expect(h.fake.user(h.fake.ticket(outcome.externalId!)!.requester_id)!.email).toBe(`chat-${contactId}@chat.invalid`);
      const proven = await h.zendesk.write({ ...createOp(randomUUID(), ['I am me']), customer: { ...claimed, verified: true } });
      expect(h.fake.user(h.fake.ticket(proven.externalId!)!.requester_id)!.email).toBe('someone-else@example.com');
    });
  });
});
