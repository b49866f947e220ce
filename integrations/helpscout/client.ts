import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';
import type { Store } from '../../src/store/store.js';
import { RateBudget, type RateLimitSpec } from '../../src/vendors/rate-budget.js';
import { VendorError } from '../../src/vendors/error.js';
import { VendorHttp, type VendorRequest, type VendorResponse } from '../../src/vendors/http.js';

/**
 * All Help Scout HTTP goes through here: OAuth2 client-credentials tokens
 * (developer.helpscout.com/mailbox-api/overview/authentication), the account's shared rate budget
 * (writes count 2, …/overview/rate-limiting) and VendorHttp's 429/retry handling.
 */
export interface HelpScoutClientOptions {
  clientId: string;
  clientSecret: string;
  apiBase: string;
  rateLimit: RateLimitSpec;
  store: Store;
  log: Logger;
  onRequest?(method: string, path: string, status: number | null): void;
  onRateLimited?(method: string, path: string, waitMs: number): void;
  fetch?: typeof fetch;
  timeoutMs?: number;
  maxRateWaitMs?: number;
}

/** Refresh this long before the token's stated expiry (at most 60 s, at most a tenth of its life). */
const REFRESH_MARGIN_MS = 60_000;

/**
 * The cached access token. One fetch at a time is shared by every caller; a 401 from the API
 * forces one refresh (several requests failing with the same expired token share it too).
 */
export class AccessTokens {
  private token: { value: string; refreshAt: number } | null = null;
  private inflight: Promise<string> | null = null;
  /** After the token endpoint failed (5xx, no answer): not asked again before this, doubling up to a minute. */
  private outage: { until: number; failures: number; reason: string } | null = null;

  constructor(
    private readonly options: {
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      fetch: typeof fetch;
      timeoutMs: number;
      onRequest?(method: string, path: string, status: number | null): void;
    },
    private readonly clock: () => number = Date.now,
  ) {}

  async current(signal?: AbortSignal): Promise<string> {
    if (this.token && this.clock() < this.token.refreshAt) return this.token.value;
    return this.refresh(signal);
  }

  /**
   * After a 401 for a request sent with `used`: retry with a newer token if another caller already
   * replaced it, else fetch one (shared with any caller doing the same). False: credentials refused.
   */
  async afterUnauthorized(used: string | null, signal?: AbortSignal): Promise<boolean> {
    if (!this.inflight && this.token && this.token.value !== used) return true;
    if (!this.inflight) this.token = null;
    try {
      await this.refresh(signal);
      return true;
    } catch (error) {
      if (error instanceof VendorError && error.kind === 'auth') return false;
      throw error;
    }
  }

  private refresh(signal?: AbortSignal): Promise<string> {
    const now = this.clock();
    if (this.outage && now < this.outage.until) {
      // Every caller failing at once must not become a token request each (~250/min in a review).
      return Promise.reject(new VendorError('unavailable', `helpscout token endpoint failing; next try in ${Math.ceil((this.outage.until - now) / 1000)} s: ${this.outage.reason}`, { retryAfterMs: this.outage.until - now }));
    }
    this.inflight ??= this.fetchToken().then(
      (token) => {
        this.outage = null;
        return token;
      },
      (error: unknown) => {
        if (error instanceof VendorError && error.kind === 'unavailable') {
          const failures = (this.outage?.failures ?? 0) + 1;
          this.outage = { until: this.clock() + Math.min(60_000, 500 * 2 ** failures), failures, reason: error.message };
        }
        throw error;
      },
    ).finally(() => {
      this.inflight = null;
    });
    return abortable(this.inflight, signal);
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret } = this.options;
    let response: Response;
    try {
      response = await this.options.fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      this.options.onRequest?.('POST', '/oauth2/token', null);
      throw new VendorError('unavailable', `helpscout token request failed: ${(error as Error).message}`, { cause: error });
    }
    this.options.onRequest?.('POST', '/oauth2/token', response.status);
    const text = await response.text().catch(() => '');
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new VendorError('auth', `helpscout refused the app credentials (HELPSCOUT_CLIENT_ID / HELPSCOUT_CLIENT_SECRET): ${response.status} ${text.slice(0, 200)}`, {
        status: response.status,
      });
    }
    if (!response.ok) throw new VendorError('unavailable', `helpscout token request: ${response.status} ${text.slice(0, 200)}`, { status: response.status });
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw new VendorError('unavailable', 'helpscout token response is not JSON');
    }
    if (typeof body.access_token !== 'string' || body.access_token.length === 0) throw new VendorError('unavailable', 'helpscout token response has no access_token');
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 7200) * 1000;
    const now = this.clock();
    this.token = { value: body.access_token, refreshAt: now + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 10) };
    return body.access_token;
  }
}

