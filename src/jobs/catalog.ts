import { z } from 'zod';

/**
 * Every durable job the hub runs: name → payload schema → retry policy, in one place (the
 * handlers live with their capability; `JobHandlers` makes the compiler insist on one per name).
 */
export interface JobSpec<Schema extends z.ZodType> {
  schema: Schema;
  /** Attempts after the first failure. */
  retryLimit: number;
  /** First retry delay; doubles each attempt (pg-boss backoff, with jitter). */
  retryDelaySeconds: number;
  /**
   * pg-boss 10 has no heartbeat: a job held by a SIGKILLed process stays active until this
   * passes, then is retried. Short for work that must resume quickly; long enough for the work.
   */
  expireInSeconds: number;
  /**
   * pg-boss queue policy. `short`: at most one job per singleton key waits in the queue, so a
   * burst asking for the same work (a conversation's sync) queues it once.
   */
  policy?: 'standard' | 'short';
  /**
   * Long, I/O-bound jobs (vendor calls with timeouts and waits) are fetched one at a time by
   * this many workers per process, so one slow job never holds a fetched batch of others back.
   */
  oneAtATime?: { workers: number };
  /** Double the retry delay each attempt (default true). Off where a retry means "run expired; go on". */
  backoff?: boolean;
}

const job = <Schema extends z.ZodType>(spec: JobSpec<Schema>) => spec;

