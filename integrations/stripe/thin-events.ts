import { z } from 'zod';
import type { AccountChange } from '../../src/capabilities/account-data.js';
import { STRIPE_EVERY_CARD_KEY } from './facts.js';

/**
 * Thin events: what an event destination with the thin payload posts
 * (docs.stripe.com/api/v2/core/events/object; for API v1 resources since 2026-09-30, named with a
 * `v1.` prefix: `v1.customer.updated`, `v1.customer.subscription.updated`, …). No snapshot: the
 * related object's id, type and API path, and for some types `changes` (the changed fields'
 * values before and after). Unversioned, so any field may be absent or null.
 */
export const thinEventSchema = z.object({
  id: z.string().min(1),
  object: z.literal('v2.core.event'),
  type: z.string().min(1),
  related_object: z
    .object({ id: z.string().min(1).optional(), type: z.string().optional(), url: z.string().optional() })
    .nullish(),
  changes: z
    .object({ before: z.record(z.string(), z.unknown()).nullish(), after: z.record(z.string(), z.unknown()).nullish() })
    .nullish(),
});

export type ThinEvent = z.infer<typeof thinEventSchema>;

/** `/v1/customers/cus_…` (and anything below it) in a related object's URL names the customer. */
function customerInUrl(url: string | undefined): string | null {
  return url ? (/^\/v1\/customers\/(cus_[A-Za-z0-9]+)(?:\/|$)/.exec(url)?.[1] ?? null) : null;
}

const emailOf = (value: unknown): string | null => (typeof value === 'string' && value.includes('@') ? value.trim().toLowerCase() : null);

const present = <T>(values: (T | null)[]): T[] => [...new Set(values.filter((v): v is T => v !== null))];

/**
 * Which cached cards a thin event makes stale, from what it carries alone: the webhook answers
 * without calling Stripe (an account-data source's `changes()` is synchronous).
 * - about a customer (`v1.customer.*`, or a customer's sub-object whose URL is under
 *   `/v1/customers/{id}`): that customer; with `changes`, the address before and after;
 * - about a subscription: its id, which every card of its customer carries among its keys
 *   (AccountFacts.keys); a subscription just created is one no cached card has seen, so every
 *   cached Stripe card is dropped;
 * - anything else (invoices, payments, the destination's ping): nothing. What a card shows of an
 *   invoice's outcome arrives as a subscription event (its status changes).
 */
export function thinEventChange(event: ThinEvent): AccountChange {
  const change = { id: event.id, type: event.type, emails: [] as string[], keys: [] as string[] };
  const related = event.related_object;
  if (!related) return change;
  // `v1.customer.subscription.updated` → `customer.subscription.updated`, as snapshot events name it.
  const type = event.type.replace(/^v1\./, '');
  if (type.startsWith('customer.subscription.') || related.type === 'subscription') {
    const keys = present([related.id ?? null]);
    return { ...change, keys: type === 'customer.subscription.created' ? [...keys, STRIPE_EVERY_CARD_KEY] : keys };
  }
  if (type.startsWith('customer.')) {
    const customer = related.type === 'customer' ? (related.id ?? null) : customerInUrl(related.url);
    const emails = present([emailOf(event.changes?.before?.['email']), emailOf(event.changes?.after?.['email'])]);
    return { ...change, emails, keys: present([customer]) };
  }
  return change;
}
