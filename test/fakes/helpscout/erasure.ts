import { ApiError, errorBody, notFound } from './requests.js';
import { iso, type HelpScoutState, type Person, type StoredConversation } from './state.js';
import type { ApiResult } from './api.js';

/**
 * The Mailbox API 2.0 endpoints a GDPR erasure uses: List Customers (`query`), List Emails of a
 * customer, Delete Conversation, Delete Customer (README › "Erasure": what is documented, what is
 * assumed). Conversations in an inbox the app's user cannot see (`otherInboxId`) model Delete
 * Customer's documented 403.
 */
export class HelpScoutErasure {
  constructor(
    private readonly state: HelpScoutState,
    private readonly settings: {
      base: string;
      /** An inbox of the account the app's user has no access to. */
      otherInboxId: number;
      page(name: string, items: unknown[], query: URLSearchParams, path: string): Record<string, unknown>;
    },
  ) {}

  /** The conversation is in an inbox the app's user can see. */
  accessible(conversation: StoredConversation): boolean {
    return conversation.mailboxId !== this.settings.otherInboxId;
  }

  /** The answer when the request is one of these endpoints, else null. */
  handle(method: string, parts: string[], query: URLSearchParams): ApiResult | null {
    const [resource, id, sub] = parts;
    if (resource === 'conversations' && id && parts.length === 2 && method === 'DELETE') return this.deleteConversation(id);
    if (resource !== 'customers') return null;
    if (!id && method === 'GET') return this.listCustomers(query);
    const customer = id && /^\d+$/.test(id) ? this.state.customers.get(Number(id)) : undefined;
    if (parts.length === 3 && sub === 'emails' && method === 'GET') return this.emails(this.known(customer));
    if (parts.length === 2 && method === 'DELETE') return this.deleteCustomer(this.known(customer));
    return null;
  }

  /** Delete Conversation: 204 (…/endpoints/conversations/delete); afterwards every read is a 404. */
  private deleteConversation(id: string): ApiResult {
    const conversation = /^\d+$/.test(id) ? this.state.conversations.get(Number(id)) : undefined;
    if (!conversation) throw notFound('Conversation');
    if (!this.accessible(conversation)) throw forbidden();
    this.state.conversations.delete(conversation.id);
    return { status: 204 };
  }

  /**
   * List Customers with an advanced `query`: `(email:"…")` matches every customer whose address
   * contains the value (assumed: the unfriendly reading of a search), a bare term names and addresses.
   */
  private listCustomers(query: URLSearchParams): ApiResult {
    const text = (query.get('query') ?? '').trim().replace(/^\((.*)\)$/, '$1').trim();
    const field = /^email\s*:\s*"?([^"]*)"?$/i.exec(text);
    const needle = (field?.[1] ?? text.replace(/"/g, '')).toLowerCase();
    const customers = [...this.state.customers.values()]
      .filter((c) => needle === '' || c.email.includes(needle) || (!field && `${c.first ?? ''} ${c.last ?? ''}`.toLowerCase().includes(needle)))
      // "Customers are by default sorted by createdAt (from newest to oldest)" (…/customers/list).
      .sort((a, b) => b.id - a.id)
      .map((c) => this.customerJson(c));
    return { status: 200, body: this.settings.page('customers', customers, query, '/customers') };
  }

  /** List Emails: the customer's addresses (CustomerPayloads.getEmails). */
  private emails(customer: Person): ApiResult {
    const self = `${this.settings.base}/customers/${customer.id}/emails`;
    return {
      status: 200,
      body: { _embedded: { emails: [{ id: customer.id * 10 + 1, value: customer.email, type: 'work', _links: { self: { href: `${self}/${customer.id * 10 + 1}` } } }] }, _links: { self: { href: self } } },
    };
  }

  /**
   * Delete Customer "deletes a customer, their survey responses and their conversations": every
   * conversation they are the customer of or wrote in. 403 "if the user does not have access to all
   * of the customer's conversations" or "the customer has more than 100 conversations" (body
   * assumed). 204 No Content.
   */
  private deleteCustomer(customer: Person): ApiResult {
    const theirs = [...this.state.conversations.values()].filter((c) => c.customerId === customer.id || c.threads.some((t) => t.customerId === customer.id));
    if (theirs.length > 100 || theirs.some((c) => !this.accessible(c))) throw forbidden();
    for (const conversation of theirs) this.state.conversations.delete(conversation.id);
    this.state.customers.delete(customer.id);
    return { status: 204 };
  }

  /** Everything the account still holds of an address, for tests: customers and conversations (any inbox). */
  remnantsOf(email: string): { customers: number[]; conversations: number[] } {
    const wanted = email.toLowerCase();
    const customers = [...this.state.customers.values()].filter((c) => c.email === wanted).map((c) => c.id);
    const conversations = [...this.state.conversations.values()]
      .filter((c) => customers.includes(c.customerId) || c.threads.some((t) => customers.includes(t.customerId) || t.body.toLowerCase().includes(wanted)))
      .map((c) => c.id);
    return { customers, conversations };
  }

  private known(customer: Person | undefined): Person {
    if (!customer) throw notFound('Customer');
    return customer;
  }

  /** A customer as List Customers shows it (every key of CustomerPayloads.getCustomers; the fake keeps no profile details). */
  private customerJson(customer: Person): Record<string, unknown> {
    const self = `${this.settings.base}/customers/${customer.id}`;
    const created = iso(customer.createdAt ?? 0);
    return {
      id: customer.id,
      firstName: customer.first ?? '',
      lastName: customer.last ?? '',
      gender: 'Unknown',
      jobTitle: '',
      location: '',
      organization: '',
      photoType: 'unknown',
      photoUrl: '',
      createdAt: created,
      updatedAt: created,
      background: '',
      age: '',
      _links: Object.fromEntries([...['address', 'chats', 'emails', 'phones', 'social-profiles', 'websites'].map((k) => [k, { href: `${self}/${k}` }]), ['self', { href: self }]]),
    };
  }
}

const forbidden = () => new ApiError(403, errorBody('Access denied'));
