/**
 * Typed client for the Support Hub chat API v1 (REST + WebSocket stream). No DOM dependency: the
 * web widget, a React Native app or a Node script use it alike, given `fetch` and a WebSocket
 * constructor (the globals by default).
 */

// ── API objects (the wire format, snake_case as the server sends it) ──────────────────────────

export interface User {
  id: string;
  kind: 'identified' | 'anonymous';
  email: string | null;
  name: string | null;
  verified: boolean;
}

export interface Attachment {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  url: string;
}

export interface Message {
  id: string;
  conversation_id: string;
  client_id: string | null;
  direction: 'inbound' | 'outbound';
  author: { kind: 'customer' | 'agent' | 'system'; name: string | null };
  text: string;
  attachments: Attachment[];
  created_at: string;
  read_at: string | null;
  cursor: string;
}

export interface Conversation {
  id: string;
  subject: string | null;
  status: 'open' | 'pending' | 'closed';
  created_at: string;
  updated_at: string;
  last_message_at: string;
  unread_count: number;
  /** This conversation's reply-time promise and first answer (absent from hubs older than the field). */
  first_reply?: { promise: string | null; due_at: string | null; answered_at: string | null };
}

export interface Availability {
  status: 'open' | 'away';
  expected_reply: { minutes: number | null; text: string };
  next_open_at: string | null;
  time_zone: string;
  /** An open incident the team published (API 1.1; absent otherwise and from older hubs). */
  incident?: IncidentBanner;
}

/** The status banner: show it before the user writes, `since` and `updated_at` in their own time. */
export interface IncidentBanner {
  id: string;
  title: string;
  since: string;
  updated_at: string;
  message: string;
}

export interface DeviceContext {
  platform: string;
  osVersion: string | null;
  appVersion: string | null;
  sdkVersion: string | null;
  model: string | null;
  network: string | null;
  locale: string | null;
  timeZone: string | null;
}

export interface Session {
  session_token: string;
  expires_at: string;
  user: User;
}

export interface SessionRequest {
  /**
   * Recommended: a JWT (HS256, the app's identity secret) from the app's own server carrying
   * `sub` (the user id), `email`, `name` and `exp`; the email it carries counts as verified.
   */
  identityToken?: string;
  /** Omit (with no identity token) for an anonymous visitor, if the app allows them. */
  user?: { id: string; email?: string | null; name?: string | null };
  /** hex HMAC-SHA256(identity secret, user id), computed by the app's own server: proves the id only. */
  userHash?: string;
  device?: DeviceContext;
}

export interface MessagePage {
  messages: Message[];
  cursor: string | null;
  has_more: boolean;
}

export interface ReadReceipt {
  conversation_id: string;
  read_at: string | null;
  unread_count: number;
}

export type AttachmentBody = NonNullable<RequestInit['body']>;

/** An error answer of the hub (`{ error: { code, message } }`), or status 0 when no answer came. */
export class HubApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'HubApiError';
  }

  /** The request may not have reached the server, or its answer was lost. */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

// ── Platform seams ─────────────────────────────────────────────────────────────────────────────

/** localStorage, AsyncStorage or anything alike; async results are awaited. */
export interface KeyValueStorage {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  remove(key: string): void | Promise<void>;
}

// Handler properties are compared bivariantly so that both the DOM WebSocket (MessageEvent,
// CloseEvent) and the `ws` package's own event classes satisfy this shape.
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ data: unknown }> | null;
  onclose: Handler<{ code: number; reason: string }> | null;
  onerror: Handler<unknown> | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface HubClientOptions {
  /** The hub's base URL, e.g. `https://support.example.com` (a path prefix is kept). */
  baseUrl: string;
  appId: string;
  fetch?: typeof fetch;
  WebSocket?: WebSocketConstructor;
  /** Keeps the session token across page loads / app starts; in memory by default. */
  storage?: KeyValueStorage;
  /** Called when the session changes (started, renewed after expiry, ended). */
  onSessionChange?: (session: Session | null) => void;
  /** Per-request timeout; a request that times out counts as a network failure. Default 15 s. */
  requestTimeoutMs?: number;
  /** Retries of a message POST after a network failure or 502/503/504. Default 4. */
  sendRetries?: number;
  /** First retry delay of a message POST; doubles each time. Default 500 ms. */
  retryBaseDelayMs?: number;
}

