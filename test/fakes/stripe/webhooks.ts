import Stripe from 'stripe';
import type { StripeJson } from './model.js';

/**
 * Signing as Stripe signs webhook deliveries: `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256
 * (secret, t + "." + body)>` (docs.stripe.com/webhooks/signature), computed by the SDK's own test
 * helper so the fake and the hub cannot agree on a wrong scheme.
 */
export function stripeSignature(payload: string, secret: string, timestamp?: number): string {
  return Stripe.webhooks.generateTestHeaderString({ payload, secret, ...(timestamp !== undefined ? { timestamp } : {}) });
}

export interface WebhookSendOptions {
  /** Default: the fake's webhook secret. */
  secret?: string;
  /** Unix seconds the signature claims (default now). */
  timestamp?: number;
  /** Sent instead of a computed signature (e.g. none: ''). */
  signature?: string;
  /** Sent instead of the event's JSON (after signing the event), to tamper with the body. */
  body?: string;
}

export interface WebhookResponse {
  status: number;
  body: string;
}

export async function sendStripeWebhook(url: string, event: StripeJson | string, defaultSecret: string, options: WebhookSendOptions = {}): Promise<WebhookResponse> {
  // Stripe sends pretty-printed JSON; what matters is that the signature covers these exact bytes.
  const payload = typeof event === 'string' ? event : JSON.stringify(event, null, 2);
  const signature = options.signature ?? stripeSignature(payload, options.secret ?? defaultSecret, options.timestamp);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)' };
  if (signature) headers['stripe-signature'] = signature;
  const response = await fetch(url, { method: 'POST', headers, body: options.body ?? payload });
  return { status: response.status, body: await response.text() };
}
