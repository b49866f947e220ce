import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { helpdeskChatAddress, type ConversationRef, type HelpdeskCustomer, type HelpdeskPerson } from '../../../src/capabilities/helpdesk.js';
import { isVendorError, type VendorError } from '../../../src/vendors/error.js';
import { createOp, message, startHarness, testStore, type Harness } from './support.js';

/**
 * GDPR erasure at Zendesk (integrations/zendesk/erase.ts): the person's tickets soft-deleted then
 * permanently deleted, then their users deleted then permanently deleted, as Zendesk documents.
 */
describe('Zendesk erasure of one person', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  let h: Harness;
  const timing = { jobPollMs: 50, jobWaitMs: 5_000 };

  beforeAll(async () => {
    db = await testStore();
    h = await startHarness(db.store, { overrides: { erasureTiming: timing } });
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });
  beforeEach(() => {
    h.fake.setFaults({ searchLagMs: 0, lostResponseRate: 0, errorRate: 0 });
    h.fake.setJobDelay(100);
  });

  /** A hub conversation created through the adapter, as the engine records it. */
  async function hubConversation(customer: HelpdeskCustomer, channel: 'chat' | 'email' = 'email', zendesk = h.zendesk): Promise<ConversationRef> {
    const conversationId = randomUUID();
    const outcome = await zendesk.write({ ...createOp(conversationId, [], { channel, messages: [message(`Help, I am ${customer.name}`)] }), customer });
    return { conversationId, externalId: outcome.externalId!, metadata: outcome.metadata ?? {} };
  }

  /** A person with hub tickets (email, and chat under the hub's chat address), a ticket made in Zendesk directly, and a second address only Zendesk knows. */
  async function personWithHistory(tag: string) {
    const email = `${tag}@customer.example`;
    const other = `${tag}.work@customer.example`;
    const contactId = randomUUID();
    const refs = [
      await hubConversation({ email, name: `${tag} Customer`, verified: true }),
      await hubConversation({ email, name: `${tag} Customer`, verified: false, contactId }, 'chat'),
    ];
    await h.fake.agentReply(refs[0]!.externalId, 'We are looking into it');
    await h.fake.setStatus(refs[0]!.externalId, 'closed');
    const direct = await h.fake.customerWrites({ email, subject: 'Straight to Zendesk', text: `Mail from ${tag}` });
    const unsynced = await h.fake.customerWrites({ email: other, subject: 'From my work address', text: 'Another one' });
    const person: HelpdeskPerson = { emails: [email, other, helpdeskChatAddress(contactId)], conversations: refs };
    return { person, tickets: [...refs.map((r) => r.externalId), direct.conversationId, unsynced.conversationId] };
  }

  const nothingLeft = (person: HelpdeskPerson) => person.emails.map((email) => ({ email, ...h.fake.remnantsOf(email) }));
  const empty = (person: HelpdeskPerson) => person.emails.map((email) => ({ email, users: [], tickets: [], deletedTickets: [] }));

  it('deletes every ticket and user of the person for good, leaves someone whose address merely contains theirs, and says what it did', async () => {
    // "ann@…" is a substring of "joann@…": Zendesk's user search matches partial values.
    const { person, tickets } = await personWithHistory('ann');
    const bystander = await personWithHistory('joann');
    const bystanderBefore = bystander.person.emails.map((email) => h.fake.remnantsOf(email));
    const users = new Set(person.emails.flatMap((email) => h.fake.remnantsOf(email).users));
    expect(users.size).toBe(3);

    const erasure = await h.zendesk.erasePerson!(person);

    expect(nothingLeft(person)).toEqual(empty(person));
    for (const id of tickets) {
      expect(h.fake.ticket(id)).toBeNull();
      expect(await h.zendesk.conversation(id)).toBeNull();
    }
    for (const id of users) expect(h.fake.user(id)).toMatchObject({ email: null, name: 'Permanently Deleted User', deleted: 'permanent' });
    expect(erasure).toEqual({ done: ['4 tickets permanently deleted', ...[...users].sort().map((id) => `user ${id} permanently deleted`)].sort(byKind), manual: [] });
    // The other person is exactly as before.
    expect(bystander.person.emails.map((email) => h.fake.remnantsOf(email))).toEqual(bystanderBefore);
    for (const id of bystander.tickets) expect(h.fake.ticket(id)).not.toBeNull();
  });

  it('a second erasure of the same person finds nothing and says so with empty lines', async () => {
    const { person } = await personWithHistory(`again-${Date.now()}`);
    await h.zendesk.erasePerson!(person);
    const deletes = () => h.fake.requests().filter((r) => r.method === 'DELETE').length;
    const before = deletes();
    expect(await h.zendesk.erasePerson!(person)).toEqual({ done: [], manual: [] });
    // Only the hub's own ticket ids are tried again (404), and the users it recorded (404).
    expect(h.fake.requests().filter((r) => r.method === 'DELETE').slice(before - deletes()).every((r) => r.status === 404)).toBe(true);
    expect(nothingLeft(person)).toEqual(empty(person));
  });

  it('a staff account with one of the addresses is left for a human, named in manual', async () => {
    const agentEmail = 'alex.agent@acme.example';
    const { person } = await personWithHistory(`staff-${Date.now()}`);
    const erasure = await h.zendesk.erasePerson!({ ...person, emails: [...person.emails, agentEmail] });
    const agent = h.fake.remnantsOf(agentEmail).users;
    expect(agent).toHaveLength(1);
    expect(h.fake.user(agent[0]!)!.deleted).toBeUndefined();
    expect(erasure.manual).toEqual([expect.stringMatching(new RegExp(`^Zendesk user ${agent[0]} \\(role: agent\\) is a staff account.*Team members$`))]);
  });

  it('an outage midway (5xx on Permanently Delete User) throws a retryable error; the retry completes without repeating what was done', async () => {
    let failing = true;
    const outage: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (failing && init?.method === 'DELETE' && url.pathname.startsWith('/api/v2/deleted_users/')) return new Response('{"error":"ServiceUnavailable"}', { status: 503 });
      return fetch(input, init);
    };
    const zendesk = h.adapter({}, { fetch: outage, erasureTiming: timing });
    const { person } = await personWithHistory(`outage-${Date.now()}`);

    const error = await zendesk.erasePerson!(person).then(() => null, (e: unknown) => e as VendorError);
    expect(isVendorError(error)).toBe(true);
    expect(error).toMatchObject({ kind: 'unavailable', status: 503 });
    // Tickets are gone for good already; the users are soft-deleted, waiting for the rest.
    expect(nothingLeft(person).flatMap((r) => [...r.tickets, ...r.deletedTickets])).toEqual([]);
    expect(nothingLeft(person).flatMap((r) => r.users).length).toBeGreaterThan(0);

    failing = false;
    const retried = await zendesk.erasePerson!(person);
    expect(nothingLeft(person)).toEqual(empty(person));
    expect(retried.done.every((line) => /^user \d+ permanently deleted$/.test(line))).toBe(true);
    expect(retried.done).toHaveLength(3);
  });

  it('a 429 that outlasts what a call may wait becomes rate_limited with the wait; the retry completes', async () => {
    const zendesk = h.adapter({}, { maxRateWaitMs: 50, erasureTiming: timing });
    const { person } = await personWithHistory(`limited-${Date.now()}`);
    h.fake.failNextRequests(429);
    const error = await zendesk.erasePerson!(person).then(() => null, (e: unknown) => e as VendorError);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429 });
    expect(error!.retryAfterMs).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, error!.retryAfterMs!));
    await zendesk.erasePerson!(person);
    expect(nothingLeft(person)).toEqual(empty(person));
  });

  it('a deletion job still queued when the wait ends leaves the erasure to a retry; the queued jobs run anyway and the retry finishes the users', async () => {
    const zendesk = h.adapter({}, { erasureTiming: { jobPollMs: 50, jobWaitMs: 300 } });
    const { person } = await personWithHistory(`slow-${Date.now()}`);
    h.fake.setJobDelay(60_000);
    await expect(zendesk.erasePerson!(person)).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('still queued') });
    expect(nothingLeft(person).flatMap((r) => r.deletedTickets).length).toBeGreaterThan(0);
    expect(nothingLeft(person).flatMap((r) => r.users).length).toBeGreaterThan(0);
    // Zendesk's job runner catches up: the jobs queued by the first run delete the tickets.
    h.fake.setJobDelay(0);
    const retried = await zendesk.erasePerson!(person);
    expect(nothingLeft(person)).toEqual(empty(person));
    expect(retried.done).toHaveLength(3);
    expect(retried.done.every((line) => /^user \d+ permanently deleted$/.test(line))).toBe(true);
  });

  it('customerIdsIn reads the requester id the adapter recorded', async () => {
    const ref = await hubConversation({ email: `ids-${Date.now()}@customer.example`, name: null, verified: true });
    expect(h.zendesk.customerIdsIn!(ref.metadata)).toEqual([String(h.fake.ticket(ref.externalId)!.requester_id)]);
    expect(h.zendesk.customerIdsIn!({})).toEqual([]);
  });
});

/** Ticket lines first, then users by id. */
function byKind(a: string, b: string): number {
  return Number(b.includes('ticket')) - Number(a.includes('ticket')) || a.localeCompare(b);
}
