import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,100}$/;

// Health probes and scrapes every few seconds would drown the log.
const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (also the `X-Request-Id` response header). */
    id: string;
    /** A logger bound to this request's id, method and URL. */
    log: Logger;
  }
}

/** Called once per request that finished (the whole response was handed to the socket). */
export type RequestObserver = (req: Request, res: Response, seconds: number) => void;

// Per-request state lives in symbol-keyed fields read by the shared functions below: nothing is
// allocated per request but the id, and no closure is made (tsx wraps each closure it creates in
// a naming call, which on this path was measurable).
const kRoot = Symbol('request root logger');
const kChild = Symbol('request logger');
const kStarted = Symbol('request started');
const kObserver = Symbol('request observer');
const kQuiet = Symbol('request quiet');

interface ContextFields {
  [kRoot]?: Logger;
  [kChild]?: Logger;
}
interface ResponseFields {
  [kStarted]: number;
  [kObserver]: RequestObserver | undefined;
  [kQuiet]: boolean;
}

/**
 * `req.log`, made on first use: a getter on the app's request prototype (Express's `app.request`,
 * which every request of the app inherits), defined once per prototype.
 */
const prototypesWithLog = new WeakSet<object>();
function ensureLogGetter(req: Request): void {
  const proto = Object.getPrototypeOf(req) as object;
  if (prototypesWithLog.has(proto)) return;
  prototypesWithLog.add(proto);
  Object.defineProperty(proto, 'log', {
    configurable: true,
    get(this: Request & ContextFields) {
      const root = this[kRoot];
      if (!root) return undefined;
      return (this[kChild] ??= root.child({ req: { id: this.id, method: this.method, url: loggableUrl(this.originalUrl ?? this.url) } }));
    },
    set(this: Request & ContextFields, value: Logger) {
      this[kChild] = value;
    },
  });
}

/**
 * A request id on every request and every log line it causes: the caller's `X-Request-Id` when it
 * looks like one (so ids follow a request through a proxy), otherwise a new one; echoed back.
 * One line per finished request (`request completed`: info, warn for 4xx, error for 5xx) and per
 * request the client abandoned (`request aborted`). A live event stream (the dashboard's
 * `/dashboard/events`, the chat stream) ends only when its client goes away, so that close is the
 * normal end and logs at debug (`event stream closed by the client`), not as a warning.
 * `observe` (the HTTP metrics) is told of every finished request, health probes included.
 *
 * Written instead of pino-http because a child logger per request was a tenth of a busy hub's CPU
 * on the sidebar's hot path even at LOG_LEVEL=warn, where nothing is logged: here the child is
 * made only when something logs, and the completion line only when its level is enabled.
 */
export function requestContext(log: Logger, observe?: RequestObserver): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', id);
    req.id = id;
    ensureLogGetter(req);
    (req as Request & ContextFields)[kRoot] = log;
    const fields = res as Response & ResponseFields;
    fields[kStarted] = performance.now();
    fields[kObserver] = observe;
    fields[kQuiet] = QUIET_PATHS.has(req.path);
    if (observe || !fields[kQuiet]) res.on('close', requestClosed);
    next();
  };
}

function requestClosed(this: Response & ResponseFields): void {
  const res = this;
  const req = res.req as Request & ContextFields;
  const elapsed = performance.now() - res[kStarted];
  if (res.writableFinished) res[kObserver]?.(req, res, elapsed / 1000);
  const log = req[kRoot];
  if (res[kQuiet] || !log) return;
  const responseTime = Math.round(elapsed);
  if (!res.writableFinished) {
    if (isEventStream(res)) {
      if (log.isLevelEnabled('debug')) req.log.debug({ res: { statusCode: res.statusCode }, responseTime }, 'event stream closed by the client');
      return;
    }
    if (log.isLevelEnabled('warn')) req.log.warn({ res: { statusCode: res.statusCode }, responseTime }, 'request aborted');
    return;
  }
  const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
  if (log.isLevelEnabled(level)) req.log[level]({ res: { statusCode: res.statusCode }, responseTime }, 'request completed');
}

function isEventStream(res: { getHeader(name: string): unknown }): boolean {
  const type = res.getHeader('content-type');
  return typeof type === 'string' && type.startsWith('text/event-stream');
}

/**
 * Query parameters that carry a credential: one-use links (`/escalations/acknowledge?token=`),
 * signed file links (`?e=…&s=…`), the chat stream's `access_token`. Logs keep the parameter's
 * name and lose its value, so a log reader cannot replay the link.
 */
const SECRET_PARAMS = /^(token|access_token|s|sig|signature|key|secret|code|password|e|t)$/i;

export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // a malformed name is logged as it came
      }
      return eq >= 0 && SECRET_PARAMS.test(decoded) ? `${name}=[redacted]` : pair;
    });
  return `${url.slice(0, q)}?${params.join('&')}`;
}
