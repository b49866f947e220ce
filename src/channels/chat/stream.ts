import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { HubError } from '../../errors.js';
import type { EventBus, HubEvent } from '../../conversations/events.js';
import { bearerToken } from '../../http/bearer.js';
import type { Store } from '../../store/store.js';
import type { Message } from '../../store/schema.js';
import type { ChatConfig } from './config.js';
import { firstReplies } from './first-reply.js';
import { decodeCursor, encodeCursor, presentConversation, presentMessage } from './presenters.js';
import { messagesAfter, unreadCounts } from './queries.js';
import { authenticate, type ChatUser, type SessionCache } from './sessions.js';

/** WebSocket close codes of API v1 (4000–4999 are the application's). */
export const CLOSE = { badRequest: 4400, unauthorized: 4401, flooding: 4429, shuttingDown: 1001 } as const;

const PING_EVERY_MS = 25_000;
const SILENT_LIMIT_MS = 60_000;
const FRAMES_PER_SECOND = 20;
const BACKLOG_PAGE = 200;

interface Client {
  socket: WebSocket;
  user: ChatUser;
  /** Highest message position sent; live events at or below it were already delivered. */
  sent: number;
  /** Ids recently sent (an event from another process may arrive after a later one). */
  recent: Set<string>;
  /** Events that arrived while the backlog was being replayed. */
  replaying: boolean;
  held: number[];
  lastHeard: number;
  frames: { windowStart: number; count: number };
}

/**
 * `GET /v1/stream`: pushes a customer's messages (agent replies, acknowledgements) and
 * conversation changes as they happen. On connect and on `resume` it first replays everything
 * after the client's cursor, in order. Live events come from the event bus — published right after
 * commit, in this process or (PostgreSQL) any other — so delivery never waits for job polling.
 */
