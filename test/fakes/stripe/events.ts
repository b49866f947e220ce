import { randomBytes } from 'node:crypto';
import type Stripe from 'stripe';
import { fixture, stored, stripeId, type StripeJson, type StripeObject } from './model.js';

/** Webhook payloads as Stripe sends them: snapshot events (from the fixture) and thin events. */

/** A snapshot event as Stripe delivers it to a webhook endpoint (docs.stripe.com/api/events/object). */
export function eventObject(type: Stripe.Event.Type, object: StripeJson, options: { previousAttributes?: StripeJson; apiVersion: string; now: number }): StripeObject {
  const event = {
    ...fixture('event'),
    id: stripeId('evt'),
    api_version: options.apiVersion,
    created: options.now,
    type,
    livemode: object['livemode'] === true,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object, ...(options.previousAttributes ? { previous_attributes: options.previousAttributes } : {}) },
  } satisfies Stripe.EventBase;
  return stored(event);
}

/** The type of a thin event Stripe sends for an API v1 resource (`v1.customer.updated`, …; SDK type V2.Core.Event). */
export type ThinEventType = Stripe.V2.Core.Event['type'];

/** What a thin event points at (SDK types V2.Core.Events.RelatedObject / RelatedSingletonObject). */
export type RelatedObject = Stripe.V2.Core.Events.RelatedObject | Stripe.V2.Core.Events.RelatedSingletonObject;

/** The API v1 path of a stored object, as `related_object.url` gives it. */
export function objectUrl(object: StripeJson): string {
  const id = object['id'] as string;
  switch (object['object']) {
    case 'customer':
      return `/v1/customers/${id}`;
    case 'subscription':
      return `/v1/subscriptions/${id}`;
    case 'invoice':
      return `/v1/invoices/${id}`;
    case 'tax_id':
      return `/v1/customers/${object['customer'] as string}/tax_ids/${id}`;
    default:
      return `/v1/${String(object['object'])}s/${id}`;
  }
}

/**
 * A thin event (docs.stripe.com/api/v2/core/events/object; API v1 resources since 2026-09-30):
 * no snapshot, only the related object's id, type and URL, and for some types `changes` (the
 * changed fields before and after). The SDK types `context` as an optional string; Stripe's own
 * examples print `"context": null`, which the hub accepts too (webhook.test.ts).
 */
export function thinEventObject(
  type: ThinEventType,
  related: RelatedObject | null,
  options: { changes?: { before?: StripeJson; after?: StripeJson }; livemode: boolean; now: number; snapshotEvent?: string },
): StripeObject {
  const event = {
    id: stripeId('evt'),
    object: 'v2.core.event',
    type,
    created: new Date(options.now * 1000).toISOString(),
    livemode: options.livemode,
    reason: { type: 'request', request: { id: stripeId('req'), idempotency_key: randomBytes(16).toString('hex') } },
    related_object: related,
    ...(options.changes ? { changes: options.changes } : {}),
    ...(options.snapshotEvent ? { snapshot_event: options.snapshotEvent } : {}),
  } satisfies Stripe.V2.Core.EventBase & { related_object: RelatedObject | null };
  return stored(event);
}