export const jobCatalog = {
  /** Deliver an outbound message (agent reply, acknowledgement) on the conversation's channel. */
  'message.deliver': job({
    schema: z.object({ messageId: z.uuid() }),
    retryLimit: 12,
    retryDelaySeconds: 5,
    expireInSeconds: 60,
  }),
  /** Urgency call for a conversation after a customer message (classifier in src/triage). */
  'conversation.triage': job({
    schema: z.object({ conversationId: z.uuid(), messageId: z.uuid() }),
    retryLimit: 5,
    retryDelaySeconds: 2,
    expireInSeconds: 30,
  }),
  /** An agent reply still unread after the configured time: tell the product's backend (push). */
  'chat.unread-check': job({
    schema: z.object({ messageId: z.uuid() }),
    retryLimit: 10,
    retryDelaySeconds: 10,
    expireInSeconds: 60,
  }),
  /** Push what a conversation has not yet pushed to its helpdesk, in order (src/sync/push.ts). */
  'sync.push': job({
    schema: z.object({ integrationId: z.string().min(1), conversationId: z.uuid() }),
    retryLimit: 20,
    retryDelaySeconds: 5,
    // Short, so a push held by a SIGKILLed process is handed back within a minute.
    expireInSeconds: 30,
    policy: 'short',
    oneAtATime: { workers: 12 },
    // Vendor trouble is handed on by the job itself; a retry here means a run expired or the
    // database hiccuped — resume promptly rather than after a doubling delay.
    backoff: false,
  }),
  /** A hub incident's problem record at a helpdesk (Zendesk's problem ticket): made, then solved (src/sync/problem.ts). */
  'sync.problem': job({
    schema: z.object({ integrationId: z.string().min(1), incidentId: z.uuid() }),
    retryLimit: 20,
    retryDelaySeconds: 5,
    expireInSeconds: 60,
    policy: 'short',
    // Vendor trouble is handed on by the job itself, as for sync.push.
    backoff: false,
  }),
  /** Read a helpdesk conversation back: new agent replies to deliver, status, imports (src/sync/pull.ts). */
  'sync.pull': job({
    // `attempt`: how many times in a row the vendor was unavailable for this pull (backoff).
    schema: z.object({ integrationId: z.string().min(1), externalId: z.string().min(1).max(200), attempt: z.number().int().min(0).max(100).optional() }),
    retryLimit: 10,
    retryDelaySeconds: 5,
    expireInSeconds: 60,
    policy: 'short',
    oneAtATime: { workers: 6 },
    backoff: false,
  }),
  /**
   * After a conversation's first (or raised) urgency call: cluster into an incident, escalate per
   * policy, acknowledge (src/triage/respond.ts). `level`: staff re-classified it (the dashboard).
   */
  'triage.respond': job({
    schema: z.object({ conversationId: z.uuid(), acknowledge: z.boolean(), level: z.enum(['urgent', 'high', 'normal', 'low']).optional() }),
    retryLimit: 8,
    retryDelaySeconds: 2,
    expireInSeconds: 60,
  }),
  /** One step of an escalation policy: tell its targets (src/triage/escalation/engine.ts). */
  'escalation.step': job({
    schema: z.object({ escalationId: z.uuid(), step: z.number().int().min(1) }),
    retryLimit: 20,
    retryDelaySeconds: 5,
    expireInSeconds: 120,
    oneAtATime: { workers: 4 },
  }),
  /** Tell an escalation's targets it was acknowledged or resolved. */
  'escalation.notify': job({
    schema: z.object({
      escalationId: z.uuid(),
      change: z.enum(['acknowledged', 'resolved']),
      by: z.string().max(500).nullable(),
      text: z.string().max(10_000).nullable(),
      via: z.string().max(200),
    }),
    retryLimit: 12,
    retryDelaySeconds: 10,
    expireInSeconds: 120,
  }),
  /** A public agent reply: escalations running `until: replied` stop (src/triage/escalation/engine.ts). */
  'escalation.replied': job({
    schema: z.object({ conversationId: z.uuid(), messageId: z.uuid() }),
    retryLimit: 10,
    retryDelaySeconds: 5,
    expireInSeconds: 30,
  }),
  /** The first agent reply of a conversation judges its acknowledgement's promise. */
  'acknowledgement.settle': job({
    schema: z.object({ conversationId: z.uuid(), messageId: z.uuid() }),
    retryLimit: 10,
    retryDelaySeconds: 5,
    expireInSeconds: 30,
  }),
  /** An incident update or resolution to every affected customer (src/triage/incidents.ts). */
  'incident.notify': job({
    schema: z.object({ incidentId: z.uuid(), kind: z.enum(['update', 'resolved']), round: z.number().int().min(0), text: z.string().max(10_000).nullable() }),
    retryLimit: 12,
    retryDelaySeconds: 5,
    expireInSeconds: 300,
  }),
  /**
   * Erase one person (src/privacy/erase.ts): the hub's copy, then each helpdesk's. Retried through
   * a vendor outage for about a day and a half (5 s doubling, jittered: 14 retries ≈ 34 h); after
   * that the request shows as waiting, and running it again resumes it.
   */
  'privacy.erase': job({
    schema: z.object({ requestId: z.uuid() }),
    retryLimit: 14,
    retryDelaySeconds: 5,
    expireInSeconds: 600,
    oneAtATime: { workers: 1 },
  }),
  /**
   * The daily retention run (src/privacy/retention): removes what is past its keeping period, in
   * batches that each commit, so a retry after a crash or expiry carries on. Expiry covers a run
   * over a large store; a failure is retried a few times, and tomorrow's run finds the rest anyway.
   */
  'privacy.retention': job({
    schema: z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/) }),
    retryLimit: 4,
    retryDelaySeconds: 300,
    expireInSeconds: 3600,
  }),
  /**
   * Records one probe row, once. Proves the workers run end to end (`npm run doctor`, tests of
   * crash recovery and multi-process work sharing).
   */
  'ops.probe': job({
    schema: z.object({ probeId: z.string().min(1).max(200) }),
    retryLimit: 5,
    retryDelaySeconds: 1,
    expireInSeconds: 10,
  }),
} as const;

export type JobCatalog = typeof jobCatalog;
export type JobName = keyof JobCatalog;
export type JobPayload<N extends JobName> = z.infer<JobCatalog[N]['schema']>;

export const jobNames = Object.keys(jobCatalog) as JobName[];

/** A job to enqueue: the payload type follows from the name. */
export type JobRequest = {
  [N in JobName]: {
    name: N;
    data: JobPayload<N>;
    /** Run no earlier than this. */
    startAfter?: Date;
    /** With a `short` policy queue: at most one waiting job per key. */
    singletonKey?: string;
  };
}[JobName];

export interface JobContext {
  jobId: string;
  name: JobName;
  retryCount: number;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, context: JobContext) => Promise<void>;

/**
 * A handler for a whole fetched batch (up to the worker's batch size), for jobs whose work reads
 * and writes better set-based. Returns, per job in order, null on success or the job's error.
 */
export interface BatchJobHandler<N extends JobName> {
  batch(jobs: { payload: JobPayload<N>; context: JobContext }[]): Promise<(Error | null)[]>;
}

export type JobHandlers = { [N in JobName]: JobHandler<N> | BatchJobHandler<N> };
