import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { HelpdeskCapability, HelpdeskProblems } from '../capabilities/helpdesk.js';
import type { JobContext, JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import { isVendorError } from '../vendors/error.js';
import type { IntegrationStates } from './integration-state.js';
import { pushRequest } from './push.js';
import { rateLimitedToRetry, RetryLater } from './retry-later.js';

/**
 * `sync.problem`: a hub incident's own record at a helpdesk whose traits say `incidentLinks:
 * 'problem'` (Zendesk's problem ticket), kept in step with the incident:
 *
 * - made when the first member conversation asks to be linked (push.ts queues this job and links
 *   nobody until the record exists), then every member's push is queued so they link to it;
 * - solved once the hub incident is resolved, with a private note — at Zendesk that also solves
 *   every linked incident ticket, which is what agents expect of a problem;
 * - solved after a merge only once no member conversation still links to it: the members were
 *   moved to the surviving incident's problem first (their pushes, queued by the merge), because
 *   solving the merged-away problem while they still link to it would solve their tickets.
 *
 * Exactly once like every sync write: a create is recorded as started before it is sent and, if
 * its answer is lost, looked up by the incident (the vendor's lag allowed for) before it is sent
 * again; solving reads the record first and does nothing to a solved one. One writer per incident
 * and helpdesk across processes: a lease on its `sync_problems` row, every change fenced by it.
 */
export interface ProblemDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  states: IntegrationStates;
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  processTag: string;
  /** The dashboard page of a hub incident (null without a public URL), named in the problem's description. */
  incidentUrl?(incidentId: string): string | null;
  clock?: () => number;
}

export function problemRequest(integrationId: string, incidentId: string, startAfter?: Date): JobRequest {
  return { name: 'sync.problem', data: { integrationId, incidentId }, singletonKey: `${integrationId}:problem:${incidentId}`, ...(startAfter ? { startAfter } : {}) };
}

/** Held by a run; a SIGKILLed run's lease frees itself after this (runs are a few vendor calls). */
const LEASE_MS = 60_000;
const RUN_DEADLINE_MS = 25_000;

export function syncProblemJob(deps: ProblemDeps) {
  const clock = deps.clock ?? Date.now;
  return async (payload: { integrationId: string; incidentId: string }, context: JobContext): Promise<void> => {
    const { integrationId, incidentId } = payload;
    const helpdesk = deps.helpdesks.get(integrationId);
    const problems = helpdesk?.problems;
    if (!helpdesk || !problems) return;
    const later = (delayMs: number) => deps.queue.enqueue([problemRequest(integrationId, incidentId, new Date(clock() + delayMs))]);
    if ((await deps.states.health(integrationId)).status !== 'active') {
      // Paused: look again later (nothing is lost; the incident's state decides what is done then).
      await later(30_000);
      return;
    }
    const owner = `${deps.processTag}:${context.jobId}:${randomUUID().slice(0, 8)}`;
    const row = new ProblemRow(deps.store, integrationId, incidentId, owner);
    if (!(await row.acquire(clock()))) {
      // Another run holds it; what it read may predate what queued this run.
      await later(2000);
      return;
    }
    const signal = AbortSignal.timeout(RUN_DEADLINE_MS);
    try {
      await bringUpToDate(deps, helpdesk, problems, row, incidentId, clock, signal);
      await row.release(null);
    } catch (error) {
      const reason = error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
      await row.release(reason);
      const retry = rateLimitedToRetry(error);
      if (retry instanceof RetryLater) return later(retry.delayMs);
      if (isVendorError(error) && error.outcomeUnknown) return later(1000 + Math.random() * 3000);
      if (signal.aborted) return later(500);
      if (isVendorError(error) && error.kind === 'auth') {
        await deps.states.authFailed(integrationId, error.message, new Date());
        return later(30_000);
      }
      throw error;
    }
  };
}

async function bringUpToDate(
  deps: ProblemDeps,
  helpdesk: HelpdeskCapability,
  problems: HelpdeskProblems,
  row: ProblemRow,
  incidentId: string,
  clock: () => number,
  signal: AbortSignal,
): Promise<void> {
  const incident = await deps.store.db
    .selectFrom('incidents as i')
    .leftJoin('incidents as into', 'into.id', 'i.merged_into')
    .select(['i.id', 'i.number', 'i.title', 'i.status', 'i.resolution', 'into.number as into_number'])
    .where('i.id', '=', incidentId)
    .executeTakeFirst();
  if (!incident) return;
  const state = await row.state();
  deps.log.debug({ integrationId: row.integrationId, incidentId, status: incident.status, problemId: state.external_id }, 'incident problem record run');
  if (state.external_id === null) {
    // Never made while open: nothing at the helpdesk to show or to solve.
    if (incident.status !== 'open') return;
    let problemId: string | null = null;
    if (state.create_started_at) {
      // A create was sent and its answer lost: did it land?
      problemId = await problems.find(incidentId, signal);
      const age = clock() - new Date(state.create_started_at).getTime();
      if (!problemId && age < helpdesk.traits.searchLagMs) throw new RetryLater(Math.min(helpdesk.traits.searchLagMs - age + 500, 60_000), 'problem create outcome unknown; waiting for the vendor search');
    }
    if (!problemId) {
      await row.createStarted(new Date(clock()));
      problemId = await problems.open({ incidentId, number: incident.number, title: incident.title, body: problemBody(deps, incident) }, signal);
    }
    await row.created(problemId);
    deps.log.info({ integrationId: row.integrationId, incidentId, problemId }, 'incident shown at the helpdesk as a problem');
  }
  if (incident.status === 'open') {
    // Its members were waiting for it: link them now. Also when it existed already — a member whose
    // push looked while the create was in flight asked for this run and links only when queued.
    await linkWaitingMembers(deps, row.integrationId, incidentId);
    return;
  }
  if (state.solved_at || state.external_id === null) return;
  if (incident.status === 'merged') {
    const { linked } = await deps.store.db
      .selectFrom('sync_conversations')
      .select((eb) => eb.fn.countAll<string>().as('linked'))
      .where('integration_id', '=', row.integrationId)
      .where('incident_pushed', '=', incidentId)
      .executeTakeFirstOrThrow();
    // Solving it now would solve the tickets still linked to it: wait for their re-link.
    if (Number(linked) > 0) throw new RetryLater(3000, `${linked} conversations still link to the merged incident's problem`);
  }
  await problems.solve(state.external_id, solveNote(incident), signal);
  await row.solved(new Date(clock()));
  deps.log.info({ integrationId: row.integrationId, incidentId, problemId: state.external_id }, 'incident problem solved at the helpdesk');
}

