import type { Logger } from 'pino';
import { ZodError } from 'zod';
import { badRequest } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import type { EventBus, HubEvent } from './events.js';
import { inboundMessageSchema, type InboundFollowUp, type InboundMessage, type IngestResult, type ParsedInbound } from './inbound.js';
import { writeInboundBatch } from './ingest-batch.js';
import { withTransientRetry } from './transient.js';

export interface IngestorOptions {
  /** Most messages written by one transaction. */
  maxBatch?: number;
  /**
   * Transactions in flight at once (lanes). PGlite runs one at a time. On a server more lanes
   * overlap round trips but split groups; with 8 callers on 2 cores one lane measured best
   * (bench:ingest), and several hub processes already write in parallel.
   */
  maxConcurrentBatches?: number;
  clock?: () => Date;
}

interface Lane {
  pending: Pending[];
  active: boolean;
  scheduled: boolean;
}

/** FNV-1a: a stable, cheap spread of customer identities over lanes. */
function laneOf(key: string, lanes: number): number {
  if (lanes === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

interface Pending {
  item: ParsedInbound;
  resolve: (result: IngestResult) => void;
  reject: (error: Error) => void;
}

export interface IngestorDeps {
  store: Store;
  queue: JobQueue;
  bus: EventBus;
  log: Logger;
  followUps: readonly InboundFollowUp[];
  onIngested?: (results: readonly IngestResult[]) => void;
}

/**
 * `ingest()`: stores a customer message — contact upserted, conversation found or created by its
 * threading key, message deduplicated by (source, source message id) — and enqueues its
 * follow-up jobs in the same transaction. Calls that arrive while a transaction is in flight are
 * grouped into the next one (group commit): every caller still gets its own result only after
 * its message and jobs are committed.
 *
 * Messages are spread over lanes by customer identity. Lanes commit in parallel (on a server,
 * their round trips overlap); within a lane batches commit one after another, so one customer's
 * messages — and so each conversation's — are stored in the order they arrived.
 */
export class Ingestor {
  private readonly lanes: Lane[];
  private readonly idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly clock: () => Date;

  constructor(
    private readonly deps: IngestorDeps,
    options: IngestorOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    const lanes = options.maxConcurrentBatches ?? 1;
    this.lanes = Array.from({ length: lanes }, () => ({ pending: [], active: false, scheduled: false }));
    this.clock = options.clock ?? (() => new Date());
  }

  ingest(inbound: InboundMessage): Promise<IngestResult> {
    let item: ParsedInbound;
    try {
      item = inboundMessageSchema.parse(inbound);
    } catch (error) {
      const detail = error instanceof ZodError ? error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') : String(error);
      return Promise.reject(badRequest(`invalid inbound message: ${detail}`, 'invalid_message'));
    }
    const lane = this.lanes[laneOf(`${item.contact.identityKind}\u0000${item.contact.identityKey}`, this.lanes.length)]!;
    return new Promise<IngestResult>((resolve, reject) => {
      lane.pending.push({ item, resolve, reject });
      this.pump(lane);
    });
  }

  /** Resolves once every accepted call has been committed or rejected (graceful shutdown). */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private isIdle(): boolean {
    return this.lanes.every((lane) => !lane.active && lane.pending.length === 0);
  }

  /**
   * Starts the lane's next batch one macrotask later, not synchronously: callers released
   * together by the previous commit (their promises resolve in one tick) then share the next
   * transaction instead of the first of them running alone while the rest wait behind it.
   */
  private pump(lane: Lane): void {
    if (lane.scheduled || lane.active) return;
    lane.scheduled = true;
    setImmediate(() => {
      lane.scheduled = false;
      if (lane.active || lane.pending.length === 0) return;
      const batch = lane.pending.splice(0, this.maxBatch);
      lane.active = true;
      void this.run(batch).finally(() => {
        lane.active = false;
        if (lane.pending.length > 0) this.pump(lane);
        else if (this.isIdle()) for (const done of this.idle.splice(0)) done();
      });
    });
  }

  private async run(batch: Pending[]): Promise<void> {
    try {
      const results = await this.commit(batch.map((p) => p.item));
      results.forEach((result, i) => (result instanceof Error ? batch[i]!.reject(result) : batch[i]!.resolve(result)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error as Error);
        return;
      }
      // One bad message must not sink its neighbours: write each on its own.
      this.deps.log.warn({ err: error, size: batch.length }, 'ingest batch failed; retrying its messages one by one');
      for (const pending of batch) await this.run([pending]);
    }
  }

  private async commit(items: ParsedInbound[]): Promise<(IngestResult | Error)[]> {
    const { store, queue, bus, followUps } = this.deps;
    const now = this.clock();
    const committed = await withTransientRetry(() =>
      store.transaction(async (tx) => {
        const { results } = await writeInboundBatch(tx, items, now);
        const stored = results.filter((r): r is IngestResult => !(r instanceof Error) && r.created);
        const jobs = stored.flatMap((result) => followUps.flatMap((followUp) => followUp(result)));
        await queue.enqueueIn(tx, jobs);
        const events = stored.flatMap(eventsOf);
        await bus.stageIn(tx, events);
        return { results, stored, jobs, events };
      }),
    );
    bus.emitLocal(committed.events.map((event) => withRow(event, committed.stored)));
    queue.wake(committed.jobs.map((job) => job.name));
    if (committed.stored.length > 0) this.deps.onIngested?.(committed.stored);
    return committed.results;
  }
}

/** In this process listeners get the committed row with the event and need not read it back. */
function withRow(event: HubEvent, stored: readonly IngestResult[]): HubEvent {
  if (event.type !== 'message.created') return event;
  const row = stored.find((r) => r.message.id === event.messageId)?.message;
  return row ? { ...event, row } : event;
}

function eventsOf(result: IngestResult): HubEvent[] {
  const { conversation, message } = result;
  const events: HubEvent[] = [];
  if (result.newConversation) {
    events.push({ type: 'conversation.created', conversationId: conversation.id, channel: conversation.channel, source: conversation.source });
  }
  events.push({
    type: 'message.created',
    conversationId: conversation.id,
    messageId: message.id,
    position: message.position,
    direction: message.direction,
    authorKind: message.author_kind,
    channel: conversation.channel,
  });
  return events;
}
