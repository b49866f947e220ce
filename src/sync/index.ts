import type { Router } from 'express';
import type { Logger } from 'pino';
import type { HelpdeskCapability } from '../capabilities/helpdesk.js';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { ChannelDelivery } from '../conversations/delivery.js';
import type { InboundFollowUp, InboundMessage, IngestResult } from '../conversations/inbound.js';
import type { OutboundReply, ReplyResult } from '../conversations/reply.js';
import type { JobHandler, JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Conversation, Message } from '../store/schema.js';
import type { Store } from '../store/store.js';
import { routeFor, type SyncConfig } from './config.js';
import { IntegrationStates, type IntegrationHealth } from './integration-state.js';
import { syncPullJob } from './pull.js';
import { problemRequest, syncProblemJob } from './problem.js';
import { pushRequest, syncPushJob } from './push.js';
import { Reconciler } from './reconcile.js';
import { helpdeskWebhookRouter, pullRequest } from './webhooks.js';

export interface SyncDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  registry: IntegrationRegistry;
  config: SyncConfig;
  processTag: string;
  maxWebhookBytes: number;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  attachmentUrl(id: string): string | null;
  /** The dashboard page of a hub incident (null without HUB_PUBLIC_URL), linked from the helpdesk. */
  incidentUrl?(incidentId: string): string | null;
  /** An incident's problem record was solved at the helpdesk (an agent solved the Zendesk problem): resolve it in the hub. */
  resolveIncident?(incidentId: string, by: string): Promise<void>;
}

export interface HelpdeskSync {
  /** The helpdesk a conversation syncs to, or null (ARCHITECTURE §6: exactly one, or none). */
  helpdeskFor(conversation: Pick<Conversation, 'channel' | 'source'>): string | null;
  /** Ingest follow-up: every stored customer message queues its conversation's push. */
  followUp: InboundFollowUp;
  /** Replier hook: the hub's own messages (acknowledgements) are pushed too (as notes). */
  jobsOnReply(message: Message, conversation: Conversation): JobRequest[];
  /** Triage hook: a new or raised call is pushed (note, tags, priority). */
  jobsOnTriage(conversationId: string): JobRequest[];
  /** Incidents hook: an incident was resolved or merged away; its problem records follow (problem.ts). */
  jobsOnIncident(incidentId: string): JobRequest[];
  /** Delivery for conversations that started in a helpdesk: the helpdesk reaches the customer (via the push). */
  helpdeskChannel: ChannelDelivery;
  handlers: { 'sync.push': JobHandler<'sync.push'>; 'sync.pull': JobHandler<'sync.pull'>; 'sync.problem': JobHandler<'sync.problem'> };
  router: Router;
  states: IntegrationStates;
  reconciler: Reconciler;
  health(): Promise<Record<string, IntegrationHealth>>;
  start(): void;
  stop(): Promise<void>;
}

