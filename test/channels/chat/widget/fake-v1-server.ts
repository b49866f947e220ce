import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Availability, Conversation, Message, Session, User } from '../../../../src/channels/chat/client/v1-client.js';

/**
 * A small in-memory implementation of chat API v1 for the client's tests, with knobs to break it:
 * drop the response of a request after (or before) handling it, answer 429, cut every stream,
 * refuse new streams. Cursors are `c<seq>`; resumes deliberately repeat the message at the cursor
 * (at-least-once), as a real server may, so clients must dedupe.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

interface StoredMessage {
  seq: number;
  userId: string;
  message: Message;
}

export interface FakeV1Server {
  url: string;
  port: number;
  appId: string;
  requests: RecordedRequest[];
  /** Every stream connection's query (app_id, access_token, cursor). */
  streamConnects: URLSearchParams[];
  pongs: number;
  availability: Availability;
  sessions: Map<string, Session>;
  messages(): Message[];
  /** The next `count` requests matching `path` lose their answer: handled first ('after') or not at all ('before'). */
  dropResponses(match: RegExp, count: number, when: 'before' | 'after'): void;
  /** The next request matching `path` gets 429 with this Retry-After. */
  rateLimitNext(match: RegExp, retryAfterSeconds: number): void;
  /** Streams are refused (the upgrade answers 503) while true. */
  refuseStreams: boolean;
  /** Kills every open stream socket without a close handshake (like a lost network). */
  cutStreams(): void;
  /** Closes open streams with this code (e.g. 4401). */
  closeStreams(code: number): void;
  revokeSessions(): void;
  pingStreams(): void;
  openStreams(): number;
  agentReply(conversationId: string, text: string, authorName?: string): Message;
  close(): Promise<void>;
}

