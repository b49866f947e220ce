import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { ChannelKind, ConversationStatus, MessageDirection, AuthorKind, Message } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';

/** What changed in the canonical store. Small on purpose: listeners load details they need. */
export type HubEvent =
  | { type: 'conversation.created'; conversationId: string; channel: ChannelKind; source: string }
  | { type: 'conversation.updated'; conversationId: string; status: ConversationStatus }
  | {
      type: 'message.created';
      conversationId: string;
      messageId: string;
      position: number;
      direction: MessageDirection;
      authorKind: AuthorKind;
      channel: ChannelKind;
      /** The committed row, attached only in the process that wrote it (never sent over NOTIFY). */
      row?: Message;
    }
  | { type: 'message.delivered'; conversationId: string; messageId: string }
  | { type: 'triage.updated'; conversationId: string; level: 'urgent' | 'high' | 'normal' | 'low' }
  | { type: 'probe'; probeId: string; origin: string }
  /** A chat session was revoked: every process drops it from its cache and closes its sockets. */
  | { type: 'session.revoked'; sessionId: string }
  /** An account-data source said a customer changed (Stripe webhook): every process drops its cached answers. */
  | { type: 'account.changed'; integrationId: string; emails: string[]; keys: string[] };

export type EventListener = (event: HubEvent) => void;

/**
 * Events are published after commit. In one process they go straight to listeners; on PostgreSQL
 * they also travel through NOTIFY (sent inside the transaction, so only committed changes are
 * announced) to every other hub process sharing the database.
 */
export interface EventBus {
  /** Inside the transaction that made the change (PostgreSQL: queues the NOTIFY; PGlite: nothing). */
  stageIn(tx: Tx, events: readonly HubEvent[]): Promise<void>;
  /** After commit: deliver to this process's listeners. */
  emitLocal(events: readonly HubEvent[]): void;
  /** Outside any transaction: both of the above. */
  publish(events: readonly HubEvent[]): Promise<void>;
  subscribe(listener: EventListener): () => void;
  /** True while cross-process delivery works (always true in process-only mode). */
  connected(): boolean;
  close(): Promise<void>;
}

class LocalEventBus implements EventBus {
  protected readonly emitter = new EventEmitter();

  constructor(protected readonly log: Logger) {
    this.emitter.setMaxListeners(0);
  }

  async stageIn(_tx: Tx, _events: readonly HubEvent[]): Promise<void> {}

  emitLocal(events: readonly HubEvent[]): void {
    for (const event of events) {
      for (const listener of this.emitter.listeners('event') as EventListener[]) {
        try {
          listener(event);
        } catch (error) {
          this.log.error({ err: error, event: event.type }, 'event listener failed');
        }
      }
    }
  }

  async publish(events: readonly HubEvent[]): Promise<void> {
    this.emitLocal(events);
  }

  subscribe(listener: EventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  connected(): boolean {
    return true;
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

const CHANNEL = 'hub_events';
// NOTIFY payloads must stay under 8000 bytes; leave room for the envelope.
const MAX_PAYLOAD = 7000;

class PostgresEventBus extends LocalEventBus {
  private readonly origin = randomUUID();
  private client: pg.Client | null = null;
  private closing = false;
  private isConnected = false;
  private reconnectDelayMs = 500;

  constructor(
    log: Logger,
    private readonly databaseUrl: string,
    private readonly db: Store['db'],
  ) {
    super(log);
  }

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => this.onNotification(message.payload));
    client.on('error', (error) => {
      this.log.warn({ err: error }, 'event bus connection failed; reconnecting');
      this.scheduleReconnect(client);
    });
    client.on('end', () => this.scheduleReconnect(client));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.client = client;
    this.isConnected = true;
    this.reconnectDelayMs = 500;
  }

  private scheduleReconnect(client: pg.Client): void {
    if (this.closing || this.client !== client) return;
    this.client = null;
    this.isConnected = false;
    client.removeAllListeners();
    client.end().catch(() => {});
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(delay * 2, 30_000);
    setTimeout(() => {
      if (this.closing) return;
      this.connect().catch((error) => {
        this.log.warn({ err: error }, 'event bus reconnect failed');
        this.scheduleReconnect(client);
      });
    }, delay).unref();
  }

  private onNotification(payload: string | undefined): void {
    if (!payload) return;
    let envelope: { origin: string; events: HubEvent[] };
    try {
      envelope = JSON.parse(payload) as { origin: string; events: HubEvent[] };
    } catch {
      return;
    }
    // Our own events were delivered locally right after commit.
    if (envelope.origin === this.origin) return;
    this.emitLocal(envelope.events);
  }

  override async stageIn(tx: Tx, events: readonly HubEvent[]): Promise<void> {
    for (const payload of this.envelopes(events)) await sql`SELECT pg_notify(${CHANNEL}, ${payload})`.execute(tx);
  }

  override async publish(events: readonly HubEvent[]): Promise<void> {
    for (const payload of this.envelopes(events)) await sql`SELECT pg_notify(${CHANNEL}, ${payload})`.execute(this.db);
    this.emitLocal(events);
  }

  private *envelopes(events: readonly HubEvent[]): Generator<string> {
    let batch: HubEvent[] = [];
    let size = 0;
    for (const full of events) {
      // Rows attached for local listeners stay local: NOTIFY carries ids only.
      const event = full.type === 'message.created' && full.row ? (({ row: _row, ...rest }) => rest)(full) : full;
      const length = Buffer.byteLength(JSON.stringify(event));
      if (batch.length > 0 && size + length > MAX_PAYLOAD) {
        yield JSON.stringify({ origin: this.origin, events: batch });
        batch = [];
        size = 0;
      }
      batch.push(event);
      size += length + 1;
    }
    if (batch.length > 0) yield JSON.stringify({ origin: this.origin, events: batch });
  }

  override connected(): boolean {
    return this.isConnected;
  }

  override async close(): Promise<void> {
    this.closing = true;
    const client = this.client;
    this.client = null;
    this.isConnected = false;
    if (client) {
      client.removeAllListeners();
      await client.end().catch(() => {});
    }
    await super.close();
  }
}

export async function createEventBus(log: Logger, store: Store): Promise<EventBus> {
  if (!store.databaseUrl) return new LocalEventBus(log);
  const bus = new PostgresEventBus(log, store.databaseUrl, store.db);
  await bus.connect();
  return bus;
}
