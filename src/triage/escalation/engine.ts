import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { EscalationCapability, EscalationChange, EscalationInboundEvent, EscalationRecipient, EscalationRequest } from '../../capabilities/escalation.js';
import type { JobRequest } from '../../jobs/catalog.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { EscalationStatus, HubDatabase } from '../../store/schema.js';
import type { AlsoInTransaction, Store } from '../../store/store.js';
import { isVendorError } from '../../vendors/error.js';
import { whoToWake, type OncallConfig, type OncallPerson } from '../../team/oncall.js';
import type { Evidence, UrgencyLevel } from '../classify.js';
import { addHelpdeskNote } from '../helpdesk-notes.js';
import { stopWhen, type EscalationPolicy } from './config.js';
import type { AcknowledgeLinks } from './links.js';
import { policyFor } from './policies.js';
import { cancelReason, escalationEvent as event, firstReplySince, recordReply } from './replies.js';
import { deferralMs, MAX_TARGET_ATTEMPTS, MAX_NOTIFY_DEFERRALS } from './retry.js';
import { linkedEscalation, recordLink, type TargetLink } from './target-links.js';

export interface EscalationEngineDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  /** Injectable so tests can move time; every due time and expiry comes from it. */
  clock: () => Date;
  targets: ReadonlyMap<string, EscalationCapability>;
  policies: readonly EscalationPolicy[];
  oncall: OncallConfig;
  links: AcknowledgeLinks | null;
  publicUrl: string | undefined;
  /** Push new helpdesk notes of these conversations (sync). */
  pushNotes(conversationIds: string[]): Promise<void>;
  onStep?(target: string, outcome: 'opened' | 'failed' | 'retry'): void;
}

export interface OpenRequest {
  conversationId?: string;
  incidentId?: string;
  level: UrgencyLevel;
  category: string | null;
  title: string;
}

/**
 * Escalation policies as durable schedules (issue: "steps are durable scheduled jobs;
 * acknowledging stops later steps; restarts change nothing"). Opening an escalation writes its
 * steps with their due times in the caller's transaction; a tick (every few seconds, in every
 * process) claims the steps that are due by the injected clock and enqueues them; a step job
 * tells its targets, each exactly once (what a target holds is recorded and looked up before a
 * retry). Acknowledging or resolving cancels the steps still waiting and tells the targets; a
 * public agent reply to the customer cancels those that run `until: replied` (the default for a
 * conversation's escalation).
 * (The tick's timer lives with the incident updates' in src/triage/index.ts.)
 */
export class EscalationEngine {
  constructor(private readonly deps: EscalationEngineDeps) {}

  policyFor(level: UrgencyLevel, category: string | null): EscalationPolicy | null {
    return policyFor(this.deps.policies, level, category);
  }