export async function startFakeV1Server(options: { appId?: string; fallback?: RequestListener } = {}): Promise<FakeV1Server> {
  const appId = options.appId ?? 'demo';
  const users = new Map<string, User>();
  const sessions = new Map<string, Session>();
  const conversations = new Map<string, { userId: string; conversation: Conversation }>();
  const stored: StoredMessage[] = [];
  const byClientId = new Map<string, StoredMessage>();
  const sockets = new Set<{ ws: WebSocket; userId: string }>();
  const drops: { match: RegExp; count: number; when: 'before' | 'after' }[] = [];
  const rateLimits: { match: RegExp; seconds: number }[] = [];
  let seq = 0;

  const now = () => new Date(Date.now() + seq).toISOString();

  function addMessage(userId: string, conversationId: string, fields: Pick<Message, 'direction' | 'author' | 'text' | 'client_id'>): StoredMessage {
    seq++;
    const message: Message = { id: randomUUID(), conversation_id: conversationId, attachments: [], created_at: now(), read_at: null, cursor: `c${seq}`, ...fields };
    const entry = { seq, userId, message };
    stored.push(entry);
    const conversation = conversations.get(conversationId)!.conversation;
    conversation.last_message_at = conversation.updated_at = message.created_at;
    for (const socket of sockets) if (socket.userId === userId) socket.ws.send(JSON.stringify({ type: 'message', message }));
    return entry;
  }

  function userFor(req: IncomingMessage): string | null {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const session = token ? sessions.get(token) : undefined;
    return session ? session.user.id : null;
  }

  const handleApi = (req: IncomingMessage, body: unknown, url: URL): { status: number; json?: unknown; headers?: Record<string, string> } => {
    const error = (status: number, code: string, message: string) => ({ status, json: { error: { code, message } } });
    if (req.headers['x-hub-app-id'] !== appId) return error(404, 'unknown_app', 'no such app');
    const path = url.pathname;
    const input = (body ?? {}) as Record<string, unknown>;
    if (req.method === 'GET' && path === '/v1/availability') return { status: 200, json: server.availability };
    if (req.method === 'POST' && path === '/v1/sessions') {
      const requested = input['user'] as { id: string; email?: string; name?: string } | undefined;
      const user: User = requested
        ? { id: requested.id, kind: 'identified', email: requested.email ?? null, name: requested.name ?? null, verified: typeof input['user_hash'] === 'string' }
        : { id: `anon-${randomUUID()}`, kind: 'anonymous', email: null, name: null, verified: false };
      users.set(user.id, user);
      const session: Session = { session_token: randomUUID(), expires_at: new Date(Date.now() + 3600_000).toISOString(), user };
      sessions.set(session.session_token, session);
      return { status: 201, json: session };
    }
    const userId = userFor(req);
    if (!userId) return error(401, 'invalid_token', 'session token missing, invalid or expired');
    if (req.method === 'DELETE' && path === '/v1/sessions/current') {
      sessions.delete(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')![1]!);
      return { status: 204 };
    }
    if (req.method === 'GET' && path === '/v1/conversations') {
      const mine = [...conversations.values()].filter((c) => c.userId === userId).map((c) => c.conversation);
      return { status: 200, json: { conversations: mine.sort((a, b) => b.last_message_at.localeCompare(a.last_message_at)) } };
    }
    const sendMessage = (conversationId: string, fields: Record<string, unknown>) => {
      const clientId = String(fields['client_id']);
      const key = `${userId}:${clientId}`;
      const existing = byClientId.get(key);
      if (existing) return { created: false, entry: existing };
      const entry = addMessage(userId, conversationId, { direction: 'inbound', author: { kind: 'customer', name: null }, text: String(fields['text']), client_id: clientId });
      byClientId.set(key, entry);
      return { created: true, entry };
    };
    if (req.method === 'POST' && path === '/v1/conversations') {
      const first = input['message'] as Record<string, unknown>;
      const existing = byClientId.get(`${userId}:${String(first['client_id'])}`);
      if (existing) return { status: 200, json: { conversation: conversations.get(existing.message.conversation_id)!.conversation, message: existing.message } };
      const at = now();
      const conversation: Conversation = { id: randomUUID(), subject: (input['subject'] as string) ?? null, status: 'open', created_at: at, updated_at: at, last_message_at: at, unread_count: 0 };
      conversations.set(conversation.id, { userId, conversation });
      const { entry } = sendMessage(conversation.id, first);
      return { status: 201, json: { conversation, message: entry.message } };
    }
    const match = /^\/v1\/conversations\/([^/]+)(\/messages|\/read)?$/.exec(path);
    const owned = match ? conversations.get(decodeURIComponent(match[1]!)) : undefined;
    if (match && (!owned || owned.userId !== userId)) return error(404, 'conversation_not_found', 'no such conversation');
    if (owned && req.method === 'GET' && !match![2]) return { status: 200, json: { conversation: owned.conversation } };
    if (owned && req.method === 'POST' && match![2] === '/messages') {
      const { created, entry } = sendMessage(owned.conversation.id, input);
      return { status: created ? 201 : 200, json: { message: entry.message } };
    }
    if (owned && req.method === 'GET' && match![2] === '/messages') {
      const after = Number((url.searchParams.get('after') ?? 'c0').slice(1));
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const all = stored.filter((m) => m.message.conversation_id === owned.conversation.id && m.seq > after);
      const page = all.slice(0, limit).map((m) => m.message);
      return { status: 200, json: { messages: page, cursor: page.at(-1)?.cursor ?? null, has_more: all.length > limit } };
    }
    if (owned && req.method === 'POST' && match![2] === '/read') {
      return { status: 200, json: { conversation_id: owned.conversation.id, read_at: now(), unread_count: 0 } };
    }
    return error(404, 'not_found', `no route for ${req.method} ${path}`);
  };

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (!url.pathname.startsWith('/v1/')) {
      if (options.fallback) options.fallback(req, res);
      else res.writeHead(404).end();
      return;
    }
    // The widget calls cross-origin with custom headers: answer the preflight like a permissive hub.
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
    res.setHeader('Access-Control-Expose-Headers', 'Retry-After');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'GET, POST, DELETE',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Hub-App-Id',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => respond(req, res, url, Buffer.concat(chunks)));
  });

  function respond(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): void {
    let body: unknown = null;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : null;
    } catch {
      body = raw.toString('utf8');
    }
    server.requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body });
    const limitIndex = rateLimits.findIndex((r) => r.match.test(url.pathname));
    if (limitIndex >= 0) {
      const [limit] = rateLimits.splice(limitIndex, 1);
      res.writeHead(429, { 'Content-Type': 'application/json', 'Retry-After': String(limit!.seconds) });
      res.end(JSON.stringify({ error: { code: 'rate_limited', message: 'slow down' } }));
      return;
    }
    const drop = drops.find((d) => d.count > 0 && d.match.test(url.pathname));
    if (drop) drop.count--;
    if (drop?.when === 'before') {
      req.socket.destroy();
      return;
    }
    const answer = handleApi(req, body, url);
    if (drop?.when === 'after') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { ...(answer.json === undefined ? {} : { 'Content-Type': 'application/json' }), ...answer.headers });
    res.end(answer.json === undefined ? undefined : JSON.stringify(answer.json));
  }

  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket: Socket, head) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname !== '/v1/stream' || server.refuseStreams) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      server.streamConnects.push(url.searchParams);
      const session = sessions.get(url.searchParams.get('access_token') ?? '');
      if (url.searchParams.get('app_id') !== appId || !session) {
        ws.close(4401, 'invalid token');
        return;
      }
      const userId = session.user.id;
      ws.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string };
        if (frame.type === 'pong') server.pongs++;
        if (frame.type === 'ping') ws.send(JSON.stringify({ type: 'pong' }));
      });
      ws.on('error', () => {});
      const after = Number((url.searchParams.get('cursor') ?? 'c0').slice(1));
      // At-least-once: the backlog starts AT the cursor, repeating one message the client has.
      const backlog = stored.filter((m) => m.userId === userId && m.seq >= after);
      for (const entry of backlog) ws.send(JSON.stringify({ type: 'message', message: entry.message }));
      ws.send(JSON.stringify({ type: 'ready', cursor: backlog.at(-1)?.message.cursor ?? url.searchParams.get('cursor') }));
      const registration = { ws, userId };
      sockets.add(registration);
      ws.on('close', () => sockets.delete(registration));
    });
  });

  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const port = (http.address() as AddressInfo).port;

  const server: FakeV1Server = {
    url: `http://127.0.0.1:${port}`,
    port,
    appId,
    requests: [],
    streamConnects: [],
    pongs: 0,
    availability: { status: 'open', expected_reply: { minutes: 180, text: 'Usually replies within about 3 hours' }, next_open_at: null, time_zone: 'Europe/Berlin' },
    sessions,
    refuseStreams: false,
    messages: () => stored.map((m) => m.message),
    dropResponses: (match, count, when) => void drops.push({ match, count, when }),
    rateLimitNext: (match, seconds) => void rateLimits.push({ match, seconds }),
    cutStreams: () => {
      for (const { ws } of sockets) ws.terminate();
    },
    closeStreams: (code) => {
      for (const { ws } of sockets) ws.close(code, 'closed by test');
    },
    revokeSessions: () => sessions.clear(),
    pingStreams: () => {
      for (const { ws } of sockets) ws.send(JSON.stringify({ type: 'ping' }));
    },
    openStreams: () => sockets.size,
    agentReply: (conversationId, text, authorName = 'Ana') => {
      const owner = conversations.get(conversationId);
      if (!owner) throw new Error(`no conversation ${conversationId}`);
      return addMessage(owner.userId, conversationId, { direction: 'outbound', author: { kind: 'agent', name: authorName }, text, client_id: null }).message;
    },
    async close() {
      for (const { ws } of sockets) ws.terminate();
      wss.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
  return server;
}
