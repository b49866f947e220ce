import type Stripe from 'stripe';
import type { AccountFacts } from '../../src/capabilities/account-data.js';
import { formatMoment } from '../../src/sidebar/format.js';

/**
 * A Stripe subscription's status in the card's vocabulary, and what a pause means. Pure; the
 * rules are tested in test/integrations/stripe/facts.test.ts.
 */

type Status = NonNullable<AccountFacts['status']>;

/**
 * How much a subscription says about the account now. Live ones first (Stripe keeps billing
 * them), then paused and incomplete (waiting on the customer), then ended ones.
 */
export function subscriptionRank(subscription: Stripe.Subscription | null): number {
  if (!subscription) return 4;
  switch (subscription.status) {
    case 'active':
    case 'trialing':
    case 'past_due':
    case 'unpaid':
      return 0;
    case 'paused':
      return 1;
    case 'incomplete':
      return 2;
    default:
      return 3;
  }
}

/**
 * Why a `paused` subscription paused: `status_details.paused.subscription.type` (SDK type
 * Subscription.StatusDetails.Paused.Subscription.Type; docs.stripe.com/billing/subscriptions/pause
 * and …/revenue-recovery/smart-retries/pause-on-payment-failure). Null when Stripe sent no
 * status_details: API versions before the Pause endpoint (2026-05-27 preview, GA 2026-09-30),
 * when a subscription could "only enter a paused status when a trial ends without a payment
 * method".
 */
export function pauseReason(subscription: Stripe.Subscription): string | null {
  return subscription.status_details?.paused?.subscription?.type ?? null;
}

/** The reason as the card's "Paused" line says it; a reason this hub does not know is shown as Stripe wrote it. */
const PAUSE_REASON_TEXT: Record<string, string> = {
  trial_end_without_payment_method: 'trial ended without a payment method',
  pause_requested: 'on request',
  first_payment_failure: 'renewal payment failed',
  final_payment_failure: 'payment retries exhausted',
  system: 'by Stripe',
};

/**
 * Stripe's subscription status in the card's vocabulary. A trial that ended without a payment
 * method either pauses or cancels the subscription, per `trial_settings.end_behavior.
 * missing_payment_method` (docs.stripe.com/billing/subscriptions/trials/free-trials): both are
 * an expired trial, not a customer who left. A pause says why in `status_details`: after a failed
 * renewal payment or exhausted retries money is owed (past due); a requested pause, or one by
 * Stripe, has no badge and the card shows Stripe's word and the reason. Returns undefined where no
 * badge fits.
 */
export function accountStatus(subscription: Stripe.Subscription | null, now: Date): Status | undefined {
  if (!subscription) return 'none';
  const trialEnd = subscription.trial_end;
  const nowSeconds = now.getTime() / 1000;
  switch (subscription.status) {
    case 'active':
      return 'paid';
    case 'trialing':
      return 'trialing';
    case 'past_due':
    case 'unpaid':
    // The first invoice failed or awaits authentication: money is owed.
    case 'incomplete':
      return 'past_due';
    case 'incomplete_expired':
      return trialEnd !== null ? 'trial_expired' : 'canceled';
    case 'paused':
      switch (pauseReason(subscription)) {
        case null:
          return trialEnd !== null && trialEnd <= nowSeconds ? 'trial_expired' : undefined;
        case 'trial_end_without_payment_method':
          return 'trial_expired';
        case 'first_payment_failure':
        case 'final_payment_failure':
          return 'past_due';
        default:
          return undefined;
      }
    case 'canceled': {
      const endedAtTrialEnd = trialEnd !== null && subscription.ended_at !== null && subscription.ended_at >= trialEnd;
      const cancelsWhenTrialEnds = subscription.trial_settings?.end_behavior.missing_payment_method === 'cancel';
      return endedAtTrialEnd && cancelsWhenTrialEnds ? 'trial_expired' : 'canceled';
    }
    default:
      return undefined;
  }
}

const fromUnix = (seconds: number) => new Date(seconds * 1000);

/** `pause_collection.behavior`: what happens to the invoices Stripe still creates while collection is paused. */
const COLLECTION_BEHAVIOUR_TEXT: Record<string, string> = {
  keep_as_draft: 'invoices kept as drafts',
  mark_uncollectible: 'invoices marked uncollectible',
  void: 'invoices voided',
};

/**
 * The card lines a pause adds: "Paused" (why, since when) for a paused subscription that says
 * why, and "Payment collection" for `pause_collection`, which pauses only the collection of
 * payments and leaves the status as it is (docs.stripe.com/billing/subscriptions/pause-payment).
 */
export function pauseLines(subscription: Stripe.Subscription): Record<string, string> {
  const lines: Record<string, string> = {};
  const reason = subscription.status === 'paused' ? pauseReason(subscription) : null;
  if (reason !== null) {
    const since = subscription.status_details?.paused?.transitioned_at;
    const text = PAUSE_REASON_TEXT[reason] ?? reason;
    lines['Paused'] = typeof since === 'number' ? `${text}, since ${formatMoment(fromUnix(since))}` : text;
  }
  const collection = subscription.pause_collection;
  if (collection) {
    const behaviour = COLLECTION_BEHAVIOUR_TEXT[collection.behavior] ?? collection.behavior;
    lines['Payment collection'] = `paused (${behaviour})${collection.resumes_at !== null ? ` until ${formatMoment(fromUnix(collection.resumes_at))}` : ''}`;
  }
  return lines;
}
