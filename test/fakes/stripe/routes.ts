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

const getCustomers: Route = ({ state, params, requireRead }) => {
  allowOnly(params, ['email', 'limit', 'starting_after', 'expand']);
  requireRead('customers');
  const expand = expansions(params, ['data.subscriptions']);
  if (expand.has('data.subscriptions')) requireRead('subscriptions');
  const email = one(params, 'email');
  // Stripe: "A case-sensitive filter on the list based on the customer's email field."
  const customers = StripeState.newestFirst([...state.customers.values()].filter((c) => email === undefined || c['email'] === email));
  const result = page(customers, params, '/v1/customers');
  if (expand.has('data.subscriptions')) {
    result['data'] = (result['data'] as StripeObject[]).map((customer) => {
      const subscriptions = state.currentSubscriptionsOf(customer.id);
      return {
        ...customer,
        subscriptions: { object: 'list', data: subscriptions.slice(0, 10), has_more: subscriptions.length > 10, total_count: subscriptions.length, url: `/v1/customers/${customer.id}/subscriptions` },
      };
    });
  }
  return result;
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
  'GET /v1/products': getProducts,
  'GET /v1/subscriptions': getSubscriptions,
};

export function route(method: string, path: string): Route {
  const found = routes[`${method} ${path}`];
  if (!found) throw errors.unrecognizedUrl(method, path);
  return found;
}
