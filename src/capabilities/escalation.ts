import type { ConnectionCheck } from './helpdesk.js';
import type { RawRequest, VerifyResult } from './webhook.js';

export interface EscalationRequest {
  /** Our escalation id: targets use it as their idempotency / dedup key. */
  escalationId: string;
  title: string;
  level: 'urgent' | 'high' | 'normal' | 'low';
  summary: string;
  evidence: { phrase: string; category: string }[];
  link: string | null;
  /** Signed, expiring acknowledge link for targets that mail or post to people. */
  acknowledgeUrl: string | null;
  recipients: string[];
}

export interface EscalationReceipt {
  externalId: string;
  url: string | null;
}

export type EscalationInboundEvent =
  | { kind: 'escalation.acknowledged'; externalId: string; by: string | null }
  | { kind: 'escalation.resolved'; externalId: string; by: string | null };

export interface EscalationCapability {
  open(request: EscalationRequest, signal?: AbortSignal): Promise<EscalationReceipt>;
  update(externalId: string, change: { kind: 'resolved' | 'comment'; text: string }, signal?: AbortSignal): Promise<void>;
  verifyWebhook?(request: RawRequest): VerifyResult;
  parseWebhook?(request: RawRequest): { deliveryId: string; events: EscalationInboundEvent[] };
  checkConnection(): Promise<ConnectionCheck>;
}
