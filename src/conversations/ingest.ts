import type { Logger } from 'pino';
import { parseInput } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import type { EventBus, HubEvent } from './events.js';
import { inboundMessageSchema, type InboundFollowUp, type InboundMessage, type IngestResult, type ParsedInbound } from './inbound.js';
import { writeInboundBatch } from './ingest-batch.js';
import { withTransientRetry } from './transient.js';
import { GroupCommitter } from './group-commit.js';

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
 * follow-up jobs in the same transaction. Concurrent calls share transactions (group commit),
 * laned by customer identity so one customer's messages are stored in arrival order.
 */
export class Ingestor {
  private readonly group: GroupCommitter<ParsedInbound, IngestResult>;
  private readonly clock: () => Date;

  constructor(
    private readonly deps: IngestorDeps,
    options: IngestorOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.group = new GroupCommitter({
      commit: (items) => this.commit(items),
      laneKey: (item) => `${item.contact.identityKind}\u0000${item.contact.identityKey}`,
      lanes: options.maxConcurrentBatches ?? 1,
      maxBatch: options.maxBatch ?? 200,
      log: deps.log,
      what: 'ingest',
    });
  }

  ingest(inbound: InboundMessage): Promise<IngestResult> {
    let item: ParsedInbound;
    try {
      item = parseInput(inboundMessageSchema, inbound, 'inbound message', 'invalid_message');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.group.submit(item);
  }

  /** Resolves once every accepted call has been committed or rejected (graceful shutdown). */
  drain(): Promise<void> {
    return this.group.drain();
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
