import type { EscalationCapability, EscalationChange, EscalationReceipt, EscalationRequest, EscalationTraits } from '../../src/capabilities/escalation.js';
import type { ConnectionCheck } from '../../src/capabilities/helpdesk.js';
import { isVendorError } from '../../src/vendors/error.js';
import type { SlackWebhookClient } from './client.js';
import { followUpMessage, openMessage, type SlackMessage } from './message.js';

const REFUSAL_MEMORY_MS = 15 * 60_000;

/**
 * Slack as an escalation target: one message in the webhook's channel when an escalation opens,
 * one follow-up per change. Incoming webhooks are post-only — no message id, no threads, no
 * edits, no idempotency key, no read-back — so the receipt's external id is our own escalation
 * id and a retry after a lost answer may post the alert twice (`after-lost-response`), which
 * beats an alert that never arrives.
 */
export class SlackEscalation implements EscalationCapability {
  readonly traits: EscalationTraits = { duplicates: 'after-lost-response' };
  /** Why the last post was refused for a reason only a person can fix (null after a success). */
  private lastRefusal: { detail: string; at: number } | null = null;

  constructor(
    private readonly client: SlackWebhookClient,
    private readonly now: () => number = Date.now,
  ) {}

  async open(request: EscalationRequest, signal?: AbortSignal): Promise<EscalationReceipt> {
    await this.post(openMessage(request), signal);
    return { externalId: request.escalationId, url: null };
  }

  async update(receipt: EscalationReceipt, change: EscalationChange, signal?: AbortSignal): Promise<void> {
    await this.post(followUpMessage(receipt.externalId, change), signal);
  }

  /**
   * Slack has no read-only probe for an incoming webhook: the only test is a post, which would
   * put a message in the on-call channel every time `/readyz` or `npm run doctor` asks. So the
   * answer is "configured", unless the last real post was refused in a way only a person can fix.
   * The refusal is reported for 15 minutes: a fix made in Slack (an unarchived channel) cannot be
   * seen without posting, so a stale refusal is not claimed forever — the next real post tells.
   */
  async checkConnection(): Promise<ConnectionCheck> {
    if (this.lastRefusal && this.now() - this.lastRefusal.at < REFUSAL_MEMORY_MS) {
      return {
        ok: false,
        detail: this.lastRefusal.detail,
        hint: 'Create a new incoming webhook for the channel (api.slack.com/apps → your app → Incoming Webhooks), or unarchive the channel, then set SLACK_WEBHOOK_URL',
      };
    }
    return { ok: true, detail: 'configured (Slack incoming webhooks cannot be checked without posting)' };
  }

  private async post(message: SlackMessage, signal?: AbortSignal): Promise<void> {
    try {
      await this.client.post(message, signal);
      this.lastRefusal = null;
    } catch (error) {
      if (isVendorError(error) && error.kind === 'auth') this.lastRefusal = { detail: error.message, at: this.now() };
      throw error;
    }
  }
}
