import type { ConnectionCheck } from './helpdesk.js';
import type { RawRequest, VerifyResult } from './webhook.js';

/**
 * What the escalation engine (src/triage/escalation) asks of a target: GitHub, Slack,
 * PagerDuty, the built-in on-call email, or the next one added under `integrations/`. The engine
 * owns policies, steps, timing, who is on call and acknowledgement; a target only tells people
 * (or a tracker) about an escalation and, where it has webhooks, reports back what they did.
 */

/** Someone the on-call schedule routed this escalation to (src/team/oncall.ts); targets use what they can. */
export interface EscalationRecipient {
  name: string;
  email?: string;
  /** `@handle` or a Slack member id. */
  slack?: string;
  /** true: the target's own service; a string: the person's own Events API v2 routing key. */
  pagerduty?: true | string;
}

export interface EscalationRequest {
  /** Our escalation id: targets use it as their idempotency / dedup key. */
  escalationId: string;
  title: string;
  level: 'urgent' | 'high' | 'normal' | 'low';
  /** Triage category that routed it (outage, security, …); null when none matched. */
  category: string | null;
  /** Plain text: what the customer(s) wrote, trimmed, and why it was escalated. */
  summary: string;
  evidence: { phrase: string; category: string }[];
  /** Conversations behind it (1, or an incident's count). */
  conversations: number;
  /** Link back to the hub's view of it (null without HUB_PUBLIC_URL). */
  link: string | null;
  /** Signed, expiring acknowledge link for targets that mail or post to people. */
  acknowledgeUrl: string | null;
  /** Whom the schedule routed to; empty when no on-call schedule is configured (targets use their own default). */
  recipients: EscalationRecipient[];
  /**
   * An earlier `open` for this escalation may have reached the vendor without us learning its
   * answer (timeout, reset, 5xx). Targets that can look it up must, before creating again.
   */
  retry: boolean;
}

export interface EscalationReceipt {
  externalId: string;
  url: string | null;
}

export type EscalationChange =
  | { kind: 'acknowledged'; by: string | null }
  | { kind: 'resolved'; by: string | null; text: string }
  | { kind: 'comment'; text: string };

export type EscalationInboundEvent =
  | { kind: 'escalation.acknowledged'; externalId: string; by: string | null }
  | { kind: 'escalation.resolved'; externalId: string; by: string | null }
  | { kind: 'escalation.reopened'; externalId: string; by: string | null };

export interface EscalationTraits {
  /**
   * `never`: a retried `open` never duplicates (vendor dedup key, or a lookup before creating).
   * `after-lost-response`: the vendor offers neither (Slack incoming webhooks), so a retry after a
   * lost answer may post twice — preferred to an alert that never arrives.
   */
  duplicates: 'never' | 'after-lost-response';
}

export interface EscalationCapability {
  readonly traits: EscalationTraits;
  /** Throws VendorError (src/vendors/error.ts) so the engine knows whether to retry. */
  open(request: EscalationRequest, signal?: AbortSignal): Promise<EscalationReceipt>;
  update(receipt: EscalationReceipt, change: EscalationChange, signal?: AbortSignal): Promise<void>;
  verifyWebhook?(request: RawRequest): VerifyResult;
  /** Parses a verified webhook body; throws HubError(400) on a malformed one. */
  parseWebhook?(request: RawRequest): { deliveryId: string; events: EscalationInboundEvent[] };
  checkConnection(signal?: AbortSignal): Promise<ConnectionCheck>;
}
