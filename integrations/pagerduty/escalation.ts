import type { Logger } from 'pino';
import type {
  EscalationCapability,
  EscalationChange,
  EscalationReceipt,
  EscalationRecipient,
  EscalationRequest,
  EscalationTraits,
} from '../../src/capabilities/escalation.js';
import type { ConnectionCheck } from '../../src/capabilities/helpdesk.js';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import { isVendorError, type VendorError } from '../../src/vendors/error.js';
import type { PagerDutyEventsClient } from './client.js';
import { followUpEvent, triggerEvent, type AlertEvent } from './event.js';
import { parsePagerDutyWebhook, verifyPagerDutyWebhook } from './webhook.js';

/**
 * PagerDuty as an escalation target through the Events API v2: `open` triggers an alert on each
 * routing key the on-call recipients name (dedup key = our escalation id), `update` acknowledges
 * or resolves it, and V3 webhooks report what responders did. PagerDuty dedups by key, so a
 * resent trigger never pages twice (`duplicates: 'never'`), and the external id is the dedup
 * key itself — never a routing key, which is a secret and the receipt is stored and shown.
 */

export interface RoutingTarget {
  key: string;
  /** Names the key in errors and checks without showing it. */
  label: string;
  personal: boolean;
}

const CONFIGURED_LABEL = 'the configured routing key (PAGERDUTY_ROUTING_KEY)';

/**
 * Where to trigger: a recipient with `pagerduty: true` pages through the configured service, one
 * with a key of their own through that key; nobody naming PagerDuty (or no schedule) means the
 * configured service. Each key once.
 */
export function routingTargets(recipients: readonly EscalationRecipient[], configuredKey: string): RoutingTarget[] {
  const targets = new Map<string, RoutingTarget>();
  for (const recipient of recipients) {
    if (recipient.pagerduty === true && !targets.has(configuredKey)) targets.set(configuredKey, { key: configuredKey, label: CONFIGURED_LABEL, personal: false });
    if (typeof recipient.pagerduty === 'string' && !targets.has(recipient.pagerduty)) {
      targets.set(recipient.pagerduty, { key: recipient.pagerduty, label: `${recipient.name}'s own routing key (on-call contacts)`, personal: true });
    }
  }
  if (targets.size === 0) targets.set(configuredKey, { key: configuredKey, label: CONFIGURED_LABEL, personal: false });
  return [...targets.values()];
}

/**
 * A refusal is reported this long: a fix made in PagerDuty cannot be seen without sending an
 * event, so a stale refusal is not claimed forever — the next real event tells.
 */
const REFUSAL_MEMORY_MS = 15 * 60_000;
/** How many escalations' per-person keys are remembered for follow-ups (the oldest is forgotten first). */
const REMEMBERED_ESCALATIONS = 1_000;

export interface PagerDutyEscalationOptions {
  client: PagerDutyEventsClient;
  routingKey: string;
  webhookSecret: string | undefined;
  /** The hub's public URL, shown in PagerDuty as the event's client link. */
  clientUrl: string | undefined;
  log: Logger;
  now?: () => number;
}

export class PagerDutyEscalation implements EscalationCapability {
  readonly traits: EscalationTraits = { duplicates: 'never' };
  private readonly refusals = new Map<string, { detail: string; at: number }>();
  /**
   * Follow-ups must use the routing key the trigger used: PagerDuty drops an acknowledge or
   * resolve sent through another key. Per-person keys come from the schedule at open time and
   * are not in the receipt (a secret), so this process remembers them; after a restart, or from
   * another hub process, follow-ups reach only the configured service and a per-person alert is
   * acknowledged or resolved in PagerDuty itself.
   */
  private readonly personalTargets = new Map<string, RoutingTarget[]>();
  private readonly now: () => number;

  constructor(private readonly options: PagerDutyEscalationOptions) {
    this.now = options.now ?? Date.now;
  }

