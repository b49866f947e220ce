import type { Logger } from 'pino';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import { VendorHttp } from '../../src/vendors/http.js';
import type { SlackMessage } from './message.js';

/**
 * All Slack HTTP goes through here: one POST to an incoming webhook
 * (docs.slack.dev/messaging/sending-messages-using-incoming-webhooks). The webhook URL *is* the
 * credential (its last path segment is a secret token), so it never appears in an error, a log
 * line or a metric label: VendorHttp is given a stand-in address and path, and the fetch it calls
 * swaps in the real URL.
 */

export interface SlackWebhookClientOptions {
  webhookUrl: string;
  log: Logger;
  onRequest?(method: string, path: string, status: number | null): void;
  onRateLimited?(method: string, path: string, waitMs: number): void;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Longest total wait for Slack's 429s before giving up with `rate_limited` (default 2.5 s). */
  maxRateWaitMs?: number;
}

/** What errors, logs and metrics show instead of the webhook URL. */
const STAND_IN_BASE = 'https://slack-incoming-webhook.invalid';
const STAND_IN_PATH = '/incoming-webhook';

export class SlackWebhookClient {
  private readonly http: VendorHttp;

  constructor(options: SlackWebhookClientOptions) {
    const fetchImpl = options.fetch ?? fetch;
    const webhookUrl = options.webhookUrl;
    this.http = new VendorHttp({
      vendor: 'slack',
      baseUrl: STAND_IN_BASE,
      log: options.log,
      auth: async () => ({}),
      // Slack answers 429 with Retry-After in seconds (docs.slack.dev/apis/web-api/rate-limits;
      // incoming webhooks: about one message per second, short bursts allowed). Waiting it out is
      // safe because a 429 means the message was not posted.
      rateHeaders: (headers) => {
        const seconds = Number(headers.get('retry-after'));
        return { remaining: null, retryAfterMs: headers.has('retry-after') && Number.isFinite(seconds) ? seconds * 1000 : null };
      },
      // As Slack's own client does (`redirect: 'error'`): a webhook answers, it never redirects,
      // and following one would post the message somewhere the channel owner never chose.
      fetch: (_standIn, init) => fetchImpl(webhookUrl, { ...init, redirect: 'error' }),
      // An alert is worth a short wait (Slack usually asks for a second) but not a held job:
      // longer waits go back to the engine as `rate_limited`.
      maxRateWaitMs: options.maxRateWaitMs ?? 2_500,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    });
  }

  /**
   * Posts one message. Not resent here after a 5xx or a lost answer: incoming webhooks have no
   * idempotency key, so the engine decides (and a retry may post twice).
   */
  async post(message: SlackMessage, signal?: AbortSignal): Promise<void> {
    try {
      await this.http.request({ method: 'POST', path: STAND_IN_PATH, json: message, ...(signal ? { signal } : {}) });
    } catch (error) {
      throw isVendorError(error) ? slackError(error) : error;
    }
  }
}

/**
 * Slack answers in plain text (`invalid_payload`, `no_service`, …). VendorHttp maps 403 to
 * `forbidden`, 400 to `rejected`, 5xx and network failures to `unavailable` with an unknown
 * outcome. The webhook-specific ones are a broken credential that only a person can fix, so they
 * become `auth` (the engine records the target as failed for staff, and checkConnection reports
 * it) instead of `not_found` / `rejected`:
 * - 404 `no_service` / `channel_not_found`: the webhook was revoked or its app removed;
 * - 410 `channel_is_archived`: the channel is archived; nothing posts until someone unarchives
 *   it or creates a webhook for another channel;
 * - 403 `invalid_token` / `action_prohibited`: the token behind the webhook is gone, or a
 *   workspace restriction forbids the post.
 */
function slackError(error: VendorError): VendorError {
  const reason = error.message;
  switch (error.status) {
    case 403:
      return new VendorError('auth', `Slack refused the incoming webhook (its token was revoked, or a workspace restriction forbids posting): ${reason}`, { status: 403 });
    case 404:
      return new VendorError('auth', `Slack no longer knows this incoming webhook (revoked, or the app was removed from the workspace): ${reason}`, { status: 404 });
    case 410:
      return new VendorError('auth', `The incoming webhook's Slack channel is archived: ${reason}`, { status: 410 });
    default:
      return error;
  }
}
