import type { ConnectionCheck } from './helpdesk.js';
import type { RawRequest, VerifyResult } from './webhook.js';

/** Facts about a customer from one source (Stripe, the product's own backend, …). */
export interface AccountFacts {
  source: string;
  company?: string;
  /** The person's role in the account (`owner`, `admin`, …); an owner gets a badge on the card. */
  role?: string;
  customerSince?: Date;
  plan?: { name: string; interval: string | null; amountMinor: number | null; currency: string | null };
  status?: 'paid' | 'trialing' | 'trial_expired' | 'past_due' | 'canceled' | 'none';
  trialEndsAt?: Date | null;
  renewsAt?: Date | null;
  seats?: { used: number | null; limit: number | null };
  /** Other counted limits of the plan (`Employees: 48 of 50`); limit null = unlimited. */
  limits?: { label: string; used: number | null; limit: number | null }[];
  modules?: string[];
  timeZone?: string;
  /** `text` is what the link reads (e.g. the Stripe customer id); default "Open". */
  links?: { label: string; url: string; text?: string }[];
  /** How many other records matched the same email (e.g. several Stripe customers). */
  otherMatches?: number;
  /**
   * The source's own ids behind these facts (Stripe: the customer ids that matched), so a change
   * notification naming only an id (a subscription event names its customer) finds the cached card.
   */
  keys?: string[];
  extra?: Record<string, string | number | boolean>;
}

export interface AccountDataCapability {
  /** The section's title on the card when it is not the integration's name (e.g. PRODUCT_NAME). */
  title?: string;
  /** What the source tells about, for "… unavailable" lines when it fails (Stripe: `Billing`). */
  topic?: string;
  /**
   * Resolves to null when the source has no account for this email. The sidebar gives every source
   * the same time budget and aborts `signal` when it runs out; a late answer is not shown.
   */
  lookup(email: string, signal: AbortSignal): Promise<AccountFacts | null>;
  checkConnection(): Promise<ConnectionCheck>;
  /**
   * The source's change notifications, `POST /webhooks/{integration id}` (Stripe: customer,
   * subscription and invoice events). The sidebar cache drops every entry a change names.
   */
  webhook?: AccountWebhook;
}

export interface AccountWebhook {
  /** Proves the notification comes from the source, over the exact bytes, before any parsing. */
  verify(request: RawRequest): VerifyResult;
  /** What changed; throws a 400 HubError when the body is not the source's payload. */
  changes(request: RawRequest): AccountChange;
}

export interface AccountChange {
  /** Delivery id, for logs (a notification is idempotent: dropping a cache entry twice is harmless). */
  id: string;
  /** Event type as the source names it (e.g. `customer.subscription.updated`). */
  type: string;
  /** Addresses whose cached facts are stale. */
  emails: string[];
  /** Source ids (see AccountFacts.keys) whose cached facts are stale. */
  keys: string[];
}