export class HelpScoutClient {
  readonly tokens: AccessTokens;
  private readonly http: VendorHttp;
  /** Which token the request in this async context was sent with (to tell a stale 401 from a bad token). */
  private readonly sentWith = new AsyncLocalStorage<{ token: string | null }>();

  constructor(options: HelpScoutClientOptions) {
    const fetchImpl = options.fetch ?? fetch;
    const base = options.apiBase.replace(/\/+$/, '');
    this.tokens = new AccessTokens({
      tokenUrl: `${base}/oauth2/token`,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      fetch: fetchImpl,
      timeoutMs: options.timeoutMs ?? 15_000,
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    this.http = new VendorHttp({
      vendor: 'helpscout',
      baseUrl: base,
      log: options.log,
      budgets: {
        rate: new RateBudget(options.store),
        list: [
          {
            // Every process using the same app shares one budget (the limit is per account).
            key: `helpscout:${options.clientId}`,
            spec: options.rateLimit,
            cost: (method) => (method === 'GET' ? 1 : 2),
            maxCost: 2,
          },
        ],
      },
      auth: async (signal) => {
        const token = await this.tokens.current(signal);
        const context = this.sentWith.getStore();
        if (context) context.token = token;
        return { authorization: `Bearer ${token}` };
      },
      onUnauthorized: (signal) => this.tokens.afterUnauthorized(this.sentWith.getStore()?.token ?? null, signal),
      rateHeaders: (headers) => ({
        remaining: numberHeader(headers, 'x-ratelimit-remaining-minute'),
        retryAfterMs: secondsHeader(headers, 'x-ratelimit-retry-after'),
      }),
      fetch: fetchImpl,
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxRateWaitMs ? { maxRateWaitMs: options.maxRateWaitMs } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
      ...(options.onRateLimited ? { onRateLimited: options.onRateLimited } : {}),
    });
  }

  async request<T = unknown>(request: VendorRequest): Promise<VendorResponse<T>> {
    // Take the token before VendorHttp does: it reports an error thrown by its auth() hook as a
    // network failure (`unavailable`, outcome unknown), while revoked credentials are `auth`.
    await this.tokens.current(request.signal);
    return this.sentWith.run({ token: null }, () => this.http.request<T>(request));
  }

  get<T = unknown>(path: string, query?: VendorRequest['query'], signal?: AbortSignal): Promise<VendorResponse<T>> {
    return this.request<T>({ method: 'GET', path, idempotent: true, ...(query ? { query } : {}), ...(signal ? { signal } : {}) });
  }

  /** A create: never resent here (its outcome is looked up by findWrite instead). */
  post(path: string, json: unknown, signal?: AbortSignal): Promise<VendorResponse<unknown>> {
    return this.request({ method: 'POST', path, json, ...(signal ? { signal } : {}) });
  }

  /** A delete: sending one twice is harmless (the second finds nothing: 404). */
  delete(path: string, signal?: AbortSignal): Promise<VendorResponse<unknown>> {
    return this.request({ method: 'DELETE', path, idempotent: true, ...(signal ? { signal } : {}) });
  }

  /** PUT tags / PATCH replace set a value: sending one twice is harmless. */
  set(method: 'PUT' | 'PATCH', path: string, json: unknown, signal?: AbortSignal): Promise<VendorResponse<unknown>> {
    return this.request({ method, path, json, idempotent: true, ...(signal ? { signal } : {}) });
  }
}

/** The id Help Scout puts in `Resource-ID` on a 201 (the body is empty). */
export function resourceId(response: VendorResponse<unknown>): string {
  const id = response.headers.get('resource-id') ?? response.headers.get('location')?.split('/').pop() ?? null;
  if (!id) throw new VendorError('unavailable', `helpscout answered ${response.status} without a Resource-ID header`, { outcomeUnknown: true });
  return id;
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  if (value === null || value.trim() === '') return null;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : null;
}

function secondsHeader(headers: Headers, name: string): number | null {
  const seconds = numberHeader(headers, name);
  return seconds === null ? null : seconds * 1000;
}

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
