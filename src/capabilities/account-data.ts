import type { ConnectionCheck } from './helpdesk.js';

/** Facts about a customer from one source (Stripe, the product's own backend, …). */
export interface AccountFacts {
  source: string;
  company?: string;
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
  /** Resolves to null when the source has no account for this email. */
  lookup(email: string, signal: AbortSignal): Promise<AccountFacts | null>;
  checkConnection(): Promise<ConnectionCheck>;
}
