import type { ConnectionCheck } from './helpdesk.js';

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
  modules?: string[];
  timeZone?: string;
  links?: { label: string; url: string }[];
  /** How many other records matched the same email (e.g. several Stripe customers). */
  otherMatches?: number;
  extra?: Record<string, string | number | boolean>;
}

export interface AccountDataCapability {
  /**
   * Resolves to null when the source has no account for this email. The sidebar gives every source
   * the same time budget and aborts `signal` when it runs out; a late answer is not shown.
   */
  lookup(email: string, signal: AbortSignal): Promise<AccountFacts | null>;
  checkConnection(): Promise<ConnectionCheck>;
}