// ── Stream ────────────────────────────────────────────────────────────────────────────────────

export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StreamStateDetail {
  /** WebSocket close code that caused the change, when there was one. */
  closeCode?: number;
  /** Delay before the next attempt, in state `reconnecting`. */
  retryInMs?: number;
  /** Why the stream stopped for good, in state `closed` (not set when `close()` was called). */
  reason?: 'unauthorized' | 'bad_request';
}

export interface StreamOptions {
  /** Resume after this cursor (null/omitted: everything of the user's conversations). */
  cursor?: string | null;
  /** Called once per message id, in the server's order. */
  onMessage?: (message: Message) => void;
  onConversation?: (conversation: Conversation) => void;
  onStateChange?: (state: StreamState, detail: StreamStateDetail) => void;
  /** Reconnect backoff: first delay, doubling up to `maxDelayMs`, with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** With no frame for this long the client pings; after twice as long it reconnects. Default 25 s. */
  heartbeatMs?: number;
}

export interface ChatStream {
  readonly state: StreamState;
  /** The cursor of the last message delivered: where a reconnect resumes. */
  readonly cursor: string | null;
  /** Drop the current connection (if any) and connect again now, e.g. when the device is back online. */
  reconnectNow(): void;
  close(): void;
}

type ServerFrame =
  | { type: 'ready'; cursor: string | null }
  | { type: 'message'; message: Message }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'ping' }
  | { type: 'pong' };

/** The socket-facing half of the client the stream needs. */
interface StreamHost {
  WebSocket: WebSocketConstructor;
  streamUrl(cursor: string | null): Promise<string>;
  /** After close code 4401: a new session for the same user, for a new one (anonymous), or none. */
  renewSession(): Promise<'same-user' | 'new-user' | null>;
}

/** A client-generated message id: retries with the same id are stored once by the server. */
export function newClientId(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (webCrypto?.randomUUID) return webCrypto.randomUUID();
  // React Native has no crypto.randomUUID without a polyfill; uniqueness per user is enough here.
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}

export class HubClient {
  readonly baseUrl: string;
  readonly appId: string;
  private readonly fetchImpl: typeof fetch;
  private readonly WebSocketImpl: WebSocketConstructor | undefined;
  private readonly storage: KeyValueStorage;
  private readonly storageKey: string;
  private readonly options: HubClientOptions;
  private session: Session | null = null;
  private restored = false;
  /** What `ensureSession` was last asked for: lets the client renew an expired session by itself. */
  private sessionRequest: SessionRequest | null = null;
  private renewing: Promise<Session> | null = null;

  constructor(options: HubClientOptions) {
    this.options = options;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.appId = options.appId;
    const fetchFn = options.fetch ?? globalThis.fetch;
    // Called unbound: browsers throw "Illegal invocation" when window.fetch gets another `this`.
    this.fetchImpl = (input, init) => fetchFn(input, init);
    this.WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    this.storage = options.storage ?? memoryStorage();
    this.storageKey = `supporthub.${options.appId}.session`;
  }

  // ── Sessions ──

  get currentSession(): Session | null {
    return this.session;
  }

  /** The stored session, if one is there and not about to expire; never calls the server. */
  async restoreSession(): Promise<Session | null> {
    if (!this.restored) {
      this.restored = true;
      const raw = await this.storage.get(this.storageKey);
      const stored = raw ? parseStoredSession(raw) : null;
      if (stored && !this.session) this.session = stored;
    }
    if (this.session && !isFresh(this.session)) await this.forgetSession();
    return this.session;
  }

  async startSession(request: SessionRequest = {}): Promise<Session> {
    const body: Record<string, unknown> = {};
    if (request.identityToken) body['identity_token'] = request.identityToken;
    if (request.user) body['user'] = request.user;
    if (request.userHash) body['user_hash'] = request.userHash;
    if (request.device) body['device'] = request.device;
    const session = await this.request<Session>('POST', '/v1/sessions', { json: body, auth: false });
    await this.saveSession(session);
    return session;
  }

  /**
   * Reuses the stored session when it belongs to the same person (the same identified user id, or
   * anonymous for anonymous), else starts one. Remembers `request` to renew the session on 401.
   */
  async ensureSession(request: SessionRequest = {}): Promise<Session> {
    this.sessionRequest = request;
    const stored = await this.restoreSession();
    if (stored && sameIdentity(stored.user, request)) return stored;
    return this.startSession(request);
  }