  /**
   * Opens the escalation of a conversation or an incident, once (a second call finds it). Step
   * jobs already due are returned for the caller to enqueue in the same transaction.
   */
  async openIn(tx: Transaction<HubDatabase>, request: OpenRequest, policy: EscalationPolicy): Promise<{ escalationId: string; created: boolean; jobs: JobRequest[] }> {
    const now = this.deps.clock();
    const id = randomUUID();
    const inserted = await tx
      .insertInto('escalations')
      .values({
        id,
        conversation_id: request.conversationId ?? null,
        incident_id: request.incidentId ?? null,
        policy: policy.name,
        level: request.level,
        category: request.category,
        title: request.title.slice(0, 300),
        status: 'open',
        opened_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const existing = await tx
        .selectFrom('escalations')
        .select('id')
        .where(request.incidentId ? 'incident_id' : 'conversation_id', '=', (request.incidentId ?? request.conversationId)!)
        .executeTakeFirstOrThrow();
      return { escalationId: existing.id, created: false, jobs: [] };
    }
    const jobs: JobRequest[] = [];
    if (policy.steps.length > 0) {
      await tx
        .insertInto('escalation_steps')
        .values(
          policy.steps.map((s, i) => ({
            escalation_id: id,
            step: i + 1,
            due_at: new Date(now.getTime() + s.after * 60_000),
            targets: JSON.stringify(s.targets),
            until: stopWhen(policy, s, request.incidentId ? 'incident' : 'conversation'),
            // Steps due at once go straight to the queue; later ones wait for the tick.
            status: s.after === 0 ? ('queued' as const) : ('scheduled' as const),
          })),
        )
        .execute();
      policy.steps.forEach((s, i) => {
        if (s.after === 0) jobs.push(stepJob(id, i + 1));
      });
    }
    await event(tx, id, now, 'opened', { policy: policy.name, level: request.level, category: request.category, steps: policy.steps.length });
    return { escalationId: id, created: true, jobs };
  }

  /** Claims the steps due by the clock and enqueues them (each once, across processes). */
  async tick(): Promise<number> {
    const now = this.deps.clock();
    const claimed = await this.deps.store.transaction(async (tx) => {
      const due = await sql<{ escalation_id: string; step: number }>`
        UPDATE escalation_steps SET status = 'queued'
        WHERE (escalation_id, step) IN (
          SELECT escalation_id, step FROM escalation_steps
          WHERE status = 'scheduled' AND due_at <= ${now}
          ORDER BY due_at LIMIT 200 FOR UPDATE SKIP LOCKED)
        RETURNING escalation_id, step`.execute(tx);
      await this.deps.queue.enqueueIn(tx, due.rows.map((r) => stepJob(r.escalation_id, r.step)));
      return due.rows.length;
    });
    return claimed;
  }

  /** `escalation.step`: tell this step's targets, unless the escalation was acknowledged (or resolved) meanwhile. */
  async runStep(escalationId: string, step: number): Promise<void> {
    const { store } = this.deps;
    const row = await store.db
      .selectFrom('escalation_steps as s')
      .innerJoin('escalations as e', 'e.id', 's.escalation_id')
      .select(['s.status as stepStatus', 's.due_at', 's.targets', 's.until', 'e.status', 'e.level', 'e.category', 'e.title', 'e.conversation_id', 'e.incident_id', 'e.opened_at', 'e.replied_by', 'e.acknowledged_by', 'e.resolved_by'])
      .where('s.escalation_id', '=', escalationId)
      .where('s.step', '=', step)
      .executeTakeFirst();
    if (!row || row.stepStatus === 'done' || row.stepStatus === 'cancelled') return;
    const now = this.deps.clock();
    // A step put back on the schedule (a vendor asked us to wait) runs when the tick claims it;
    // a stray job for it (one handed back after a crash) must not run it early.
    if (row.stepStatus === 'scheduled' && new Date(row.due_at) > now) return;
    const stopped = await this.stoppedBy(escalationId, row, now);
    if (stopped) {
      await store.transaction(async (tx) => {
        const cancelled = await tx
          .updateTable('escalation_steps')
          .set({ status: 'cancelled' })
          .where('escalation_id', '=', escalationId)
          .where('step', '=', step)
          .where('status', 'in', ['scheduled', 'queued'])
          .returning('step')
          .executeTakeFirst();
        if (cancelled) await event(tx, escalationId, now, 'step.cancelled', { step, targets: row.targets, reason: cancelReason(stopped.why, stopped.by, step, row.targets) });
      });
      return;
    }
    const request = await this.request(escalationId, row, now);
    let retryable: unknown = null;
    let notBefore: Date | null = null;
    for (const targetId of row.targets) {
      const outcome = await this.openAt(escalationId, step, targetId, request);
      if (!outcome.retry) continue;
      retryable ??= new Error(`escalation ${escalationId} step ${step}: ${targetId} is unavailable; retrying`);
      if (outcome.notBefore && (!notBefore || outcome.notBefore > notBefore)) notBefore = outcome.notBefore;
    }
    // Targets already told are recorded; the retry tells only the ones still waiting.
    if (notBefore) {
      await this.defer(escalationId, step, notBefore, now);
      return;
    }
    if (retryable) throw retryable;
    await store.transaction(async (tx) => {
      await tx.updateTable('escalation_steps').set({ status: 'done', ran_at: now }).where('escalation_id', '=', escalationId).where('step', '=', step).execute();
      await event(tx, escalationId, now, 'step.ran', { step, targets: row.targets, recipients: request.recipients.map((r) => r.name) });
    });
  }

  /**
   * What ends this step, if anything has: resolved ends every step, acknowledged those up to
   * `acknowledged`, and a public agent reply since the escalation opened those `until: replied`.
   * The reply is looked up here, not only taken from the escalation: a step that runs before the
   * reply's own job still sees the customer answered (and records it).
   */
  private async stoppedBy(
    escalationId: string,
    row: { until: 'replied' | 'acknowledged' | 'resolved'; status: EscalationStatus; conversation_id: string | null; incident_id: string | null; opened_at: Date; replied_by: string | null; acknowledged_by: string | null; resolved_by: string | null },
    now: Date,
  ): Promise<{ why: 'replied' | 'acknowledged' | 'resolved'; by: string | null } | null> {
    if (row.status === 'resolved') return { why: 'resolved', by: row.resolved_by };
    if (row.until === 'resolved') return null;
    if (row.status === 'acknowledged') return { why: 'acknowledged', by: row.acknowledged_by };
    if (row.until === 'acknowledged') return null;
    const reply = await firstReplySince(this.deps.store.db, row);
    if (!reply) return null;
    await this.deps.store.transaction((tx) => recordReply(tx, escalationId, reply, now));
    return { why: 'replied', by: row.replied_by ?? reply.by };
  }

  /**
   * With every public agent reply (job `escalation.replied`): the escalations of its conversation
   * (or of the incident it belongs to) opened before it record it, once, and cancel the steps
   * waiting that run until replied. Idempotent: a retried job finds the reply recorded.
   */
  async replied(conversationId: string, messageId: string): Promise<number> {
    const db = this.deps.store.db;
    const message = await db.selectFrom('messages').select(['author_kind', 'created_at']).where('id', '=', messageId).executeTakeFirst();
    if (!message || message.author_kind !== 'agent') return 0;
    const escalations = await db
      .selectFrom('escalations')
      .select(['id', 'conversation_id', 'incident_id', 'opened_at'])
      .where('replied_at', 'is', null)
      .where('status', '<>', 'resolved')
      .where('opened_at', '<=', new Date(message.created_at))
      .where((eb) =>
        eb.or([
          eb('conversation_id', '=', conversationId),
          eb('incident_id', 'in', eb.selectFrom('incident_conversations').select('incident_id').where('conversation_id', '=', conversationId)),
        ]),
      )
      .execute();
    let recorded = 0;
    for (const escalation of escalations) {
      const reply = await firstReplySince(db, escalation);
      if (reply && (await this.deps.store.transaction((tx) => recordReply(tx, escalation.id, reply, this.deps.clock())))) recorded++;
    }
    return recorded;
  }

  /**
   * A vendor said when to come back (Retry-After, PagerDuty's spacing): the step goes back on the
   * durable schedule at that time and this job ends. Not pg-boss's retry (its backoff knows
   * nothing of the vendor's wait) and not a worker held asleep: the tick claims the step when it
   * is due, by the same clock as every other step, and acknowledging meanwhile cancels it.
   */
  private async defer(escalationId: string, step: number, until: Date, now: Date): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      await tx
        .updateTable('escalation_steps')
        .set({ status: 'scheduled', due_at: until })
        .where('escalation_id', '=', escalationId)
        .where('step', '=', step)
        .where('status', '=', 'queued')
        .execute();
      await event(tx, escalationId, now, 'step.deferred', { step, until: until.toISOString() });
    });
    this.deps.log.info({ escalationId, step, until: until.toISOString() }, 'escalation step deferred until the vendor’s wait is over');
  }

  private async openAt(escalationId: string, step: number, targetId: string, request: EscalationRequest): Promise<{ retry: false } | { retry: true; notBefore: Date | null }> {
    const { store, log } = this.deps;
    const target = this.deps.targets.get(targetId);
    const attempt = await store.db
      .insertInto('escalation_targets')
      .values({ escalation_id: escalationId, step, target: targetId, state: 'pending', attempts: 1 })
      .onConflict((oc) => oc.columns(['escalation_id', 'step', 'target']).doUpdateSet({ attempts: sql`escalation_targets.attempts + 1` }))
      .returning(['state', 'attempts'])
      .executeTakeFirstOrThrow();
    if (attempt.state !== 'pending') return { retry: false };
    const now = this.deps.clock();
    if (!target) {
      await this.targetFailed(escalationId, step, targetId, 'this target is not configured on this hub', now);
      return { retry: false };
    }
    try {
      // A second attempt may follow one that reached the vendor unseen: the target looks before creating.
      const receipt = await target.open({ ...request, retry: attempt.attempts > 1 }, AbortSignal.timeout(25_000));
      await store.transaction(async (tx) => {
        await tx
          .updateTable('escalation_targets')
          .set({ state: 'opened', external_id: receipt.externalId, url: receipt.url, opened_at: now, last_error: null })
          .where('escalation_id', '=', escalationId)
          .where('step', '=', step)
          .where('target', '=', targetId)
          .execute();
        await event(tx, escalationId, now, 'target.opened', { step, target: targetId, externalId: receipt.externalId, url: receipt.url });
      });
      this.deps.onStep?.(targetId, 'opened');
      return { retry: false };
    } catch (error) {
      const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
      const passing = !isVendorError(error) || error.kind === 'unavailable' || error.kind === 'rate_limited';
      if (passing && attempt.attempts >= MAX_TARGET_ATTEMPTS) {
        await this.targetFailed(escalationId, step, targetId, `gave up after ${attempt.attempts} attempts: ${message}`, now);
        return { retry: false };
      }
      if (passing) {
        await store.db.updateTable('escalation_targets').set({ last_error: message }).where('escalation_id', '=', escalationId).where('step', '=', step).where('target', '=', targetId).execute();
        const waitMs = isVendorError(error) ? deferralMs(error.retryAfterMs, attempt.attempts) : null;
        log.warn({ escalationId, step, target: targetId, err: message, waitMs }, 'escalation target unavailable; the step will retry');
        this.deps.onStep?.(targetId, 'retry');
        return { retry: true, notBefore: waitMs === null ? null : new Date(now.getTime() + waitMs) };
      }
      // Bad credentials or a refused request will not get better by retrying: record it for staff and go on.
      await this.targetFailed(escalationId, step, targetId, message, now);
      return { retry: false };
    }
  }

  private async targetFailed(escalationId: string, step: number, targetId: string, reason: string, now: Date): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      await tx.updateTable('escalation_targets').set({ state: 'failed', last_error: reason }).where('escalation_id', '=', escalationId).where('step', '=', step).where('target', '=', targetId).execute();
      await event(tx, escalationId, now, 'target.failed', { step, target: targetId, reason });
    });
    this.deps.log.error({ escalationId, step, target: targetId, reason }, 'escalation target failed');
    this.deps.onStep?.(targetId, 'failed');
  }

  /** Acknowledged (by a link, a webhook, staff): later steps will not run; targets are told. */
  async acknowledge(escalationId: string, by: string | null, via: string, also?: AlsoInTransaction): Promise<boolean> {
    return this.transition(escalationId, 'acknowledged', by, via, null, also);
  }

  async resolve(escalationId: string, by: string | null, via: string, text: string | null = null, also?: AlsoInTransaction): Promise<boolean> {
    return this.transition(escalationId, 'resolved', by, via, text, also);
  }

  /** `also` runs in the same transaction, only when the status changed. */
  private async transition(
    escalationId: string,
    to: 'acknowledged' | 'resolved',
    by: string | null,
    via: string,
    text: string | null,
    also: AlsoInTransaction | undefined,
  ): Promise<boolean> {
    const now = this.deps.clock();
    const from: EscalationStatus[] = to === 'acknowledged' ? ['open'] : ['open', 'acknowledged'];
    const changed = await this.deps.store.transaction(async (tx) => {
      const row = await tx
        .updateTable('escalations')
        .set(to === 'acknowledged' ? { status: to, acknowledged_at: now, acknowledged_by: by } : { status: to, resolved_at: now, resolved_by: by })
        .where('id', '=', escalationId)
        .where('status', 'in', from)
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await event(tx, escalationId, now, to, { by, via, ...(text ? { text } : {}) });
      // Steps waiting for their time are cancelled here; one already queued checks the status when it runs.
      const cancelled = await tx
        .updateTable('escalation_steps')
        .set({ status: 'cancelled' })
        .where('escalation_id', '=', escalationId)
        .where('status', '=', 'scheduled')
        .where((eb) => (to === 'acknowledged' ? eb('until', 'in', ['replied', 'acknowledged']) : eb.lit(true)))
        .returning(['step', 'targets'])
        .execute();
      for (const s of cancelled.sort((a, b) => a.step - b.step)) {
        await event(tx, escalationId, now, 'step.cancelled', { step: s.step, targets: s.targets, reason: cancelReason(to, by, s.step, s.targets) });
      }
      await this.deps.queue.enqueueIn(tx, [{ name: 'escalation.notify', data: { escalationId, change: to, by, text, via } }]);
      await also?.(tx);
      return true;
    });
    return changed;
  }

  /** `escalation.notify`: tell every target that holds the escalation what changed (not the one it came from). */
  async notify(payload: { escalationId: string; change: 'acknowledged' | 'resolved'; by: string | null; text: string | null; via: string }): Promise<void> {
    const { store } = this.deps;
    const rows = await store.db
      .selectFrom('escalation_targets')
      .select(['target', 'external_id', 'url'])
      .where('escalation_id', '=', payload.escalationId)
      .where('state', '=', 'opened')
      .execute();
    const change: EscalationChange = payload.change === 'acknowledged' ? { kind: 'acknowledged', by: payload.by } : { kind: 'resolved', by: payload.by, text: payload.text ?? `Resolved${payload.by ? ` by ${payload.by}` : ''}.` };
    // Earlier runs of this notification that were put back (a vendor asked to wait) told these already.
    const deferrals = await store.db
      .selectFrom('escalation_events')
      .select('detail')
      .where('escalation_id', '=', payload.escalationId)
      .where('kind', '=', 'notify.deferred')
      .where(sql<boolean>`detail->>'change' = ${payload.change}`)
      .execute();
    const told = new Set<string>(deferrals.flatMap((d) => (Array.isArray(d.detail['told']) ? d.detail['told'].filter((t): t is string => typeof t === 'string') : [])));
    const toldNow: string[] = [];
    let retry: unknown = null;
    let waitMs: number | null = null;
    for (const row of rows) {
      const key = `${row.target}:${row.external_id}`;
      if (told.has(key) || !row.external_id || payload.via === `webhook:${row.target}`) continue;
      told.add(key);
      const target = this.deps.targets.get(row.target);
      if (!target) continue;
      try {
        await target.update({ externalId: row.external_id, url: row.url }, change, AbortSignal.timeout(25_000));
        toldNow.push(key);
      } catch (error) {
        if (isVendorError(error) && (error.kind === 'unavailable' || error.kind === 'rate_limited')) {
          retry ??= error;
          const wait = deferralMs(error.retryAfterMs, deferrals.length + 1);
          if (wait !== null) waitMs = Math.max(waitMs ?? 0, wait);
        } else this.deps.log.warn({ escalationId: payload.escalationId, target: row.target, err: error }, 'could not tell a target about a change; leaving it');
      }
    }
    if (retry && waitMs !== null && deferrals.length < MAX_NOTIFY_DEFERRALS) {
      // As for steps: the vendor's wait is honoured by a job that starts after it, not a held worker.
      const now = this.deps.clock();
      const until = new Date(now.getTime() + waitMs);
      await store.transaction(async (tx) => {
        await event(tx, payload.escalationId, now, 'notify.deferred', { change: payload.change, until: until.toISOString(), told: toldNow });
        await this.deps.queue.enqueueIn(tx, [{ name: 'escalation.notify', data: payload, startAfter: until }]);
      });
      return;
    }
    if (retry) throw retry;
  }

  /**
   * A verified webhook from a target (GitHub issue assigned / closed, PagerDuty incident
   * acknowledged / resolved): acknowledges or resolves the escalation it names and leaves a note
   * on the helpdesk conversation(s). `links` are recorded first, so an event naming a vendor
   * object that this very delivery linked is found too.
   */
  async fromTarget(targetId: string, events: readonly EscalationInboundEvent[], links: readonly TargetLink[] = []): Promise<number> {
    for (const link of links) await recordLink(this.deps.store, targetId, link, this.deps.clock());
    let applied = 0;
    for (const e of events) {
      const row = await this.heldBy(targetId, e.externalId, links);
      if (!row) continue;
      const via = `webhook:${targetId}`;
      const by = e.by ? `${e.by} (${targetId})` : targetId;
      if (e.kind === 'escalation.acknowledged') {
        if (await this.acknowledge(row.id, by, via)) applied++;
      } else if (e.kind === 'escalation.resolved') {
        // Our own close (staff resolved in the hub, which closed the issue) comes back too: no note for that.
        if (!(await this.resolve(row.id, by, via))) continue;
        applied++;
        const conversations = await this.conversationsOf(row);
        const text = `Support Hub: the escalation was resolved at ${targetId}${e.by ? ` by ${e.by}` : ''}${row.url ? ` (${row.url})` : ''}.`;
        const added: string[] = [];
        for (const conversationId of conversations) {
          if (await addHelpdeskNote(this.deps.store.db, conversationId, `escalation-resolved:${row.id}:${targetId}:${e.externalId}:${conversationId}`, text)) added.push(conversationId);
        }
        if (added.length > 0) await this.deps.pushNotes(added);
      }
      // Reopened: the escalation stays as it is; staff decide (the dashboard shows the event).
      await event(this.deps.store.db, row.id, this.deps.clock(), `target.${e.kind.split('.')[1]}`, { target: targetId, by: e.by });
    }
    return applied;
  }

  /**
   * The escalation a target's id names: what it holds (its receipt), or a vendor object linked to
   * that — named directly, or through this delivery's link (PagerDuty: an incident whose
   * `incident_key` is not ours, but which an earlier delivery linked to our alert).
   */
  private async heldBy(
    targetId: string,
    externalId: string,
    links: readonly TargetLink[],
  ): Promise<{ id: string; conversation_id: string | null; incident_id: string | null; url: string | null } | undefined> {
    const held = this.deps.store.db
      .selectFrom('escalation_targets as t')
      .innerJoin('escalations as x', 'x.id', 't.escalation_id')
      .select(['x.id', 'x.conversation_id', 'x.incident_id', 't.url'])
      .where('t.target', '=', targetId);
    const direct = await held.where('t.external_id', '=', externalId).executeTakeFirst();
    if (direct) return direct;
    const db = this.deps.store.db;
    let linked = await linkedEscalation(db, targetId, externalId);
    for (const link of links) if (!linked && link.externalId === externalId) linked = await linkedEscalation(db, targetId, link.vendorId);
    return linked ? held.where('t.escalation_id', '=', linked).where('t.external_id', 'is not', null).orderBy('t.step').executeTakeFirst() : undefined;
  }

  private async conversationsOf(row: { conversation_id: string | null; incident_id: string | null }): Promise<string[]> {
    if (row.conversation_id) return [row.conversation_id];
    const rows = await this.deps.store.db.selectFrom('incident_conversations').select('conversation_id').where('incident_id', '=', row.incident_id!).execute();
    return rows.map((r) => r.conversation_id);
  }

  private async request(
    escalationId: string,
    row: { level: UrgencyLevel; category: string | null; title: string; conversation_id: string | null; incident_id: string | null },
    now: Date,
  ): Promise<EscalationRequest> {
    const route = whoToWake(this.deps.oncall, row.category ?? 'default', now);
    const recipients: EscalationRecipient[] = route?.covered ? [recipient(route.person)] : [];
    const { summary, evidence, conversations } = await this.describe(row);
    const base = this.deps.publicUrl?.replace(/\/$/, '');
    return {
      escalationId,
      title: row.title,
      level: row.level,
      category: row.category,
      summary: route ? `${summary}\n\nOn call: ${route.reason}` : summary,
      evidence,
      conversations,
      link: base ? `${base}/dashboard/escalations/${escalationId}` : null,
      acknowledgeUrl: this.deps.links?.url(escalationId, now) ?? null,
      recipients,
      retry: false,
    };
  }

  /** What the customer(s) wrote and why it was escalated, for people reading a ticket or a page. */
  private async describe(row: { conversation_id: string | null; incident_id: string | null }): Promise<{ summary: string; evidence: { phrase: string; category: string }[]; conversations: number }> {
    const conversationIds = await this.conversationsOf(row);
    const first = conversationIds.slice(0, 3);
    const rows =
      first.length === 0
        ? { rows: [] }
        : await sql<{ text: string; name: string | null; email: string | null; verified: boolean; evidence: Evidence[] | null; channel: string }>`
            SELECT t.classified_text AS text, ct.name, ct.email, ct.verified, t.evidence, c.channel
            FROM conversations c JOIN contacts ct ON ct.id = c.contact_id LEFT JOIN triage_results t ON t.conversation_id = c.id
            WHERE c.id IN (${sql.join(first)})`.execute(this.deps.store.db);
    const lines = rows.rows.map((r) => {
      const who = [r.name, r.email ? `<${r.email}>` : null].filter(Boolean).join(' ') || 'A customer';
      const text = (r.text ?? '').replace(/\s+/g, ' ').trim();
      return `${who}${r.verified ? '' : ' (unverified)'} via ${r.channel}: ${text.length > 400 ? `${text.slice(0, 400)}…` : text}`;
    });
    const more = conversationIds.length - rows.rows.length;
    const evidence = (rows.rows[0]?.evidence ?? []).filter((e) => e.weight > 0).slice(0, 6).map((e) => ({ phrase: e.phrase, category: e.category }));
    return { summary: [...lines, ...(more > 0 ? [`…and ${more} more conversations.`] : [])].join('\n'), evidence, conversations: Math.max(1, conversationIds.length) };
  }
}

function recipient(p: OncallPerson): EscalationRecipient {
  return {
    name: p.name,
    ...(p.contacts.email ? { email: p.contacts.email } : {}),
    ...(p.contacts.slack ? { slack: p.contacts.slack } : {}),
    ...(p.contacts.pagerduty !== undefined ? { pagerduty: p.contacts.pagerduty } : {}),
  };
}

function stepJob(escalationId: string, step: number): JobRequest {
  return { name: 'escalation.step', data: { escalationId, step } };
}
