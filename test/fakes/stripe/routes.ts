import { errors } from './errors.js';
import type { StripeJson, StripeObject } from './model.js';
import { StripeState } from './state.js';

/**
 * The endpoints the hub calls, with Stripe's parameter rules: unknown parameters are a 400
 * `parameter_unknown` (so a typo in the client fails here as it would at Stripe), `limit` is
 * 1–100 (default 10), expansions are checked for depth (four levels) and expandability.
 */

/** `expand[0]=a&expand[]=b` (the SDK sends indexed brackets) → `expand: [a, b]`. */
export function parseQuery(search: URLSearchParams): Map<string, string[]> {
  const params = new Map<string, string[]>();
  for (const [rawKey, value] of search) {
    const key = rawKey.replace(/\[\d*\]$/, '');
    params.set(key, [...(params.get(key) ?? []), value]);
  }
  return params;
}

export type Permission = 'customers' | 'subscriptions' | 'products';

export interface RouteContext {
  state: StripeState;
  params: Map<string, string[]>;
  /** Throws the 403 a restricted key without this read permission gets. */
  requireRead(permission: Permission): void;
}

type Route = (context: RouteContext) => StripeJson;

function allowOnly(params: Map<string, string[]>, allowed: string[]): void {
  for (const key of params.keys()) {
    if (!allowed.includes(key)) throw errors.unknownParameter(key);
  }
}

function one(params: Map<string, string[]>, key: string): string | undefined {
  return params.get(key)?.at(-1);
}

function limitOf(params: Map<string, string[]>): number {
  const raw = one(params, 'limit');
  if (raw === undefined) return 10;
  if (!/^\d+$/.test(raw)) throw errors.invalidParameter('limit', `Invalid integer: ${raw}`);
  const limit = Number(raw);
  if (limit < 1 || limit > 100) throw errors.invalidParameter('limit', 'This value must be greater than or equal to 1 and less than or equal to 100.');
  return limit;
}

/** A page of a newest-first list, after `starting_after` when given. */
function page(objects: StripeObject[], params: Map<string, string[]>, url: string): StripeJson {
  const after = one(params, 'starting_after');
  const start = after === undefined ? 0 : objects.findIndex((o) => o.id === after) + 1;
  const limit = limitOf(params);
  const data = objects.slice(start, start + limit);
  return { object: 'list', data, has_more: start + limit < objects.length, url };
}

function expansions(params: Map<string, string[]>, expandable: string[]): Set<string> {
  const wanted = params.get('expand') ?? [];
  for (const path of wanted) {
    if (path.split('.').length > 4) throw errors.tooDeep(path);
    if (!expandable.includes(path)) throw errors.notExpandable(path);
  }
  return new Set(wanted);
}

/** Customers with `subscriptions` when expanded: a list of their current ones (first page of 10). */
function withSubscriptions(state: StripeState, customers: StripeObject[], expand: Set<string>): StripeObject[] {
  if (!expand.has('data.subscriptions')) return customers;
  return customers.map((customer) => {
    const subscriptions = state.currentSubscriptionsOf(customer.id);
    return { ...customer, subscriptions: { object: 'list', data: subscriptions.slice(0, 10), has_more: subscriptions.length > 10, url: `/v1/customers/${customer.id}/subscriptions` } };
  });
}

const getCustomers: Route = ({ state, params, requireRead }) => {
  allowOnly(params, ['email', 'limit', 'starting_after', 'expand']);
  requireRead('customers');
  const expand = expansions(params, ['data.subscriptions']);
  if (expand.has('data.subscriptions')) requireRead('subscriptions');
  const email = one(params, 'email');
  // Stripe: "A case-sensitive filter on the list based on the customer's email field."
  const customers = StripeState.newestFirst([...state.customers.values()].filter((c) => email === undefined || c['email'] === email));
  const result = page(customers, params, '/v1/customers');
  result['data'] = withSubscriptions(state, result['data'] as StripeObject[], expand);
  return result;
};