  async open(request: EscalationRequest, signal?: AbortSignal): Promise<EscalationReceipt> {
    const targets = routingTargets(request.recipients, this.options.routingKey);
    const failures = await this.sendAll(targets, (key) => triggerEvent(request, key, this.options.clientUrl), signal);
    this.remember(
      request.escalationId,
      targets.filter((t) => t.personal && !failures.some((f) => f.target === t)),
    );
    const receipt = { externalId: request.escalationId, url: null };
    if (failures.length === 0) return receipt;
    // Anything worth retrying: retry all (the dedup key makes the accepted ones no-ops).
    const retryable = failures.find((f) => f.error.kind === 'unavailable' || f.error.kind === 'rate_limited');
    if (retryable || failures.length === targets.length) throw (retryable ?? failures[0]!).error;
    // Someone was paged; a key that will never work must not hold back the rest. It shows in
    // checkConnection and the log until someone fixes the schedule.
    this.options.log.warn({ escalationId: request.escalationId, refused: failures.map((f) => f.target.label) }, 'PagerDuty refused some routing keys; the others were paged');
    return receipt;
  }

  async update(receipt: EscalationReceipt, change: EscalationChange, signal?: AbortSignal): Promise<void> {
    // The Events API has no notes or comments (those need the REST API, an API token and the
    // incident's id): a comment stays in the hub.
    if (change.kind === 'comment') return;
    const action = change.kind === 'acknowledged' ? 'acknowledge' : 'resolve';
    const targets = [{ key: this.options.routingKey, label: CONFIGURED_LABEL, personal: false }, ...(this.personalTargets.get(receipt.externalId) ?? [])];
    const failures = await this.sendAll(targets, (key) => followUpEvent(action, key, receipt.externalId), signal);
    const first = failures.find((f) => f.error.kind === 'unavailable' || f.error.kind === 'rate_limited') ?? failures[0];
    if (first) throw first.error;
    if (action === 'resolve') this.personalTargets.delete(receipt.externalId);
  }

  verifyWebhook(request: RawRequest) {
    return verifyPagerDutyWebhook(this.options.webhookSecret, request);
  }

  parseWebhook(request: RawRequest) {
    return parsePagerDutyWebhook(request);
  }

  /**
   * The Events API has no read-only call: the only test of a routing key is an event, which could
   * page someone. So the answer is "configured", unless a real event was refused recently.
   */
  async checkConnection(): Promise<ConnectionCheck> {
    const recent = [...this.refusals.values()].filter((r) => this.now() - r.at < REFUSAL_MEMORY_MS);
    if (recent.length > 0) {
      return {
        ok: false,
        detail: recent.map((r) => r.detail).join('; '),
        hint: 'Copy the Integration Key of the service’s Events API v2 integration (PagerDuty → Service → Integrations) into PAGERDUTY_ROUTING_KEY, or fix the person’s pagerduty contact in the on-call schedule',
      };
    }
    return { ok: true, detail: 'configured (the PagerDuty Events API cannot be checked without sending an event)' };
  }

  private async sendAll(
    targets: RoutingTarget[],
    event: (key: string) => AlertEvent,
    signal?: AbortSignal,
  ): Promise<{ target: RoutingTarget; error: VendorError }[]> {
    const failures: { target: RoutingTarget; error: VendorError }[] = [];
    for (const target of targets) {
      try {
        await this.options.client.send(event(target.key), target.label, signal);
        this.refusals.delete(target.label);
      } catch (error) {
        if (!isVendorError(error)) throw error;
        if (error.kind === 'auth') this.refusals.set(target.label, { detail: error.message, at: this.now() });
        failures.push({ target, error });
      }
    }
    return failures;
  }

  private remember(escalationId: string, personal: RoutingTarget[]): void {
    if (personal.length === 0) return;
    this.personalTargets.delete(escalationId);
    this.personalTargets.set(escalationId, personal);
    if (this.personalTargets.size > REMEMBERED_ESCALATIONS) this.personalTargets.delete(this.personalTargets.keys().next().value!);
  }
}