  async endSession(): Promise<void> {
    this.sessionRequest = null;
    if (this.session) {
      try {
        await this.request<void>('DELETE', '/v1/sessions/current', { renew: false });
      } catch (error) {
        // Already expired or revoked: logging out locally is all that is left to do.
        if (!(error instanceof HubApiError && error.status === 401)) throw error;
      }
    }
    await this.forgetSession();
  }

  // ── Conversations and messages ──

  async listConversations(): Promise<Conversation[]> {
    return (await this.request<{ conversations: Conversation[] }>('GET', '/v1/conversations')).conversations;
  }

  async getConversation(conversationId: string): Promise<Conversation> {
    return (await this.request<{ conversation: Conversation }>('GET', `/v1/conversations/${enc(conversationId)}`)).conversation;
  }

  /** Starts a conversation with its first message; safe to call again with the same `clientId`. */
  async createConversation(input: {
    text: string;
    subject?: string;
    attachments?: string[];
    clientId?: string;
  }): Promise<{ conversation: Conversation; message: Message }> {
    const message = { text: input.text, client_id: input.clientId ?? newClientId(), attachments: input.attachments ?? [] };
    const body: Record<string, unknown> = { message };
    if (input.subject !== undefined) body['subject'] = input.subject;
    return this.postIdempotent('/v1/conversations', body);
  }

  /** Sends a message; network failures are retried with the same `client_id` (stored once). */
  async sendMessage(conversationId: string, input: { text: string; attachments?: string[]; clientId?: string }): Promise<Message> {
    const body = { text: input.text, client_id: input.clientId ?? newClientId(), attachments: input.attachments ?? [] };
    return (await this.postIdempotent<{ message: Message }>(`/v1/conversations/${enc(conversationId)}/messages`, body)).message;
  }

  async listMessages(conversationId: string, page: { after?: string | null; limit?: number } = {}): Promise<MessagePage> {
    const query: string[] = [];
    if (page.after) query.push(`after=${enc(page.after)}`);
    if (page.limit !== undefined) query.push(`limit=${page.limit}`);
    const path = `/v1/conversations/${enc(conversationId)}/messages${query.length ? `?${query.join('&')}` : ''}`;
    return this.request<MessagePage>('GET', path);
  }

  async markRead(conversationId: string, cursor?: string | null): Promise<ReadReceipt> {
    return this.request<ReadReceipt>('POST', `/v1/conversations/${enc(conversationId)}/read`, { json: cursor ? { cursor } : {} });
  }

  async uploadAttachment(filename: string, body: AttachmentBody, contentType: string): Promise<Attachment> {
    const path = `/v1/attachments?filename=${enc(filename)}`;
    const answer = await this.request<{ attachment: Attachment }>('POST', path, { raw: body, contentType, timeoutMs: 120_000 });
    return answer.attachment;
  }

  async downloadAttachment(attachmentId: string): Promise<{ bytes: ArrayBuffer; contentType: string | null }> {
    const response = await this.send('GET', `/v1/attachments/${enc(attachmentId)}`, {});
    return { bytes: await response.arrayBuffer(), contentType: response.headers.get('content-type') };
  }

  /**
   * Open or away and the honest expected reply time; needs no session. With the visitor's IANA
   * `timeZone` the hub words the next opening in their time.
   */
  async getAvailability(options: { timeZone?: string | null } = {}): Promise<Availability> {
    const query = options.timeZone ? `?time_zone=${enc(options.timeZone)}` : '';
    return this.request<Availability>('GET', `/v1/availability${query}`, { auth: false });
  }

  /**
   * Tells the hub this user was shown the incident banner (`Availability.incident`), so it can count
   * who saw it and did not need to write. Once per incident is enough; a 404 means it is gone.
   */
  async reportIncidentView(incidentId: string): Promise<void> {
    await this.request<void>('POST', '/v1/incident-views', { json: { incident_id: incidentId } });
  }

  // ── Stream ──