/** Queues the push of every member the helpdesk does not show in the incident yet (routed pushes; others drop out harmlessly). */
async function linkWaitingMembers(deps: ProblemDeps, integrationId: string, incidentId: string): Promise<void> {
  const waiting = await sql<{ conversation_id: string }>`
    SELECT m.conversation_id FROM incident_conversations m
    LEFT JOIN sync_conversations s ON s.conversation_id = m.conversation_id AND s.integration_id = ${integrationId}
    WHERE m.incident_id = ${incidentId} AND s.incident_pushed IS DISTINCT FROM m.incident_id`.execute(deps.store.db);
  await deps.queue.enqueue(waiting.rows.map((m) => pushRequest(integrationId, m.conversation_id)));
  deps.log.debug({ integrationId, incidentId, waiting: waiting.rows.length }, 'pushes queued for members not linked yet');
}

function problemBody(deps: ProblemDeps, incident: { id: string; number: number; title: string }): string {
  const url = deps.incidentUrl?.(incident.id);
  return [
    `Support Hub incident #${incident.number}: ${incident.title}.`,
    'Every conversation reporting it is linked here as an incident ticket.',
    `Customers are told about it from ${url ? `the incident's page on Support Hub: ${url}` : "the incident's page on the Support Hub dashboard"} (updates, and one follow-up each when it is resolved).`,
    'Solve this problem when the cause is fixed, with an internal note: Support Hub then resolves the incident and sends each customer its follow-up on their own channel. A public comment here would also be copied to every linked ticket and reach each customer as a reply.',
  ].join('\n\n');
}

function solveNote(incident: { status: string; resolution: string | null; into_number: number | null }): string {
  if (incident.status === 'merged') return `Support Hub: merged into incident #${incident.into_number ?? '?'}; its conversations are linked to that incident's problem now.`;
  return `Support Hub: the incident was resolved${incident.resolution ? `: ${incident.resolution}` : '.'} Each affected customer gets the follow-up from Support Hub on their own channel.`;
}

/** The `sync_problems` row of one incident at one helpdesk, under a lease. */
class ProblemRow {
  constructor(
    private readonly store: Store,
    readonly integrationId: string,
    private readonly incidentId: string,
    private readonly owner: string,
  ) {}

  async acquire(now: number): Promise<boolean> {
    const until = new Date(now + LEASE_MS);
    const result = await sql<{ incident_id: string }>`
      INSERT INTO sync_problems (integration_id, incident_id, lease_owner, lease_until)
      VALUES (${this.integrationId}, ${this.incidentId}, ${this.owner}, ${until})
      ON CONFLICT (integration_id, incident_id) DO UPDATE
        SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until, updated_at = now()
        WHERE sync_problems.lease_until IS NULL OR sync_problems.lease_until < now()
      RETURNING incident_id`.execute(this.store.db);
    return result.rows.length > 0;
  }

  async state() {
    return this.store.db
      .selectFrom('sync_problems')
      .select(['external_id', 'create_started_at', 'solved_at'])
      .where('integration_id', '=', this.integrationId)
      .where('incident_id', '=', this.incidentId)
      .executeTakeFirstOrThrow();
  }

  createStarted(at: Date) {
    return this.set({ create_started_at: at });
  }

  created(externalId: string) {
    return this.set({ external_id: externalId, create_started_at: null });
  }

  solved(at: Date) {
    return this.set({ solved_at: at });
  }

  async release(error: string | null): Promise<void> {
    await this.store.db
      .updateTable('sync_problems')
      .set({ lease_owner: null, lease_until: null, last_error: error, updated_at: new Date() })
      .where('integration_id', '=', this.integrationId)
      .where('incident_id', '=', this.incidentId)
      .where('lease_owner', '=', this.owner)
      .execute();
  }

  /** A change made only while the lease is ours (a run that outlived it changes nothing). */
  private async set(values: { external_id?: string; create_started_at?: Date | null; solved_at?: Date }): Promise<void> {
    const result = await this.store.db
      .updateTable('sync_problems')
      .set({ ...values, updated_at: new Date() })
      .where('integration_id', '=', this.integrationId)
      .where('incident_id', '=', this.incidentId)
      .where('lease_owner', '=', this.owner)
      .where('lease_until', '>', new Date())
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new Error(`lost the lease of incident ${this.incidentId}'s problem`);
  }
}

/** Which incident's problem record a helpdesk id is, if any (pull.ts: a webhook or the poll named it). */
export async function incidentOfProblem(store: Store, integrationId: string, externalId: string): Promise<{ incidentId: string; solvedAt: Date | null } | null> {
  const row = await store.db
    .selectFrom('sync_problems')
    .select(['incident_id', 'solved_at'])
    .where('integration_id', '=', integrationId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row ? { incidentId: row.incident_id, solvedAt: row.solved_at ? new Date(row.solved_at) : null } : null;
}
