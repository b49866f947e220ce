import { randomUUID } from 'node:crypto';
import { sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { OutboundReply, ReplyResult } from '../conversations/reply.js';
import type { JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { HubDatabase } from '../store/schema.js';
import type { AlsoInTransaction, Store, Tx } from '../store/store.js';
import { phraseEta } from '../team/eta.js';
import { automaticMessagesTo, type IncidentRef } from './acknowledge.js';
import type { AcknowledgeConfig, IncidentsConfig } from './escalation/config.js';
import type { EscalationEngine } from './escalation/engine.js';
import type { TextTemplates } from './templates.js';
import { HubError } from '../errors.js';
import { firstName } from './problem.js';

export interface IncidentsDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  clock: () => Date;
  config: IncidentsConfig;
  acknowledge: AcknowledgeConfig;
  teamTimeZone: string;
  templates: TextTemplates;
  engine: EscalationEngine;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  /** Jobs that bring a conversation's helpdesk copy up to date (its incident tag and note move with it). */
  helpdeskJobs?(conversationId: string): JobRequest[];
  /** Jobs that bring the incident's own helpdesk records (Zendesk's problem ticket) up to date: solved on resolve or merge. */
  problemJobs?(incidentId: string): JobRequest[];
}

const INCIDENT_SOURCE = 'hub:incident';

/**
 * How the report that opened an incident is marked among its conversations (`added_by`, which the
 * dashboard shows): its customer is thanked for reporting, the later ones are told it is known.
 * Kept in the row rather than read from times because a burst can land in one millisecond, and a
 * retried job must word it the same way.
 */
const ADDED_BY_CLUSTER = 'cluster';
const ADDED_BY_FIRST_REPORT = 'cluster (first report)';

/** How an incident is named to customers and staff, by category. */
const TITLES: Record<string, string> = {
  outage: 'Service outage',
  infrastructure: 'Service disruption',
  data_loss: 'Missing data',
  payment_failure: 'Payment failures',
  locked_out: 'Login problems',
};

/**
 * Incidents (issue: "20 'site is down' chats in 10 minutes are one incident: one escalation, one
 * GitHub issue, one page — not 200"): a report of an incident category joins the open incident of
 * its category last reported within the window, else opens one. The incident, not each
 * conversation, is escalated; its customers get one shared acknowledgement naming it, an update
 * at least every `updateEveryMinutes` while it is open, and one follow-up when it is resolved.
 * Staff merge and split clusters. Joining is serialised per category by an advisory lock, so a
 * burst of reports across processes opens one incident.
 */
export class Incidents {
  constructor(private readonly deps: IncidentsDeps) {}

  /** How many different customers' reports put the banner up by itself (0: never). */
  get publishAfterReports(): number {
    return this.deps.config.publishAfterReports;
  }

  clusters(category: string | null): category is string {
    return category !== null && this.deps.config.categories.includes(category);
  }

  async joinIn(tx: Transaction<HubDatabase>, conversationId: string, category: string): Promise<IncidentRef & { created: boolean }> {
    const now = this.deps.clock();
    await sql`SELECT pg_advisory_xact_lock(hashtext(${`incident:${category}`}))`.execute(tx);
    const member = await tx
      .selectFrom('incident_conversations as m')
      .innerJoin('incidents as i', 'i.id', 'm.incident_id')
      .select(['i.id', 'i.number', 'i.title', 'i.next_update_at', 'm.added_by'])
      .where('m.conversation_id', '=', conversationId)
      .executeTakeFirst();
    if (member) return { ...ref(member, member.added_by === ADDED_BY_FIRST_REPORT), created: false };
    const since = new Date(now.getTime() - this.deps.config.windowMinutes * 60_000);
    let incident = await tx
      .selectFrom('incidents')
      .select(['id', 'number', 'title', 'next_update_at'])
      .where('status', '=', 'open')
      .where('category', '=', category)
      .where('last_seen_at', '>=', since)
      .orderBy('last_seen_at', 'desc')
      .executeTakeFirst();
    const created = !incident;
    if (!incident) {
      incident = await tx
        .insertInto('incidents')
        .values({
          id: randomUUID(),
          category,
          title: TITLES[category] ?? `Reports of ${category.replace(/_/g, ' ')}`,
          status: 'open',
          opened_at: now,
          last_seen_at: now,
          next_update_at: new Date(now.getTime() + this.deps.config.updateEveryMinutes * 60_000),
        })
        .returning(['id', 'number', 'title', 'next_update_at'])
        .executeTakeFirstOrThrow();
    } else {
      await tx.updateTable('incidents').set({ last_seen_at: now }).where('id', '=', incident.id).execute();
    }
    await tx
      .insertInto('incident_conversations')
      .values({ conversation_id: conversationId, incident_id: incident.id, added_at: now, added_by: created ? ADDED_BY_FIRST_REPORT : ADDED_BY_CLUSTER })
      .execute();
    await this.publishIfReported(tx, incident.id, now);
    await this.toHelpdesk(tx, [conversationId]);
    return { ...ref(incident, created), created };
  }

  /** Queues the pushes that show conversations in their (new) incident at the helpdesk, with the change. */
  private async toHelpdesk(tx: Tx, conversationIds: string[]): Promise<void> {
    const jobs = conversationIds.flatMap((id) => this.deps.helpdeskJobs?.(id) ?? []);
    if (jobs.length > 0) await this.deps.queue.enqueueIn(tx, jobs);
  }

  /**
   * The banner goes up by itself once `publishAfterReports` different customers reported the
   * incident — counted by contact, so one customer writing three times is still one report — unless
   * staff already published or took it down (their decision stands).
   */
  private async publishIfReported(tx: Tx, incidentId: string, now: Date): Promise<void> {
    const threshold = this.deps.config.publishAfterReports;
    if (threshold === 0) return;
    const row = await tx.selectFrom('incidents').select(['published_at', 'banner_set_by']).where('id', '=', incidentId).executeTakeFirstOrThrow();
    if (row.published_at || row.banner_set_by) return;
    const { n } = await tx
      .selectFrom('incident_conversations as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select((eb) => eb.fn.count<string>('c.contact_id').distinct().as('n'))
      .where('m.incident_id', '=', incidentId)
      .executeTakeFirstOrThrow();
    if (Number(n) < threshold) return;
    await tx.updateTable('incidents').set({ published_at: now, public_updated_at: now }).where('id', '=', incidentId).execute();
    this.bannerCache = null;
    this.deps.log.info({ incidentId, reports: Number(n) }, 'incident banner published after reports from different customers');
  }

  async of(conversationId: string): Promise<IncidentRef | null> {
    const row = await this.deps.store.db
      .selectFrom('incident_conversations as m')
      .innerJoin('incidents as i', 'i.id', 'm.incident_id')
      .select(['i.id', 'i.number', 'i.title', 'i.next_update_at', 'm.added_by'])
      .where('m.conversation_id', '=', conversationId)
      .where('i.status', '=', 'open')
      .executeTakeFirst();
    return row ? ref(row, row.added_by === ADDED_BY_FIRST_REPORT) : null;
  }

  /**
   * Staff resolve: every affected customer gets one follow-up; the incident's escalation is resolved.
   * Each staff action takes `also`, run in the transaction that makes the change (the audit row).
   */
  async resolve(incidentId: string, text: string | null, by: string, also?: AlsoInTransaction): Promise<void> {
    const now = this.deps.clock();
    const changed = await this.deps.store.transaction(async (tx) => {
      const row = await tx
        .updateTable('incidents')
        .set({ status: 'resolved', resolved_at: now, resolution: text, next_update_at: null })
        .where('id', '=', incidentId)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      this.bannerCache = null;
      await this.deps.queue.enqueueIn(tx, [{ name: 'incident.notify', data: { incidentId, kind: 'resolved', round: 0, text } }, ...(this.deps.problemJobs?.(incidentId) ?? [])]);
      await also?.(tx);
      return true;
    });
    if (!changed) throw new HubError(409, 'incident_not_open', 'this incident is not open');
    const escalation = await this.deps.store.db.selectFrom('escalations').select('id').where('incident_id', '=', incidentId).executeTakeFirst();
    if (escalation) await this.deps.engine.resolve(escalation.id, by, 'staff', text);
  }

  /** A staff update to every affected customer now (resets the update clock). */
  async postUpdate(incidentId: string, text: string, also?: AlsoInTransaction): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      const row = await this.bumpUpdate(tx, incidentId);
      if (!row) throw new HubError(409, 'incident_not_open', 'this incident is not open');
      // What customers were told is also what the banner says to those who have not written.
      await tx.updateTable('incidents').set({ public_message: text, public_updated_at: this.deps.clock() }).where('id', '=', incidentId).execute();
      this.bannerCache = null;
      await this.deps.queue.enqueueIn(tx, [{ name: 'incident.notify', data: { incidentId, kind: 'update', round: row.updates_sent, text } }]);
      await also?.(tx);
    });
  }

  /** Open incidents whose promised update is due get one (the acknowledgement promised it). */
  async tick(): Promise<number> {
    const now = this.deps.clock();
    const due = await this.deps.store.db.selectFrom('incidents').select('id').where('status', '=', 'open').where('next_update_at', '<=', now).limit(50).execute();
    for (const { id } of due) {
      await this.deps.store.transaction(async (tx) => {
        const row = await this.bumpUpdate(tx, id, now);
        if (row) await this.deps.queue.enqueueIn(tx, [{ name: 'incident.notify', data: { incidentId: id, kind: 'update', round: row.updates_sent, text: null } }]);
      });
    }
    return due.length;
  }

  private async bumpUpdate(tx: Transaction<HubDatabase>, incidentId: string, dueBy?: Date) {
    const now = this.deps.clock();
    let query = tx
      .updateTable('incidents')
      .set({ updates_sent: sql`updates_sent + 1`, next_update_at: new Date(now.getTime() + this.deps.config.updateEveryMinutes * 60_000) })
      .where('id', '=', incidentId)
      .where('status', '=', 'open');
    if (dueBy) query = query.where('next_update_at', '<=', dueBy);
    return query.returning(['updates_sent']).executeTakeFirst();
  }

  /** `incident.notify`: the update or resolution to each affected conversation, once per round (deduped by id). */
  async notify(payload: { incidentId: string; kind: 'update' | 'resolved'; round: number; text: string | null }): Promise<void> {
    const incident = await this.deps.store.db.selectFrom('incidents').selectAll().where('id', '=', payload.incidentId).executeTakeFirst();
    if (!incident) return;
    const now = this.deps.clock();
    const since = new Date(now.getTime() - this.deps.acknowledge.perSenderWindowMinutes * 60_000);
    const members = await sql<{ conversation_id: string; name: string | null; time_zone: string | null; automatic: number }>`
      SELECT m.conversation_id, ct.name,
        (SELECT fm.metadata -> 'device' ->> 'timeZone' FROM messages fm WHERE fm.conversation_id = m.conversation_id AND fm.direction = 'inbound' ORDER BY fm.position LIMIT 1) AS time_zone,
        ${automaticMessagesTo(sql.ref('c.contact_id'), since)} AS automatic
      FROM incident_conversations m JOIN conversations c ON c.id = m.conversation_id JOIN contacts ct ON ct.id = c.contact_id
      WHERE m.incident_id = ${payload.incidentId}`.execute(this.deps.store.db);
    const team = this.deps.acknowledge.teamName;
    const incidentRef = { number: incident.number, title: incident.title };
    const failures: unknown[] = [];
    // Replies share transactions (group commit), so a few in flight at a time is what makes 200 quick.
    const queue = [...members.rows];
    const worker = async () => {
      for (let m = queue.shift(); m; m = queue.shift()) {
        // Updates are automatic mail like acknowledgements and count toward the per-sender limit; the
        // one resolution follow-up per conversation is always sent.
        if (payload.kind === 'update' && m.automatic >= this.deps.acknowledge.perSenderLimit) continue;
        const name = firstName(m.name);
        const text =
          payload.kind === 'resolved'
            ? this.deps.templates.render('incident-resolved', { name, incident: incidentRef, text: payload.text, team })
            : this.deps.templates.render('incident-update', {
                name,
                incident: incidentRef,
                text: payload.text,
                nextUpdate: incident.next_update_at ? phraseEta(new Date(incident.next_update_at), now, m.time_zone, this.deps.teamTimeZone) : 'soon',
                team,
              });
        try {
          await this.deps.reply({
            conversationId: m.conversation_id,
            source: INCIDENT_SOURCE,
            sourceMessageId: `incident:${payload.incidentId}:${payload.kind}:${payload.round}:${m.conversation_id}`,
            authorKind: 'system',
            text,
            metadata: { incident: { number: incident.number, kind: payload.kind } },
          });
        } catch (error) {
          failures.push(error);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Sent ones are deduped on the retry; only the failed ones go out again.
    if (failures.length > 0) throw failures[0];
  }

  /**
   * Staff publish the banner now (before the threshold) or change what it says; a blank title or
   * message falls back to the incident's own title and the standard wording.
   */
  async publish(incidentId: string, text: { title: string | null; message: string | null }, by: string, also?: AlsoInTransaction): Promise<void> {
    const now = this.deps.clock();
    await this.deps.store.transaction(async (tx) => {
      const row = await tx
        .updateTable('incidents')
        .set((eb) => ({
          published_at: eb.fn.coalesce('published_at', eb.val(now)),
          banner_set_by: by,
          public_title: text.title,
          public_message: text.message,
          public_updated_at: now,
        }))
        .where('id', '=', incidentId)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst();
      if (!row) throw new HubError(409, 'incident_not_open', 'only an open incident can be shown to customers');
      await also?.(tx);
    });
    this.bannerCache = null;
  }

  /** Staff take the banner down; the threshold will not put it back (staff decided). */
  async unpublish(incidentId: string, by: string, also?: AlsoInTransaction): Promise<void> {
    await this.deps.store.transaction(async (tx) => {
      const row = await tx
        .updateTable('incidents')
        .set({ published_at: null, banner_set_by: by })
        .where('id', '=', incidentId)
        .where('status', '=', 'open')
        .returning('id')
        .executeTakeFirst();
      if (!row) throw new HubError(409, 'incident_not_open', 'this incident is not open');
      await also?.(tx);
    });
    this.bannerCache = null;
  }

  private bannerCache: { at: number; banner: Promise<IncidentBanner | null> } | null = null;

  /**
   * The banner for customers who have not written: the open, published incident updated last (one
   * is enough to say "we know"). Asked by every widget that opens, so a storm of them shares one
   * query a second; a change made in this process is seen at once, one made in another within that second.
   */
  banner(): Promise<IncidentBanner | null> {
    const now = Date.now();
    if (this.bannerCache && now - this.bannerCache.at < BANNER_CACHE_MS) return this.bannerCache.banner;
    const banner = this.deps.store.db
      .selectFrom('incidents')
      .select(['id', 'title', 'public_title', 'public_message', 'opened_at', 'public_updated_at'])
      .where('status', '=', 'open')
      .where('published_at', 'is not', null)
      .orderBy('public_updated_at', 'desc')
      .limit(1)
      .executeTakeFirst()
      .then((row) =>
        row
          ? {
              id: row.id,
              title: row.public_title ?? row.title,
              since: new Date(row.opened_at),
              updatedAt: new Date(row.public_updated_at ?? row.opened_at),
              message: row.public_message ?? DEFAULT_BANNER_MESSAGE,
            }
          : null,
      );
    this.bannerCache = { at: now, banner };
    banner.catch(() => (this.bannerCache = null));
    return banner;
  }

  /**
   * A contact's widget showed the banner (once per incident and contact; later reports change
   * nothing). False when the incident is not shown any more — a late report from a stale page.
   */
  async bannerSeen(incidentId: string, contactId: string): Promise<boolean> {
    const shown = await this.deps.store.db
      .selectFrom('incidents')
      .select('id')
      .where('id', '=', incidentId)
      .where('status', '=', 'open')
      .where('published_at', 'is not', null)
      .executeTakeFirst();
    if (!shown) return false;
    await this.deps.store.db
      .insertInto('incident_banner_views')
      .values({ incident_id: incidentId, contact_id: contactId, seen_at: this.deps.clock() })
      .onConflict((oc) => oc.columns(['incident_id', 'contact_id']).doNothing())
      .execute();
    return true;
  }

  /** Staff merge `from` into `into`: its conversations move; its escalation is resolved as a duplicate. */
  async merge(fromId: string, intoId: string, by: string, also?: AlsoInTransaction): Promise<void> {
    if (fromId === intoId) throw new HubError(400, 'same_incident', 'an incident cannot be merged into itself');
    const into = await this.deps.store.transaction(async (tx) => {
      const both = await tx.selectFrom('incidents').select(['id', 'number', 'status']).where('id', 'in', [fromId, intoId]).forUpdate().execute();
      const from = both.find((i) => i.id === fromId);
      const target = both.find((i) => i.id === intoId);
      if (!from || !target) throw new HubError(404, 'no_such_incident', 'no such incident');
      if (from.status !== 'open' || target.status !== 'open') throw new HubError(409, 'incident_not_open', 'both incidents must be open');
      const moved = await tx.updateTable('incident_conversations').set({ incident_id: intoId, added_by: `merge by ${by}` }).where('incident_id', '=', fromId).returning('conversation_id').execute();
      await this.toHelpdesk(tx, moved.map((m) => m.conversation_id));
      await tx.updateTable('incidents').set({ status: 'merged', merged_into: intoId, next_update_at: null }).where('id', '=', fromId).execute();
      // Its problem record is solved once its members link to the surviving incident's (src/sync/problem.ts).
      const problems = this.deps.problemJobs?.(fromId) ?? [];
      if (problems.length > 0) await this.deps.queue.enqueueIn(tx, problems);
      this.bannerCache = null;
      await tx.updateTable('incidents').set({ last_seen_at: this.deps.clock() }).where('id', '=', intoId).execute();
      await also?.(tx);
      return target;
    });
    const escalation = await this.deps.store.db.selectFrom('escalations').select('id').where('incident_id', '=', fromId).executeTakeFirst();
    if (escalation) await this.deps.engine.resolve(escalation.id, by, 'staff', `Merged into incident #${into.number}.`);
  }

  /**
   * Staff split conversations off into a new incident (they were a different problem). It is
   * escalated like a new one when its policy says so.
   */
  async split(incidentId: string, conversationIds: string[], by: string, also?: (tx: Tx, newIncidentId: string) => Promise<void>): Promise<string> {
    if (conversationIds.length === 0) throw new HubError(400, 'no_conversations', 'name at least one conversation to split off');
    const now = this.deps.clock();
    const result = await this.deps.store.transaction(async (tx) => {
      const source = await tx.selectFrom('incidents').selectAll().where('id', '=', incidentId).forUpdate().executeTakeFirst();
      if (!source) throw new HubError(404, 'no_such_incident', 'no such incident');
      if (source.status !== 'open') throw new HubError(409, 'incident_not_open', 'this incident is not open');
      const members = await tx.selectFrom('incident_conversations').select('conversation_id').where('incident_id', '=', incidentId).execute();
      const inIt = new Set(members.map((m) => m.conversation_id));
      const strangers = conversationIds.filter((c) => !inIt.has(c));
      if (strangers.length > 0) throw new HubError(400, 'not_in_incident', `not in this incident: ${strangers.join(', ')}`);
      if (conversationIds.length === inIt.size) throw new HubError(400, 'split_all', 'splitting off every conversation leaves nothing behind; rename or resolve instead');
      const id = randomUUID();
      await tx
        .insertInto('incidents')
        .values({ id, category: source.category, title: `${source.title} (split from #${source.number})`, status: 'open', opened_at: now, last_seen_at: now, next_update_at: source.next_update_at })
        .execute();
      await tx.updateTable('incident_conversations').set({ incident_id: id, added_by: `split by ${by}` }).where('conversation_id', 'in', conversationIds).execute();
      await this.toHelpdesk(tx, conversationIds);
      const level = await tx.selectFrom('escalations').select(['level', 'category']).where('incident_id', '=', incidentId).executeTakeFirst();
      const policy = level ? this.deps.engine.policyFor(level.level, level.category) : null;
      const opened = policy && level ? await this.deps.engine.openIn(tx, { incidentId: id, level: level.level, category: level.category, title: `${source.title} (split from #${source.number})` }, policy) : null;
      if (opened) await this.deps.queue.enqueueIn(tx, opened.jobs);
      await also?.(tx, id);
      return id;
    });
    return result;
  }
}

function ref(row: { id: string; number: number; title: string; next_update_at: Date | string | null }, firstReport: boolean): IncidentRef {
  return { id: row.id, number: row.number, title: row.title, nextUpdateAt: row.next_update_at ? new Date(row.next_update_at) : null, firstReport };
}

/** What `GET /v1/availability` and the widget show while an incident is open and published. */
export interface IncidentBanner {
  id: string;
  title: string;
  since: Date;
  updatedAt: Date;
  message: string;
}

const BANNER_CACHE_MS = 1_000;
export const DEFAULT_BANNER_MESSAGE = "We know about this and are working on it. You don't need to write in: this notice will change when it is fixed.";

/**
 * What the banner did (the issue's "contacts avoided"): contacts whose widget showed it; of them,
 * those who wrote anyway while it was up; and those who saw it, did not write, and whose incident
 * was then resolved — a conversation the team did not have to answer. An open incident's silent
 * viewers are not counted as avoided yet: they may still write.
 */
export async function bannerOutcomes(store: Store, incidentId?: string): Promise<{ views: number; wrote: number; avoided: number }> {
  const row = (
    await sql<{ views: string; wrote: string; avoided: string }>`
      SELECT count(*) AS views,
        count(*) FILTER (WHERE x.wrote) AS wrote,
        count(*) FILTER (WHERE NOT x.wrote AND x.status = 'resolved') AS avoided
      FROM (
        SELECT i.status, EXISTS (
          SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id
          WHERE c.contact_id = v.contact_id AND m.direction = 'inbound'
            AND m.created_at >= v.seen_at AND m.created_at <= coalesce(i.resolved_at, now())
        ) AS wrote
        FROM incident_banner_views v JOIN incidents i ON i.id = v.incident_id
        ${incidentId ? sql`WHERE v.incident_id = ${incidentId}` : sql``}
      ) x`.execute(store.db)
  ).rows[0]!;
  return { views: Number(row.views), wrote: Number(row.wrote), avoided: Number(row.avoided) };
}

export type IncidentFilter = 'open' | 'resolved' | 'merged' | 'any';

/** Incidents, newest first, with how many conversations each holds and its escalation's state. */
export async function listIncidents(store: Store, status: IncidentFilter) {
  let query = store.db
    .selectFrom('incidents as i')
    .leftJoin('escalations as e', 'e.incident_id', 'i.id')
    .select((eb) => [
      'i.id',
      'i.number',
      'i.category',
      'i.title',
      'i.status',
      'i.merged_into',
      'i.opened_at',
      'i.last_seen_at',
      'i.next_update_at',
      'i.updates_sent',
      'i.resolved_at',
      'e.id as escalation_id',
      'e.status as escalation_status',
      eb.selectFrom('incident_conversations as m').select((m) => m.fn.countAll<number>().as('n')).whereRef('m.incident_id', '=', 'i.id').as('conversations'),
    ])
    .orderBy('i.opened_at', 'desc')
    .limit(200);
  if (status !== 'any') query = query.where('i.status', '=', status);
  const rows = await query.execute();
  return rows.map((r) => ({ ...r, conversations: Number(r.conversations) }));
}