  /** Opens the live stream; it reconnects by itself (with backoff) until `close()`. */
  connect(options: StreamOptions = {}): ChatStream {
    const WebSocketImpl = this.WebSocketImpl;
    if (!WebSocketImpl) throw new Error('no WebSocket implementation: pass `WebSocket` in the client options');
    // The session this stream last connected with: tells a 4401 on it from one already renewed.
    let streamSession: Session | null = null;
    const host: StreamHost = {
      WebSocket: WebSocketImpl,
      streamUrl: async (cursor) => {
        const session = await this.sessionForCall();
        streamSession = session;
        const wsBase = this.baseUrl.replace(/^http/i, 'ws');
        const query = [`app_id=${enc(this.appId)}`, `access_token=${enc(session.session_token)}`];
        if (cursor) query.push(`cursor=${enc(cursor)}`);
        return `${wsBase}/v1/stream?${query.join('&')}`;
      },
      renewSession: async () => {
        const previousUserId = streamSession?.user.id;
        let current = this.session;
        if (!current || current.session_token === streamSession?.session_token) {
          await this.forgetSession();
          if (!this.sessionRequest) return null;
          current = await this.renew();
        }
        return current.user.id === previousUserId ? 'same-user' : 'new-user';
      },
    };
    const stream = new StreamConnection(host, options);
    stream.start();
    return stream;
  }

  // ── HTTP core ──

