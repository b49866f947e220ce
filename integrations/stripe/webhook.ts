import Stripe from 'stripe';
import { z } from 'zod';
import type { AccountChange, AccountWebhook } from '../../src/capabilities/account-data.js';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { HubError } from '../../src/errors.js';
import { thinEventChange, thinEventSchema } from './thin-events.js';

export { STRIPE_EVERY_CARD_KEY } from './facts.js';

/**
 * `POST /webhooks/stripe`: which cached cards a Stripe event makes stale. Both payloads an event
 * destination can send are accepted: snapshot events (`object: "event"`, the changed object in
 * `data.object`) and thin events (`object: "v2.core.event"`, only a `related_object`; see
 * thin-events.ts). Which to choose: integrations/stripe/README.md.
 */

/** The SDK's default and Stripe's advice (docs.stripe.com/webhooks/signature, replay attacks): older signatures are replays. */
export const STRIPE_SIGNATURE_TOLERANCE_SECONDS = 300;

const eventSchema = z.object({
  id: z.string().min(1),
  object: z.literal('event'),
  type: z.string().min(1),
  data: z.object({
    object: z.record(z.string(), z.unknown()),
    previous_attributes: z.record(z.string(), z.unknown()).optional(),
  }),
});

/** An id field as Stripe sends it: the id, or the object when expanded. */
function idOf(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  if (value && typeof value === 'object' && 'id' in value && typeof value.id === 'string') return value.id;
  return null;
}

/** The hub keys cards by lowercase address (Stripe keeps the case it was given). */
function emailOf(value: unknown): string | null {
  return typeof value === 'string' && value.includes('@') ? value.trim().toLowerCase() : null;
}

const present = <T>(values: (T | null)[]): T[] => [...new Set(values.filter((v): v is T => v !== null))];

export function stripeAccountWebhook(webhookSecret: string, options: { now?: () => number } = {}): AccountWebhook {
  return {
    verify(request: RawRequest) {
      const header = request.headers['stripe-signature'];
      if (typeof header !== 'string' || !header) return { ok: false, reason: 'missing Stripe-Signature header' };
      const signature = Stripe.webhooks.signature;
      if (!signature) return { ok: false, reason: 'the Stripe SDK has no signature helper' };
      try {
        // The check the SDK's constructEvent (snapshot) and parseEventNotification (thin) both
        // make, without their gate on the payload kind: one `Stripe-Signature` scheme for both
        // (docs.stripe.com/webhooks#verify-events). Constant-time comparison and the timestamp
        // window are the SDK's (Webhooks.js).
        signature.verifyHeader(request.rawBody, header, webhookSecret, STRIPE_SIGNATURE_TOLERANCE_SECONDS, undefined, options.now?.());
        return { ok: true };
      } catch (error) {
        if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
          return { ok: false, reason: error.message.split('\n')[0] ?? 'signature mismatch' };
        }
        throw error;
      }
    },

    changes(request: RawRequest): AccountChange {
      let body: unknown;
      try {
        body = JSON.parse(request.rawBody.toString('utf8'));
      } catch {
        throw new HubError(400, 'invalid_webhook', 'Stripe webhook body is not JSON');
      }
      if (typeof body === 'object' && body !== null && 'object' in body && body.object === 'v2.core.event') {
        const thin = thinEventSchema.safeParse(body);
        if (!thin.success) throw new HubError(400, 'invalid_webhook', 'Stripe webhook body is not a thin event (needs id, object: "v2.core.event", type)');
        return thinEventChange(thin.data);
      }
      const parsed = eventSchema.safeParse(body);
      if (!parsed.success) throw new HubError(400, 'invalid_webhook', 'Stripe webhook body is not a Stripe event (needs id, object: "event", type, data.object; or object: "v2.core.event")');
      const event = parsed.data;
      const object = event.data.object;
      const change = { id: event.id, type: event.type };
      if (event.type.startsWith('customer.subscription.')) {
        return { ...change, emails: [], keys: present([idOf(object['customer'])]) };
      }
      if (event.type.startsWith('customer.')) {
        if (object['object'] === 'customer') {
          // An address change leaves the card cached under the old address stale too.
          const previousEmail = event.data.previous_attributes?.['email'];
          return { ...change, emails: present([emailOf(object['email']), emailOf(previousEmail)]), keys: present([idOf(object['id'])]) };
        }
        // customer.discount.*, customer.source.*, customer.tax_id.*: the object names its customer.
        return { ...change, emails: [], keys: present([idOf(object['customer'])]) };
      }
      if (event.type.startsWith('invoice.')) {
        return { ...change, emails: present([emailOf(object['customer_email'])]), keys: present([idOf(object['customer'])]) };
      }
      return { ...change, emails: [], keys: [] };
    },
  };
}