export function createHelpdeskSync(deps: SyncDeps): HelpdeskSync {
  const helpdesks = new Map<string, HelpdeskCapability>(deps.registry.all('helpdesk').map((h) => [h.integrationId, h.instance]));
  const enabled = [...helpdesks.keys()];
  const withProblems = [...helpdesks].filter(([, h]) => h.problems).map(([id]) => id);
  const states = new IntegrationStates(deps.store, deps.log);
  const conversationIds = new Map<string, string | null>();
  const helpdeskFor = (conversation: Pick<Conversation, 'channel' | 'source'>): string | null => {
    // A conversation imported from a helpdesk stays with that helpdesk.
    if (conversation.channel === 'helpdesk') return helpdesks.has(conversation.source) ? conversation.source : null;
    const cached = conversationIds.get(conversation.source);
    if (cached !== undefined) return cached;
    const routed = routeFor(deps.config, enabled, conversation.source);
    conversationIds.set(conversation.source, routed);
    return routed;
  };
  // What the conversation's own activity asks for (a line, an acknowledgement, a triage call)
  // waits out the coalescing window, so a burst becomes one write; the singleton push drops the
  // requests that come while one waits (pushRequest).
  const windowEnd = () => (deps.config.coalesceMs > 0 ? new Date(Date.now() + deps.config.coalesceMs) : undefined);
  const pushFor = (conversation: Conversation): JobRequest[] => {
    const target = helpdeskFor(conversation);
    return target ? [pushRequest(target, conversation.id, windowEnd())] : [];
  };
  // What every sync job shares: the store and queue, the helpdesks and their health, this process.
  const jobDeps = { store: deps.store, queue: deps.queue, log: deps.log, states, helpdesks, processTag: deps.processTag, ...(deps.incidentUrl ? { incidentUrl: deps.incidentUrl } : {}) };
  const reconciler = new Reconciler({ store: deps.store, queue: deps.queue, log: deps.log, states, helpdesks, intervalMs: deps.config.reconcileSeconds * 1000 });
  return {
    helpdeskFor,
    followUp: (result) => (result.message.direction === 'inbound' ? pushFor(result.conversation) : []),
    jobsOnReply: (message, conversation) => (message.author_kind === 'system' ? pushFor(conversation) : []),
    // The triage hook is given only the conversation's id (inside the triage transaction, from
    // three callers), not its channel and source, so it cannot route here. The push checks the
    // route before touching anything (push.ts), so the others cost one read and leave no trace.
    // Narrowing by configured routes would be wrong: a conversation imported from any enabled
    // helpdesk routes to that one, whatever SYNC_HELPDESK says.
    jobsOnTriage: (conversationId) => enabled.map((id) => pushRequest(id, conversationId, windowEnd())),
    // A helpdesk that never made a problem for the incident finds nothing to do (one read).
    jobsOnIncident: (incidentId) => withProblems.map((id) => problemRequest(id, incidentId)),
    helpdeskChannel: {
      channel: 'helpdesk',
      // The push sends the hub's message as a public reply through the helpdesk API, which mails it.
      deliver: async () => {},
    },
    handlers: {
      'sync.push': syncPushJob({ ...jobDeps, budgetMs: deps.config.pushBudgetSeconds * 1000, helpdeskFor, attachmentUrl: deps.attachmentUrl }),
      'sync.problem': syncProblemJob(jobDeps),
      'sync.pull': syncPullJob({
        store: deps.store,
        log: deps.log,
        states,
        helpdesks,
        ingest: deps.ingest,
        reply: deps.reply,
        importHelpdeskConversations: deps.config.importHelpdeskConversations,
        resolveIncident: (incidentId, by) => deps.resolveIncident?.(incidentId, by) ?? Promise.resolve(),
        later: (integrationId, externalId, delayMs, attempt) =>
          deps.queue.enqueue([{ ...pullRequest(integrationId, externalId, attempt), startAfter: new Date(Date.now() + delayMs) }]),
      }),
    },
    router: helpdeskWebhookRouter({ store: deps.store, queue: deps.queue, log: deps.log, helpdesks, maxBodyBytes: deps.maxWebhookBytes }),
    states,
    reconciler,
    health: () => states.all(),
    start: () => {
      if (helpdesks.size > 0) reconciler.start();
    },
    stop: () => reconciler.stop(),
  };
}

/** Replays failed sync jobs, requeues every dirty conversation and forces a reconciliation round. */
export async function replaySync(deps: { queue: JobQueue; store: Store; sync: HelpdeskSync }): Promise<{ retried: number; requeued: number }> {
  let retried = 0;
  for (const queueName of ['sync.push', 'sync.pull', 'sync.problem'] as const) {
    for (const job of await deps.queue.listFailed(queueName, 10_000)) {
      if (await deps.queue.retry(queueName, job.id)) retried++;
    }
  }
  const dirty = await deps.store.db.selectFrom('sync_conversations').select(['integration_id', 'conversation_id']).where('dirty', '=', true).execute();
  if (dirty.length > 0) await deps.queue.enqueue(dirty.map((r) => pushRequest(r.integration_id, r.conversation_id)));
  await deps.sync.reconciler.tick(true);
  return { retried, requeued: dirty.length };
}