  private async postIdempotent<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const retries = this.options.sendRetries ?? 4;
    const baseDelay = this.options.retryBaseDelayMs ?? 500;
    // `body` (and so its client_id) is fixed before the loop: every attempt is the same message.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.request<T>('POST', path, { json: body });
      } catch (error) {
        const retryable = error instanceof HubApiError && (error.isNetworkError || [502, 503, 504].includes(error.status));
        if (!retryable || attempt >= retries) throw error;
        await sleep(Math.min(baseDelay * 2 ** attempt, 8000));
      }
    }
  }

  private async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new HubApiError(response.status, 'invalid_response', `the hub answered ${method} ${path} with something that is not JSON`);
    }
  }

  /** One HTTP exchange; non-2xx answers become HubApiError. A 401 renews the session once. */
  private async send(method: string, path: string, options: RequestOptions): Promise<Response> {
    const auth = options.auth ?? true;
    const session = auth ? await this.sessionForCall() : null;
    const response = await this.fetchOnce(method, path, options, session);
    if (response.ok) return response;
    if (response.status === 401 && auth && (options.renew ?? true) && this.sessionRequest) {
      await response.body?.cancel().catch(() => {});
      await this.forgetSession();
      const renewed = await this.renew();
      const again = await this.fetchOnce(method, path, options, renewed);
      if (again.ok) return again;
      throw await toApiError(again);
    }
    if (response.status === 401 && auth) await this.forgetSession();
    throw await toApiError(response);
  }

  private async fetchOnce(method: string, path: string, options: RequestOptions, session: Session | null): Promise<Response> {
    const headers: Record<string, string> = { 'X-Hub-App-Id': this.appId, Accept: 'application/json' };
    if (session) headers['Authorization'] = `Bearer ${session.session_token}`;
    let body: AttachmentBody | undefined;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      headers['Content-Type'] = options.contentType ?? 'application/octet-stream';
      body = options.raw;
    }
    const controller = new AbortController();
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs ?? 15_000;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const init: RequestInit = { method, headers, signal: controller.signal };
      if (body !== undefined) init.body = body;
      return await this.fetchImpl(`${this.baseUrl}${path}`, init);
    } catch (error) {
      const why = controller.signal.aborted ? `no answer within ${timeoutMs} ms` : errorText(error);
      throw new HubApiError(0, 'network_error', `could not reach the hub (${method} ${path}): ${why}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sessionForCall(): Promise<Session> {
    const session = await this.restoreSession();
    if (session) return session;
    if (this.sessionRequest) return this.renew();
    throw new HubApiError(401, 'no_session', 'no chat session: call ensureSession() or startSession() first');
  }

  /** One renewal at a time, however many calls found the session expired together. */
  private renew(): Promise<Session> {
    this.renewing ??= this.startSession(this.sessionRequest ?? {}).finally(() => {
      this.renewing = null;
    });
    return this.renewing;
  }

  private async saveSession(session: Session): Promise<void> {
    this.session = session;
    this.restored = true;
    await this.storage.set(this.storageKey, JSON.stringify(session));
    this.options.onSessionChange?.(session);
  }

  private async forgetSession(): Promise<void> {
    const had = this.session !== null;
    this.session = null;
    await this.storage.remove(this.storageKey);
    if (had) this.options.onSessionChange?.(null);
  }
}

interface RequestOptions {
  json?: unknown;
  raw?: AttachmentBody;
  contentType?: string;
  /** Send the session token (default true). */
  auth?: boolean;
  /** On 401, start a new session and retry once (default true, when a session request is known). */
  renew?: boolean;
  timeoutMs?: number;
}

/** The live stream: reconnects with exponential backoff and resumes after the last cursor it saw. */
class StreamConnection implements ChatStream {
  state: StreamState = 'connecting';
  cursor: string | null;
  private socket: WebSocketLike | null = null;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private lastFrameAt = 0;
  private stopped = false;
  // Resumes overlap (at-least-once): remember recent ids so each message is delivered once.
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];

  constructor(
    private readonly host: StreamHost,
    private readonly options: StreamOptions,
  ) {
    this.cursor = options.cursor ?? null;
  }

  start(): void {
    void this.open();
  }

  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.dropSocket();
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.setState('reconnecting', { retryInMs: 0 });
    void this.open();
  }

  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.dropSocket();
    this.setState('closed', {});
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    let url: string;
    try {
      url = await this.host.streamUrl(this.cursor);
    } catch {
      // No session yet and none could be made (hub unreachable): try again later.
      this.scheduleReconnect({});
      return;
    }
    if (this.stopped) return;
    const socket = new this.host.WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.lastFrameAt = Date.now();
      this.startHeartbeat(socket);
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket) return;
      this.lastFrameAt = Date.now();
      if (typeof event.data === 'string') this.onFrame(socket, event.data);
    };
    socket.onerror = () => {
      // A close event follows; reconnecting happens there.
    };
    socket.onclose = (event) => {
      if (socket === this.socket) void this.onClosed(event.code);
    };
  }

  private onFrame(socket: WebSocketLike, data: string): void {
    const frame = parseFrame(data);
    if (!frame) return;
    switch (frame.type) {
      case 'ready':
        this.attempt = 0;
        this.setState('open', {});
        break;
      case 'message': {
        if (this.state !== 'open') {
          this.attempt = 0;
          this.setState('open', {});
        }
        const { message } = frame;
        if (this.seen.has(message.id)) return;
        this.remember(message.id);
        this.cursor = message.cursor;
        this.options.onMessage?.(message);
        break;
      }
      case 'conversation':
        this.options.onConversation?.(frame.conversation);
        break;
      case 'ping':
        socket.send(JSON.stringify({ type: 'pong' }));
        break;
      case 'pong':
        break;
    }
  }

  private async onClosed(code: number): Promise<void> {
    this.dropSocket();
    if (this.stopped) return;
    if (code === 4401) {
      // Expired or revoked token: a renewed session can resume; without one the stream is over.
      let renewed: 'same-user' | 'new-user' | null;
      try {
        renewed = await this.host.renewSession();
      } catch {
        this.scheduleReconnect({ closeCode: code });
        return;
      }
      if (this.stopped) return;
      if (!renewed) {
        this.stop({ closeCode: code, reason: 'unauthorized' });
        return;
      }
      if (renewed === 'new-user') {
        // A new anonymous visitor: the old user's cursor means nothing for their stream.
        this.cursor = null;
        this.seen.clear();
        this.seenOrder.length = 0;
      }
      this.scheduleReconnect({ closeCode: code });
      return;
    }
    if (code === 4400) {
      this.stop({ closeCode: code, reason: 'bad_request' });
      return;
    }
    // 4429: the server saw us flooding; wait at least a few seconds whatever the attempt count.
    this.scheduleReconnect({ closeCode: code }, code === 4429 ? 5000 : 0);
  }

  private scheduleReconnect(detail: StreamStateDetail, minimumMs = 0): void {
    if (this.stopped) return;
    const initial = this.options.initialDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 30_000;
    const ceiling = Math.min(max, initial * 2 ** this.attempt);
    // Jitter spreads the reconnects of many clients after a hub restart.
    const delay = Math.max(minimumMs, Math.round(ceiling * (0.5 + Math.random() * 0.5)));
    this.attempt++;
    this.setState('reconnecting', { ...detail, retryInMs: delay });
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.open();
    }, delay);
  }

  private startHeartbeat(socket: WebSocketLike): void {
    const interval = this.options.heartbeatMs ?? 25_000;
    this.stopHeartbeat();
    this.heartbeatTimer = setInterval(() => {
      if (socket !== this.socket) return;
      const silentFor = Date.now() - this.lastFrameAt;
      // A half-open TCP connection never closes by itself: no frame for two periods means dead.
      if (silentFor >= interval * 2) void this.onClosed(1006);
      else if (silentFor >= interval) socket.send(JSON.stringify({ type: 'ping' }));
    }, interval);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  private dropSocket(): void {
    this.stopHeartbeat();
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
    try {
      socket.close(1000, 'client closed');
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is gone anyway.
    }
  }

  private stop(detail: StreamStateDetail): void {
    this.stopped = true;
    this.setState('closed', detail);
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seenOrder.length > 10_000) this.seen.delete(this.seenOrder.shift()!);
  }

  private setState(state: StreamState, detail: StreamStateDetail): void {
    if (this.state === state && state !== 'reconnecting') return;
    this.state = state;
    this.options.onStateChange?.(state, detail);
  }
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────

export function memoryStorage(): KeyValueStorage {
  const values = new Map<string, string>();
  return {
    get: (key) => values.get(key) ?? null,
    set: (key, value) => void values.set(key, value),
    remove: (key) => void values.delete(key),
  };
}

/** Maps a non-2xx answer to HubApiError, reading `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3). */
async function toApiError(response: Response): Promise<HubApiError> {
  let code = `http_${response.status}`;
  let message = `the hub answered ${response.status}`;
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    if (typeof body.error?.code === 'string') code = body.error.code;
    if (typeof body.error?.message === 'string') message = body.error.message;
  } catch {
    // Not our JSON (a proxy's error page): keep the generic code.
  }
  return new HubApiError(response.status, code, message, parseRetryAfter(response.headers.get('retry-after')));
}

