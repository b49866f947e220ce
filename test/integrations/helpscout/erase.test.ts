import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { helpdeskChatAddress, type ConversationRef, type HelpdeskCustomer, type HelpdeskPerson } from '../../../src/capabilities/helpdesk.js';
import type { Store } from '../../../src/store/store.js';
import { isVendorError, type VendorError } from '../../../src/vendors/error.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { adapterFor, createOp, message, openTestStore, refOf } from './support.js';

/**
 * GDPR erasure at Help Scout (integrations/helpscout/erase.ts): the person's conversations, then
 * their customers (Delete Customer: a hard delete of the customer, their conversations and survey
 * responses), and what the API refuses goes to `manual`.
 */
let db: Awaited<ReturnType<typeof openTestStore>>;
let store: Store;
let fake: FakeHelpScout;
let adapter: ReturnType<typeof adapterFor>['adapter'];
beforeAll(async () => {
  db = await openTestStore();
  store = db.store;
  fake = await startFakeHelpScout();
  // A generous budget: this file is about what is deleted, not about pacing (client.test.ts is).
  adapter = adapterFor(fake, store, { rateLimit: '100000/60' }).adapter;
});
afterAll(async () => {
  await fake?.close();
  await db?.close();
});
beforeEach(() => fake.setFaults({ errorRate: 0, searchLagMs: 0 }));

async function hubConversation(customer: HelpdeskCustomer, channel: 'chat' | 'email'): Promise<ConversationRef> {
  const op = createOp({ customer, channel, messages: [message(`Help, I am ${customer.name ?? 'here'}`)] });
  const outcome = await adapter.write(op);
  return refOf(op, outcome.externalId!, outcome.metadata ?? {});
}

/** A person with hub conversations (email, and chat under the hub's chat address), mail sent to Help Scout directly (one marked spam), and a second address only Help Scout knows. */
async function personWithHistory(tag: string) {
  const email = `${tag}@customer.example`;
  const other = `${tag}.work@customer.example`;
  const contactId = randomUUID();
  const refs = [await hubConversation({ email, name: `${tag} Customer`, verified: true }, 'email'), await hubConversation({ email, name: `${tag} Customer`, verified: false, contactId }, 'chat')];
  await fake.agentReply(refs[0]!.externalId, 'We are on it');
  const direct = await fake.customerWrites({ email, subject: 'Straight to Help Scout', text: `Mail from ${tag}` });
  const spam = await fake.customerWrites({ email, subject: 'Looks like spam', text: 'Buy now' });
  fake.raw(spam.conversationId)!.status = 'spam';
  await fake.agentNote(spam.conversationId, 'marked as spam');
  const unsynced = await fake.customerWrites({ email: other, subject: 'From my work address', text: 'Another one' });
  const person: HelpdeskPerson = { emails: [email, other, helpdeskChatAddress(contactId)], conversations: refs };
  return { person, conversations: [...refs.map((r) => r.externalId), direct.conversationId, spam.conversationId, unsynced.conversationId] };
}

const remnants = (person: HelpdeskPerson) => person.emails.map((email) => ({ email, ...fake.remnantsOf(email) }));
const none = (person: HelpdeskPerson) => person.emails.map((email) => ({ email, customers: [], conversations: [] }));

describe('Help Scout erasure of one person', () => {
  it('deletes every conversation and customer of the person, leaves someone whose address merely contains theirs, and says what it did', async () => {
    // "pat@…" is a substring of "tpat@…": searches match parts of values.
    const { person, conversations } = await personWithHistory('pat');
    const bystander = await personWithHistory('tpat');
    const bystanderBefore = remnants(bystander.person);
    const customers = person.emails.flatMap((email) => fake.remnantsOf(email).customers);
    expect(customers).toHaveLength(3);

    const erasure = await adapter.erasePerson!(person);

    expect(remnants(person)).toEqual(none(person));
    for (const id of conversations) {
      expect(fake.raw(id)).toBeUndefined();
      expect(await adapter.conversation(id)).toBeNull();
    }
    expect(erasure.manual).toEqual([]);
    expect(erasure.done[0]).toBe('5 conversations deleted');
    expect(erasure.done.slice(1).sort()).toEqual(customers.map((id) => `customer ${id} deleted, with any remaining conversations and survey responses`).sort());
    expect(remnants(bystander.person)).toEqual(bystanderBefore);
  });

  it('a second erasure of the same person finds nothing and says so with empty lines', async () => {
    const { person } = await personWithHistory(`again${Date.now()}`);
    await adapter.erasePerson!(person);
    const before = fake.requests().length;
    expect(await adapter.erasePerson!(person)).toEqual({ done: [], manual: [] });
    expect(fake.requests().slice(before).filter((r) => r.method === 'DELETE').every((r) => r.status === 404)).toBe(true);
  });

  it('a customer with a conversation in an inbox the app cannot see cannot be deleted through the API: that goes to manual', async () => {
    const tag = `hidden${Date.now()}`;
    const ref = await hubConversation({ email: `${tag}@customer.example`, name: 'Hidden Inbox', verified: true }, 'email');
    const elsewhere = fake.customerWritesElsewhere({ email: `${tag}@customer.example`, subject: 'To the billing inbox', text: 'Invoice question' });
    const customerId = String(ref.metadata['customerId']);

    const erasure = await adapter.erasePerson!({ emails: [`${tag}@customer.example`], conversations: [ref] });

    expect(erasure.done).toEqual(['1 conversation deleted']);
    expect(erasure.manual).toEqual([expect.stringMatching(new RegExp(`^Help Scout customer ${customerId} could not be deleted through the API \\(403: .*\\): delete the customer from their profile in Help Scout`))]);
    expect(fake.remnantsOf(`${tag}@customer.example`)).toEqual({ customers: [Number(customerId)], conversations: [Number(elsewhere.conversationId)] });
  });

  it('a 5xx outage makes erasePerson throw a retryable error; the retry completes', async () => {
    const { person } = await personWithHistory(`outage${Date.now()}`);
    fake.setFaults({ errorRate: 1 });
    const error = await adapter.erasePerson!(person).then(() => null, (e: unknown) => e as VendorError);
    expect(isVendorError(error)).toBe(true);
    expect(error!.kind).toBe('unavailable');
    expect(error!.status).toBeGreaterThanOrEqual(500);
    fake.setFaults({ errorRate: 0 });
    const retried = await adapter.erasePerson!(person);
    expect(remnants(person)).toEqual(none(person));
    expect(retried.manual).toEqual([]);
  });

  it('customerIdsIn reads the customer id the adapter recorded', async () => {
    const ref = await hubConversation({ email: `ids${Date.now()}@customer.example`, name: null, verified: true }, 'email');
    expect(typeof ref.metadata['customerId']).toBe('number');
    expect(adapter.customerIdsIn!(ref.metadata)).toEqual([String(ref.metadata['customerId'])]);
    expect(adapter.customerIdsIn!({})).toEqual([]);
  });
});