export class ChatStream {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 });
  private readonly byContact = new Map<string, Set<Client>>();
  private readonly conversationOwner = new Map<string, string | null>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: { store: Store; bus: EventBus; chat: ChatConfig; log: Logger; sessions?: SessionCache; clock?: () => Date },
  ) {
    this.unsubscribe = deps.bus.subscribe((event) => void this.onEvent(event));
    this.heartbeat = setInterval(() => this.beat(), PING_EVERY_MS).unref();
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://hub.invalid');
      if (url.pathname !== '/v1/stream') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.accept(ws, req, url));
    });
  }

  connectedClients(): number {
    let n = 0;
    for (const set of this.byContact.values()) n += set.size;
    return n;
  }

  private async accept(socket: WebSocket, req: IncomingMessage, url: URL): Promise<void> {
    // Browsers cannot set headers on a WebSocket, so the app and token may come in the query.
    const appId = url.searchParams.get('app_id') ?? headerOf(req, 'x-hub-app-id');
    const token = url.searchParams.get('access_token') ?? bearerToken(headerOf(req, 'authorization') ?? undefined);
    const app = this.deps.chat.apps.find((a) => a.id === appId);
    if (!app) return socket.close(CLOSE.badRequest, appId ? 'unknown chat app' : 'name the chat app (app_id)');
    const origin = headerOf(req, 'origin');
    if (origin && !app.allowedOrigins.includes('*') && !app.allowedOrigins.includes(origin)) {
      return socket.close(CLOSE.badRequest, 'origin not allowed for this app');
    }
    let user: ChatUser;
    try {
      user = await authenticate(this.deps.store, app.id, token, this.now(), this.deps.sessions);
    } catch (error) {
      const reason = error instanceof HubError ? error.code : 'invalid_token';
      return socket.close(CLOSE.unauthorized, reason);
    }
    const after = decodeCursor(url.searchParams.get('cursor'));
    if (Number.isNaN(after)) return socket.close(CLOSE.badRequest, 'cursor is not one this API issued');
    const client: Client = { socket, user, sent: after ?? 0, recent: new Set(), replaying: false, held: [], lastHeard: Date.now(), frames: { windowStart: Date.now(), count: 0 } };
    const set = this.byContact.get(user.contactId) ?? new Set<Client>();
    set.add(client);
    this.byContact.set(user.contactId, set);
    socket.on('message', (data, isBinary) => this.onFrame(client, data.toString(), isBinary));
    socket.on('pong', () => (client.lastHeard = Date.now()));
    socket.on('close', () => {
      set.delete(client);
      if (set.size === 0) this.byContact.delete(user.contactId);
    });
    socket.on('error', (error) => this.deps.log.debug({ err: error }, 'chat socket error'));
    await this.replay(client, after ?? 0);
  }

  private onFrame(client: Client, data: string, isBinary: boolean): void {
    client.lastHeard = Date.now();
    const now = Date.now();
    if (now - client.frames.windowStart > 1000) client.frames = { windowStart: now, count: 0 };
    if (++client.frames.count > FRAMES_PER_SECOND) {
      client.socket.close(CLOSE.flooding, 'too many frames; slow down');
      return;
    }
    let frame: { type?: unknown; cursor?: unknown };
    try {
      frame = isBinary ? {} : (JSON.parse(data) as { type?: unknown; cursor?: unknown });
    } catch {
      client.socket.close(CLOSE.badRequest, 'frames must be JSON text');
      return;
    }
    if (frame.type === 'ping') this.send(client, { type: 'pong' });
    else if (frame.type === 'resume') {
      const after = decodeCursor(typeof frame.cursor === 'string' ? frame.cursor : null);
      if (Number.isNaN(after)) client.socket.close(CLOSE.badRequest, 'cursor is not one this API issued');
      else void this.replay(client, after ?? 0);
    }
    // `pong` and unknown frame types only count as a sign of life: newer clients may send more.
  }

  private async replay(client: Client, after: number): Promise<void> {
    client.replaying = true;
    client.sent = after;
    client.recent.clear(); // the client asked for everything after its cursor, seen or not
    try {
      for (;;) {
        const page = await messagesAfter(this.deps.store, { contactId: client.user.contactId }, client.sent, BACKLOG_PAGE);
        for (const message of page) this.sendMessage(client, message);
        if (page.length < BACKLOG_PAGE) break;
      }
      client.replaying = false;
      this.send(client, { type: 'ready', cursor: client.sent > 0 ? encodeCursor(client.sent) : null });
      // Live events that came in meanwhile and are newer than the backlog.
      const held = client.held.splice(0).filter((p) => p > client.sent);
      if (held.length > 0) await this.sendNew(client);
    } catch (error) {
      this.deps.log.warn({ err: error }, 'chat stream replay failed');
      client.socket.close(1011, 'temporary failure; reconnect');
    }
  }

  private async onEvent(event: HubEvent): Promise<void> {
    try {
      if (event.type === 'session.revoked') {
        this.deps.sessions?.evictSession(event.sessionId);
        for (const clients of this.byContact.values()) {
          for (const client of clients) if (client.user.sessionId === event.sessionId) client.socket.close(CLOSE.unauthorized, 'session revoked');
        }
      } else if (event.type === 'message.created' && event.channel === 'chat') {
        const contactId = await this.ownerOf(event.conversationId);
        const clients = contactId ? this.byContact.get(contactId) : undefined;
        if (!clients) return;
        // The writing process has the row; others read it once, however many devices are connected.
        const message = event.row ?? (await this.deps.store.db.selectFrom('messages').selectAll().where('id', '=', event.messageId).executeTakeFirst());
        if (!message) return;
        for (const client of clients) {
          if (client.replaying) client.held.push(event.position);
          else this.sendMessage(client, message);
        }
      } else if (event.type === 'conversation.updated') {
        const contactId = await this.ownerOf(event.conversationId);
        const clients = contactId ? this.byContact.get(contactId) : undefined;
        if (!clients) return;
        const conversation = await this.deps.store.db.selectFrom('conversations').selectAll().where('id', '=', event.conversationId).executeTakeFirst();
        if (!conversation) return;
        const [unread, replies] = await Promise.all([unreadCounts(this.deps.store, [conversation.id]), firstReplies(this.deps.store, [conversation])]);
        for (const client of clients) this.send(client, { type: 'conversation', conversation: presentConversation(conversation, unread.get(conversation.id) ?? 0, replies.get(conversation.id)) });
      }
    } catch (error) {
      this.deps.log.warn({ err: error, event: event.type }, 'chat stream could not forward an event');
    }
  }

  /** After a replay: whatever committed while it ran, read in position order. */
  private async sendNew(client: Client): Promise<void> {
    const messages = await messagesAfter(this.deps.store, { contactId: client.user.contactId }, client.sent, BACKLOG_PAGE);
    for (const message of messages) this.sendMessage(client, message);
  }

  /**
   * Sends a message once per client; the cursor only moves forward. A message older than the
   * cursor but unseen (an event from another process overtaken by a later one) is still sent.
   */
  private sendMessage(client: Client, message: Message): void {
    if (client.recent.has(message.id)) return;
    client.recent.add(message.id);
    if (client.recent.size > 256) client.recent.delete(client.recent.values().next().value!);
    this.send(client, { type: 'message', message: presentMessage(message) });
    if (message.position > client.sent) client.sent = message.position;
  }

  private async ownerOf(conversationId: string): Promise<string | null> {
    if (this.conversationOwner.has(conversationId)) return this.conversationOwner.get(conversationId)!;
    const row = await this.deps.store.db.selectFrom('conversations').select('contact_id').where('id', '=', conversationId).executeTakeFirst();
    const owner = row?.contact_id ?? null;
    // Conversations never change owner; bound the cache so memory stays flat.
    if (this.conversationOwner.size > 50_000) this.conversationOwner.clear();
    this.conversationOwner.set(conversationId, owner);
    return owner;
  }

  private send(client: Client, frame: unknown): void {
    if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(frame));
  }

  private beat(): void {
    const now = Date.now();
    for (const clients of this.byContact.values()) {
      for (const client of clients) {
        if (now - client.lastHeard > SILENT_LIMIT_MS) {
          client.socket.terminate();
          continue;
        }
        this.send(client, { type: 'ping' });
        client.socket.ping();
      }
    }
  }

  private now(): Date {
    return this.deps.clock?.() ?? new Date();
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const clients of this.byContact.values()) for (const client of clients) client.socket.close(CLOSE.shuttingDown, 'server shutting down');
    this.wss.close();
  }
}

function headerOf(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name];
  return typeof value === 'string' ? value : null;
}
