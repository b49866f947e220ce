import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mentionsIn, mrkdwnTexts, parsePayload, SlackHttpError, validatePayload, type SlackPayload } from './payload.js';

/**
 * A fake Slack incoming webhook over real HTTP on 127.0.0.1 (random port): one channel's webhook
 * at `POST /services/T…/B…/<secret>`, Slack's plain-text answers, its per-webhook rate limit,
 * and switches for failures, lost answers, a revoked webhook and an archived channel. See
 * README.md in this folder.
 */

export interface FakeSlackOptions {
  /**
   * Messages per second per webhook and the burst allowed above it (Slack: "1 per second, short
   * bursts >1 allowed"; observed bursts are larger). null = unlimited. Default 1/s, burst 10.
   */
  rateLimit?: { perSecond: number; burst: number } | null;
}

export interface FakeSlackMessage {
  /** Arrival, ms since the epoch. */
  at: number;
  payload: SlackPayload;
  /** Every mrkdwn string in it (top-level text, section text, context elements …). */
  mrkdwn: string[];
  /** Who it notifies: member ids (`U…`), `channel`, `here`, `everyone`, `subteam^…`. */
  mentions: string[];
}

export interface FakeSlackRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  /** Null while unanswered, or when the answer was dropped. */
  status: number | null;
  at: number;
}

export interface FakeSlack {
  /** The incoming webhook URL the hub posts to (SLACK_WEBHOOK_URL): it carries the secret. */
  readonly webhookUrl: string;
  /** The secret last path segment of the webhook URL. */
  readonly token: string;
  /** Messages the channel shows, oldest first. */
  readonly messages: FakeSlackMessage[];
  /** Every request that reached the fake, oldest first. */
  readonly requests: FakeSlackRequest[];
  latencyMs: number;
  rateLimit: { perSecond: number; burst: number } | null;
  /** The next request answers `status` with Slack's body for it (not applied); 429 carries Retry-After. */
  failNext(status: number, options?: { retryAfterSeconds?: number }): void;
  /** The next request is applied (posted when valid), then the connection is cut without an answer. */
  dropNextResponse(): void;
  /** The webhook is revoked (app removed / webhook deleted): 404 `no_service` until restore(). */
  revoke(): void;
  /** The channel is archived: 410 `channel_is_archived` until restore(). */
  archiveChannel(): void;
  restore(): void;
  close(): Promise<void>;
}

const ERROR_BODIES: Record<number, string> = {
  400: 'invalid_payload',
  403: 'invalid_token',
  404: 'no_service',
  410: 'channel_is_archived',
  429: 'rate_limited',
  500: 'rollup_error',
};

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const team = `T${randomBytes(4).toString('hex').toUpperCase()}`;
  const bot = `B${randomBytes(4).toString('hex').toUpperCase()}`;
  const token = randomBytes(12).toString('base64url');
  const path = `/services/${team}/${bot}/${token}`;
  const messages: FakeSlackMessage[] = [];
  const requests: FakeSlackRequest[] = [];
  const failures: { status: number; retryAfterSeconds: number }[] = [];
  let dropNext = false;
  let revoked = false;
  let archived = false;
  const control = {
    latencyMs: 0,
    rateLimit: options.rateLimit === undefined ? { perSecond: 1, burst: 10 } : options.rateLimit,
  };
  // Token bucket: full at start, refilled at perSecond up to burst.
  let bucket = { tokens: control.rateLimit?.burst ?? 0, at: Date.now() };

  function takeToken(now: number): void {
    const limit = control.rateLimit;
    if (!limit) return;
    bucket = { tokens: Math.min(limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * limit.perSecond), at: now };
    if (bucket.tokens < 1) {
      const seconds = Math.max(1, Math.ceil((1 - bucket.tokens) / limit.perSecond));
      throw new SlackHttpError(429, 'rate_limited', { 'retry-after': String(seconds) });
    }
    bucket.tokens -= 1;
  }

  function post(request: IncomingMessage, body: Buffer, now: number): void {
    const url = new URL(request.url ?? '/', 'http://fake.slack');
    if (request.method !== 'POST') throw new SlackHttpError(405, 'invalid_method');
    if (url.pathname !== path || revoked) throw new SlackHttpError(404, 'no_service');
    if (archived) throw new SlackHttpError(410, 'channel_is_archived');
    takeToken(now);
    const payload = parsePayload(request.headers['content-type'], body);
    validatePayload(payload);
    const mrkdwn = mrkdwnTexts(payload);
    messages.push({ at: now, payload, mrkdwn, mentions: mentionsIn(mrkdwn) });
  }

  function answer(response: ServerResponse, record: FakeSlackRequest, status: number, body: string, headers: Record<string, string> = {}): void {
    record.status = status;
    if (response.destroyed) return;
    response.writeHead(status, { 'content-type': 'text/html', ...headers });
    response.end(body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const record: FakeSlackRequest = {
      method: request.method ?? 'GET',
      path: new URL(request.url ?? '/', 'http://fake.slack').pathname,
      contentType: request.headers['content-type'],
      status: null,
      at: Date.now(),
    };
    requests.push(record);
    if (control.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, control.latencyMs));
    const injected = failures.shift();
    if (injected) {
      const headers: Record<string, string> = injected.status === 429 ? { 'retry-after': String(injected.retryAfterSeconds) } : {};
      return answer(response, record, injected.status, ERROR_BODIES[injected.status] ?? 'service_unavailable', headers);
    }
    const drop = dropNext;
    dropNext = false;
    let outcome: { status: number; body: string; headers?: Record<string, string> };
    try {
      post(request, Buffer.concat(chunks), Date.now());
      outcome = { status: 200, body: 'ok' };
    } catch (error) {
      if (!(error instanceof SlackHttpError)) throw error;
      outcome = { status: error.status, body: error.body, headers: error.headers };
    }
    if (drop) {
      response.socket?.destroy();
      return;
    }
    answer(response, record, outcome.status, outcome.body, outcome.headers);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    webhookUrl: `http://127.0.0.1:${port}${path}`,
    token,
    messages,
    requests,
    get latencyMs() {
      return control.latencyMs;
    },
    set latencyMs(ms: number) {
      control.latencyMs = ms;
    },
    get rateLimit() {
      return control.rateLimit;
    },
    set rateLimit(limit: { perSecond: number; burst: number } | null) {
      control.rateLimit = limit;
      bucket = { tokens: limit?.burst ?? 0, at: Date.now() };
    },
    failNext(status, failOptions = {}) {
      failures.push({ status, retryAfterSeconds: failOptions.retryAfterSeconds ?? 1 });
    },
    dropNextResponse() {
      dropNext = true;
    },
    revoke() {
      revoked = true;
    },
    archiveChannel() {
      archived = true;
    },
    restore() {
      revoked = false;
      archived = false;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
