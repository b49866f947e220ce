import type { Logger } from 'pino';
import { isVendorError, VendorError } from '../../src/vendors/error.js';
import { VendorHttp } from '../../src/vendors/http.js';
import type { AlertEvent } from './event.js';

/**
 * All PagerDuty HTTP goes through here: `POST /v2/enqueue` of the Events API v2. There is no
 * auth header — the routing key in the body is the credential — and the body is never part of
 * an error, so no key reaches a log. Answers (developer.pagerduty.com/docs/events-api-v2/overview
 * "Response Codes & Retry Logic"): 202 accepted, 400 invalid event (do not retry), 429 too many
 * events for this routing key (~120/min), 5xx and network errors ("retry after some time").
 */

/**
 * "Retrying requests … We suggest retrying 3 times with each request being 30 seconds apart"
 * (developer-docs events-API-v2/05-Rate-Limits.md): the least a 429, 5xx or network failure
 * waits. The engine waits it out on its schedule (and lets later waits grow: "preferably with a
 * backoff of a few minutes"); a call never retries by itself a second later.
 */
export const EVENTS_RETRY_SPACING_MS = 30_000;

export interface PagerDutyEventsClientOptions {
  apiBase: string;
  log: Logger;
  onRequest?(method: string, path: string, status: number | null): void;
  onRateLimited?(method: string, path: string, waitMs: number): void;
  fetch?: typeof fetch;
  timeoutMs?: number;
  /** Longest total wait for 429s inside a call (default 0: PagerDuty's spacing is the engine's to keep). */
  maxRateWaitMs?: number;
}

export class PagerDutyEventsClient {
  private readonly http: VendorHttp;

  constructor(options: PagerDutyEventsClientOptions) {
    this.http = new VendorHttp({
      vendor: 'pagerduty',
      baseUrl: options.apiBase,
      log: options.log,
      auth: async () => ({}),
      // PagerDuty documents no Retry-After for the Events API; should one come, it is honoured
      // (it raises the spacing below, never lowers it).
      rateHeaders: (headers) => {
        const seconds = Number(headers.get('retry-after'));
        return { remaining: null, retryAfterMs: headers.has('retry-after') && Number.isFinite(seconds) ? seconds * 1000 : null };
      },
      maxRateWaitMs: options.maxRateWaitMs ?? 0,
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    });
  }

  /**
   * Sends one alert event; `keyLabel` names the routing key in errors ("the configured routing
   * key", "Ravi's routing key") since the key itself is a secret. Not resent here after a lost
   * answer: the engine retries, and the dedup key makes that safe.
   */
  async send(event: AlertEvent, keyLabel: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.http.request({ method: 'POST', path: '/v2/enqueue', json: event, ...(signal ? { signal } : {}) });
    } catch (error) {
      if (!isVendorError(error)) throw error;
      // A routing key PagerDuty does not know is answered 400 "Invalid routing key" (a malformed
      // one: 400 "Length of 'routing_key' is incorrect …"). That is not a bad event but a bad
      // credential: `auth` (an operator must act; checkConnection reports it), not `rejected`.
      if (error.status === 400 && /routing.?key/i.test(error.message)) {
        throw new VendorError('auth', `PagerDuty refused ${keyLabel}: ${error.message}`, { status: 400 });
      }
      if (error.kind === 'rate_limited' || error.kind === 'unavailable') {
        const retryAfterMs = Math.max(error.retryAfterMs ?? 0, EVENTS_RETRY_SPACING_MS);
        throw new VendorError(error.kind, error.message, { status: error.status, outcomeUnknown: error.outcomeUnknown, retryAfterMs, cause: error });
      }
      throw error;
    }
  }
}
