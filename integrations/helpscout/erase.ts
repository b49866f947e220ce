import { z } from 'zod';
import type { HelpdeskErasure, HelpdeskPerson } from '../../src/capabilities/helpdesk.js';
import { isVendorError } from '../../src/vendors/error.js';
import type { HelpScoutClient } from './client.js';
import { conversationsPage, parseVendor } from './mapper.js';

/** List Customers (CustomerPayloads.getCustomers): ids only; the addresses are checked one by one. */
export const customersPage = z.object({
  _embedded: z.object({ customers: z.array(z.object({ id: z.number() })) }).nullish(),
  page: z.object({ number: z.number(), totalPages: z.number() }).nullish(),
});
/** List Emails of a customer (CustomerPayloads.getEmails). */
export const customerEmails = z.object({ _embedded: z.object({ emails: z.array(z.object({ value: z.string() })) }).nullish() });

/** Pages of one search read at most (50 each). */
const MAX_PAGES = 20;

/**
 * One person's erasure at Help Scout (Mailbox API 2.0):
 *
 * - Conversations: the hub's, and every conversation whose customer has one of the person's
 *   addresses (List Conversations `query=(email:"…")`, in every inbox the app's user can see, with
 *   `status=all` and `status=spam`), each removed with Delete Conversation (204).
 * - Customers: the ids the hub recorded, and every customer found by address (List Customers
 *   `query=(email:"…")`, confirmed by the customer's own email list, since a search also matches
 *   parts of values), each removed with Delete Customer, which "deletes a customer, their survey
 *   responses and their conversations in compliance with GDPR's right of erasure" and "hard-deletes"
 *   (…/endpoints/customers/delete). It "will fail with an HTTP 403" when the user cannot see all the
 *   customer's conversations or the customer has more than 100: conversations go first, and a 403
 *   goes to `manual` for a human.
 *
 * A 404 is done (already gone), so a retry repeats harmlessly; transient failures propagate as the
 * client's VendorErrors.
 */
export async function eraseHelpScoutPerson(client: HelpScoutClient, person: HelpdeskPerson, signal?: AbortSignal): Promise<HelpdeskErasure> {
  const emails = [...new Set(person.emails.map((e) => e.trim().toLowerCase()).filter((e) => e.length > 0))];
  const conversationIds = new Set(person.conversations.map((ref) => ref.externalId));
  for (const email of emails) for (const id of await conversationsOf(client, email, signal)) conversationIds.add(id);
  const customerIds = new Set(person.conversations.flatMap((ref) => helpScoutCustomerIds(ref.metadata)));
  for (const email of emails) for (const id of await customersWith(client, email, customerIds, signal)) customerIds.add(id);

  const done: string[] = [];
  const manual: string[] = [];
  let deleted = 0;
  for (const id of conversationIds) {
    const outcome = await removed(() => client.delete(`/conversations/${id}`, signal));
    if (outcome === 'deleted') deleted++;
    if (outcome === 'forbidden') {
      manual.push(`Help Scout conversation ${id} could not be deleted through the API (403: the app's user has no access to its inbox): delete it in Help Scout as a user who can see that inbox`);
    }
  }
  if (deleted > 0) done.push(`${deleted} ${deleted === 1 ? 'conversation' : 'conversations'} deleted`);
  for (const id of customerIds) {
    const outcome = await removed(() => client.delete(`/customers/${id}`, signal));
    if (outcome === 'deleted') done.push(`customer ${id} deleted, with any remaining conversations and survey responses`);
    if (outcome === 'forbidden') {
      manual.push(
        `Help Scout customer ${id} could not be deleted through the API (403: Help Scout requires the app's user to see every conversation of the customer, and at most 100 of them): delete the customer from their profile in Help Scout as a user with access to every inbox`,
      );
    }
  }
  return { done, manual };
}

/** Help Scout's customer id a conversation's metadata records (createdThreads keeps it for appends). */
export function helpScoutCustomerIds(metadata: Record<string, unknown>): string[] {
  const id = metadata['customerId'];
  return typeof id === 'number' && Number.isSafeInteger(id) ? [String(id)] : [];
}

/** Conversations whose customer has exactly this address, in every inbox and status (spam is listed only on its own: assumed). */
async function conversationsOf(client: HelpScoutClient, email: string, signal?: AbortSignal): Promise<string[]> {
  const ids: string[] = [];
  for (const status of ['all', 'spam']) {
    for (let page = 1; page <= MAX_PAGES; page++) {
      const response = await client.get('/conversations', { query: `(email:"${email.replace(/"/g, '')}")`, status, page }, signal);
      const body = parseVendor(conversationsPage, response.body, 'conversation list');
      for (const conversation of body._embedded?.conversations ?? []) {
        if (conversation.primaryCustomer?.email?.toLowerCase() === email) ids.push(String(conversation.id));
      }
      if (!body.page || body.page.number >= body.page.totalPages) break;
    }
  }
  return ids;
}

/** Customers with exactly this address (confirmed on each one's email list); `known` ones are not checked again. */
async function customersWith(client: HelpScoutClient, email: string, known: ReadonlySet<string>, signal?: AbortSignal): Promise<string[]> {
  const candidates: string[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const response = await client.get('/customers', { query: `(email:"${email.replace(/"/g, '')}")`, page }, signal);
    const body = parseVendor(customersPage, response.body, 'customer list');
    candidates.push(...(body._embedded?.customers ?? []).map((c) => String(c.id)));
    if (!body.page || body.page.number >= body.page.totalPages) break;
  }
  const confirmed: string[] = [];
  for (const id of candidates) {
    if (known.has(id)) continue;
    const response = await removedOr(() => client.get(`/customers/${id}/emails`, undefined, signal));
    if (!response) continue;
    const list = parseVendor(customerEmails, response.body, 'customer email list');
    if ((list._embedded?.emails ?? []).some((e) => e.value.trim().toLowerCase() === email)) confirmed.push(id);
  }
  return confirmed;
}

/** A delete's outcome: done now, gone already (404), or refused (403). */
async function removed(remove: () => Promise<unknown>): Promise<'deleted' | 'gone' | 'forbidden'> {
  try {
    await remove();
    return 'deleted';
  } catch (error) {
    if (isVendorError(error) && error.kind === 'not_found') return 'gone';
    if (isVendorError(error) && error.kind === 'forbidden') return 'forbidden';
    throw error;
  }
}

async function removedOr<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (error) {
    if (isVendorError(error) && error.kind === 'not_found') return null;
    throw error;
  }
}
