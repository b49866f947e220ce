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
   * Transactions in flight at once. PGlite runs one at a time. On a server two overlap their round
   * trips; more only contend (measured with bench:ingest on 2 cores).
   */
  maxConcurrentBatches?: number;
  clock?: () => Date;
}

/** Below this, splitting a group costs more round trips than it overlaps. */
const MIN_SPLIT = 2;

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
 */
export class Ingestor {
  private readonly pending: Pending[] = [];
  private active = 0;
  private flushScheduled = false;
  private readonly idle: (() => void)[] = [];
  private readonly maxBatch: number;
  private readonly maxConcurrent: number;
  private readonly clock: () => Date;

  constructor(
    private readonly deps: IngestorDeps,
    options: IngestorOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 200;
    this.maxConcurrent = options.maxConcurrentBatches ?? (deps.store.backend === 'pglite' ? 1 : 2);
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
    return new Promise<IngestResult>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once every accepted call has been committed or rejected (graceful shutdown). */
  drain(): Promise<void> {
    if (this.active === 0 && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /**
   * Starts the next batch one macrotask later, not synchronously: callers released together by
   * the previous commit (all their promises resolve in one tick) then share the next transaction
   * instead of the first of them running alone while the rest wait behind it.
   */
  private pump(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    // Spread what is waiting over the free transaction slots: on a server, parallel transactions
    // overlap their round trips; on PGlite there is one slot and everything shares it.
    const slots = this.maxConcurrent - this.active;
    if (slots <= 0 || this.pending.length === 0) return;
    const size = Math.min(this.maxBatch, Math.max(MIN_SPLIT, Math.ceil(this.pending.length / slots)));
    while (this.active < this.maxConcurrent && this.pending.length > 0) {
      const batch = this.pending.splice(0, size);
      this.active++;
      void this.run(batch).finally(() => {
        this.active--;
        this.pump();
        if (this.active === 0 && this.pending.length === 0) for (const done of this.idle.splice(0)) done();
      });
    }
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
    bus.emitLocal(committed.events);
    queue.wake(committed.jobs.map((job) => job.name));
    if (committed.stored.length > 0) this.deps.onIngested?.(committed.stored);
    return committed.results;
  }
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