/** Lowercase words, as search compares strings (docs.stripe.com/search: string matches are case insensitive). */
const words = (text: string) => text.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);

/** docs.stripe.com/search: an exact match on a string "returns any record where that record contains all of the words from the query in the same order". */
function containsInOrder(record: string[], query: string[]): boolean {
  let at = 0;
  for (const word of record) if (word === query[at]) at++;
  return query.length > 0 && at === query.length;
}

/**
 * `GET /v1/customers/search` (docs.stripe.com/api/customers/search): only the query the hub
 * sends is modelled, one `email:"…"` clause (single or double quotes, backslash escapes);
 * anything else is a 400. Writes show after the state's `searchLagMs`.
 */
const searchCustomers: Route = ({ state, params, requireRead }) => {
  allowOnly(params, ['query', 'limit', 'page', 'expand']);
  requireRead('customers');
  const expand = expansions(params, ['data.subscriptions', 'total_count']);
  if (expand.has('data.subscriptions')) requireRead('subscriptions');
  const query = one(params, 'query');
  if (query === undefined) throw errors.missingParameter('query');
  const clause = /^\s*email\s*:\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*$/.exec(query);
  if (!clause) throw errors.invalidParameter('query', `The fake models only one email:"…" clause; got ${query}`);
  const wanted = words((clause[1] ?? clause[2] ?? '').replace(/\\(.)/g, '$1'));
  const now = Date.now();
  const found = StripeState.newestFirst(
    [...state.customers.values()].filter((customer) => {
      const indexed = state.searchableEmail(customer.id, now);
      return indexed !== null && containsInOrder(words(indexed), wanted);
    }),
  );
  const limit = limitOf(params);
  const data = withSubscriptions(state, found.slice(0, limit), expand);
  return {
    object: 'search_result',
    data,
    has_more: found.length > limit,
    next_page: null,
    url: '/v1/customers/search',
    ...(expand.has('total_count') ? { total_count: found.length } : {}),
  };
};

const getProducts: Route = ({ state, params, requireRead }) => {
  allowOnly(params, ['ids', 'active', 'limit', 'starting_after', 'expand']);
  requireRead('products');
  expansions(params, []);
  const ids = params.get('ids');
  const active = one(params, 'active');
  const products = [...state.products.values()].filter(
    (p) => (ids === undefined || ids.includes(p.id)) && (active === undefined || String(p['active']) === active),
  );
  return page(StripeState.newestFirst(products), params, '/v1/products');
};

const STATUS_FILTERS: Record<string, (status: string) => boolean> = {
  default: (s) => s !== 'canceled',
  all: () => true,
  ended: (s) => s === 'canceled' || s === 'incomplete_expired',
};

const getSubscriptions: Route = ({ state, params, requireRead }) => {
  allowOnly(params, ['customer', 'status', 'limit', 'starting_after', 'expand']);
  requireRead('subscriptions');
  expansions(params, ['data.customer', 'data.latest_invoice']);
  const customer = one(params, 'customer');
  const status = one(params, 'status');
  const known = ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'];
  if (status !== undefined && !known.includes(status)) {
    throw errors.invalidParameter('status', `Invalid status: must be one of ${known.join(', ')}`);
  }
  const matches = STATUS_FILTERS[status ?? 'default'] ?? ((s: string) => s === status);
  const subscriptions = [...state.subscriptions.values()].filter((s) => (customer === undefined || s['customer'] === customer) && matches(s['status'] as string));
  return page(StripeState.newestFirst(subscriptions), params, '/v1/subscriptions');
};

export const routes: Record<string, Route> = {
  'GET /v1/customers': getCustomers,
  'GET /v1/customers/search': searchCustomers,
  'GET /v1/products': getProducts,
  'GET /v1/subscriptions': getSubscriptions,
};

export function route(method: string, path: string): Route {
  const found = routes[`${method} ${path}`];
  if (!found) throw errors.unrecognizedUrl(method, path);
  return found;
}