export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\s*\d+\s*$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

function parseFrame(data: string): ServerFrame | null {
  let frame: unknown;
  try {
    frame = JSON.parse(data);
  } catch {
    return null;
  }
  if (!isRecord(frame) || typeof frame['type'] !== 'string') return null;
  switch (frame['type']) {
    case 'ready':
      return { type: 'ready', cursor: typeof frame['cursor'] === 'string' ? frame['cursor'] : null };
    case 'message': {
      const message = frame['message'];
      const valid = isRecord(message) && typeof message['id'] === 'string' && typeof message['conversation_id'] === 'string' && typeof message['cursor'] === 'string';
      return valid ? { type: 'message', message: message as unknown as Message } : null;
    }
    case 'conversation': {
      const conversation = frame['conversation'];
      return isRecord(conversation) && typeof conversation['id'] === 'string' ? { type: 'conversation', conversation: conversation as unknown as Conversation } : null;
    }
    case 'ping':
      return { type: 'ping' };
    case 'pong':
      return { type: 'pong' };
    default:
      return null;
  }
}

function parseStoredSession(raw: string): Session | null {
  try {
    const value: unknown = JSON.parse(raw);
    if (isRecord(value) && typeof value['session_token'] === 'string' && typeof value['expires_at'] === 'string' && isRecord(value['user'])) {
      return value as unknown as Session;
    }
  } catch {
    // Corrupt storage: start over.
  }
  return null;
}

/** Treat a session as gone a minute before it expires, so a call never races its expiry. */
function isFresh(session: Session): boolean {
  const expires = Date.parse(session.expires_at);
  return Number.isNaN(expires) || expires - 60_000 > Date.now();
}

function sameIdentity(user: User, request: SessionRequest): boolean {
  const id = (request.identityToken ? tokenSubject(request.identityToken) : null) ?? request.user?.id ?? null;
  if (request.identityToken && id === null) return false; // cannot tell: ask the hub
  return id !== null ? user.kind === 'identified' && user.id === id : user.kind === 'anonymous';
}

/** The `sub` of an identity token, read (not verified: the hub verifies) to match a stored session. */
function tokenSubject(token: string): string | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as unknown;
    return isRecord(json) && typeof json['sub'] === 'string' ? json['sub'] : null;
  } catch {
    return null;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const enc = encodeURIComponent;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));
