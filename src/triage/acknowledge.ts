import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { HubDatabase } from '../store/schema.js';
import type { Logger } from 'pino';
import type { OutboundReply, ReplyResult } from '../conversations/reply.js';
import type { Store } from '../store/store.js';
import { businessMinutesBetween } from '../team/business-time.js';
import { computeEta, NoBusinessHoursError, phraseEta, type Eta, type FirstResponseSample } from '../team/eta.js';
import { DEFAULT_TEAM } from '../team/teams.js';
import type { AnsweringTeam, Teams } from '../team/teams.js';
import { isTimeZone } from '../team/local-time.js';
import { coverageAt, routeFor, type OncallConfig } from '../team/oncall.js';
import type { Evidence, UrgencyLevel } from './classify.js';
import type { AcknowledgeConfig } from './escalation/config.js';
import { addHelpdeskNote } from './helpdesk-notes.js';
import { firstName, primaryCategory, problemPhrase } from './problem.js';
import type { TextTemplates } from './templates.js';

export interface AcknowledgerDeps {
  store: Store;
  log: Logger;
  clock: () => Date;
  /** Who answers which categories, with their hours, targets and reply history (src/team/teams.ts). */
  teams: Teams;
  oncall: OncallConfig;
  config: AcknowledgeConfig;
  templates: TextTemplates;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  /** Whether the hub can reach customers on a channel at all (email needs outbound SMTP). */
  canDeliver(channel: 'chat' | 'email' | 'helpdesk'): boolean;
  /** Jobs that push a new helpdesk note (sync). */
  pushNote(conversationId: string): Promise<void>;
  onOutcome?(outcome: 'sent' | 'skipped', reason: string | null): void;
}

export interface IncidentRef {
  id: string;
  number: number;
  title: string;
  nextUpdateAt: Date | null;
  /** This conversation opened the incident: its customer is the first to report it. */
  firstReport: boolean;
}

/** A promise and the team it is made for. */
export type TeamEta = Eta & { team: AnsweringTeam };

export type AcknowledgeOutcome = { decision: 'sent'; messageId: string; eta: Eta | null } | { decision: 'skipped'; reason: string } | { decision: 'already' };

/**
 * SQL: automatic messages (author `system`: acknowledgements, incident updates) a contact got
 * since a time, plus acknowledgements decided but not yet stored as messages — what the
 * per-sender limit counts. `contact` is a value or a column reference (`sql.ref('c.contact_id')`).
 */
export function automaticMessagesTo(contact: unknown, since: Date): RawBuilder<number> {
  return sql<number>`((SELECT count(*) FROM messages am JOIN conversations ac ON ac.id = am.conversation_id
      WHERE ac.contact_id = ${contact} AND am.author_kind = 'system' AND am.created_at > ${since})
    + (SELECT count(*) FROM acknowledgements aa
      WHERE aa.contact_id = ${contact} AND aa.decision = 'sent' AND aa.message_id IS NULL AND aa.received_at > ${since}))::int`;
}

/** The hub's own message source: the same conversation's acknowledgement is one message, ever. */
export const ACK_SOURCE = 'hub:acknowledgement';

/**
 * Auto-acknowledgement of a new conversation (issue: never to auto-replies or bounces, never
 * twice, not once an agent replied, at most N automatic messages per sender per window): one
 * message on the conversation's own channel naming the problem and promising a first reply by a
 * time we can keep — business hours, the level's target or what history says 80% of replies met,
 * and on-call for urgent — phrased in the customer's zone. The promise goes to the helpdesk as a
 * private note, and is judged when the first agent reply arrives (`settle`).
 */
export class Acknowledger {
  /** Per team and level (`team:level`). */
  private readonly samples = new Map<string, { at: number; samples: FirstResponseSample[] }>();

  constructor(private readonly deps: AcknowledgerDeps) {}

  async acknowledge(conversationId: string, incident: IncidentRef | null): Promise<AcknowledgeOutcome> {
    const { store, config } = this.deps;
    const existing = await store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst();
    if (existing && (existing.decision === 'skipped' || existing.message_id)) return { decision: 'already' };
    const facts = await this.facts(conversationId);
    if (!facts) return { decision: 'skipped', reason: 'no such conversation' };
    let text = existing?.text ?? null;
    let forAgents = existing?.promise_for_agents ?? '';
    let eta: Eta | null = null;
    if (!existing) {
      const at = this.deps.clock();
      const composed = await this.compose(facts, incident, at);
      ({ text, forAgents, eta } = composed);
      // Decided and written under a per-sender lock: concurrent conversations of one sender (a
      // script, two auto-responders) cannot all see "under the limit" at once. Written before
      // the send: a crash in between is finished by the retry with this very text.
      const decided = await store.transaction(async (tx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext(${`acknowledge:${facts.contactId}`}))`.execute(tx);
        const reason = await this.reasonToSkip(tx, facts, at, config);
        const inserted = await tx
          .insertInto('acknowledgements')
          .values(
            reason
              ? { conversation_id: conversationId, contact_id: facts.contactId, decision: 'skipped', reason, level: facts.level, received_at: at, team: composed.team.id }
              : {
                  conversation_id: conversationId,
                  contact_id: facts.contactId,
                  decision: 'sent',
                  level: facts.level,
                  basis: eta?.basis ?? (incident ? 'incident' : 'none'),
                  received_at: at,
                  due_at: eta?.due ?? null,
                  promise: composed.promise,
                  promise_for_agents: forAgents,
                  text,
                  incident_id: incident?.id ?? null,
                  team: composed.team.id,
                },
          )
          .onConflict((oc) => oc.column('conversation_id').doNothing())
          .returning('conversation_id')
          .executeTakeFirst();
        return { reason, inserted: inserted !== undefined };
      });
      if (!decided.inserted) return { decision: 'already' };
      if (decided.reason) {
        this.deps.onOutcome?.('skipped', decided.reason);
        this.deps.log.info({ conversationId, reason: decided.reason }, 'no acknowledgement');
        return { decision: 'skipped', reason: decided.reason };
      }
    }
    // Deduped by (source, id): whatever happens, the customer gets this message once.
    const sent = await this.deps.reply({
      conversationId,
      source: ACK_SOURCE,
      sourceMessageId: `ack:${conversationId}`,
      authorKind: 'system',
      text: text ?? '',
      metadata: { acknowledgement: { level: facts.level, incident: incident?.number ?? null } },
    });
    await store.db.updateTable('acknowledgements').set({ message_id: sent.message.id }).where('conversation_id', '=', conversationId).execute();
    if (await addHelpdeskNote(store.db, conversationId, `promise:${conversationId}`, forAgents)) await this.deps.pushNote(conversationId);
    this.deps.onOutcome?.('sent', null);
    return { decision: 'sent', messageId: sent.message.id, eta };
  }

  /**
   * The first agent reply judges the promise: kept when it came by the promised time. Its business
   * minutes (in the answering team's hours) become history for that team's later promises of the level.
   * `db`: the reply's own transaction when it is judged as the reply is stored (triage/on-reply.ts).
   */
  async settle(conversationId: string, repliedAt: Date, db: Kysely<HubDatabase> = this.deps.store.db): Promise<void> {
    const row = await db
      .selectFrom('acknowledgements as a')
      .innerJoin('conversations as c', 'c.id', 'a.conversation_id')
      .select(['a.received_at', 'a.due_at', 'a.team', 'c.first_agent_reply_at'])
      .where('a.conversation_id', '=', conversationId)
      .where('a.decision', '=', 'sent')
      .where('a.first_reply_at', 'is', null)
      .executeTakeFirst();
    if (!row) return;
    // The conversation's first agent reply, whichever reply or job gets here first (an
    // acknowledgement that committed after a reply's settle job looked is judged by a later one).
    const first = row.first_agent_reply_at && new Date(row.first_agent_reply_at) < repliedAt ? new Date(row.first_agent_reply_at) : repliedAt;
    const minutes = businessMinutesBetween(this.deps.teams.byId(row.team).hours, new Date(row.received_at), first);
    await db
      .updateTable('acknowledgements')
      .set({ first_reply_at: first, first_reply_business_minutes: minutes, kept: row.due_at ? first.getTime() <= new Date(row.due_at).getTime() : null })
      .where('conversation_id', '=', conversationId)
      .where('first_reply_at', 'is', null)
      .execute();
  }

  /**
   * The promise a conversation of `level` and `category` arriving now would get, from the team that
   * answers the category (also the chat's availability notice, for the team of the topic the app names).
   */
  async expectedReply(level: UrgencyLevel, category: string | null, customerTimeZone: string | null, at = this.deps.clock()): Promise<TeamEta> {
    const team = this.deps.teams.forCategory(category);
    const eta = computeEta({
      team: team.hours,
      eta: team.eta,
      level,
      at,
      customerTimeZone,
      // A rotation team's hours are already its on-call coverage; the others are covered out of
      // hours for urgent problems by whoever the schedule routes the category to.
      onCallCovered: team.rotation === null && level === 'urgent' && this.onCallCovered(category, at),
      history: await this.history(team, level, at),
    });
    const who = team.rotation ? `${team.name} (on-call rotation ${team.rotation})` : team.name;
    return { ...eta, team, textForAgents: team === this.deps.teams.default && this.deps.teams.all.length === 1 ? eta.textForAgents : `${who}: ${eta.textForAgents}` };
  }


  private onCallCovered(category: string | null, at: Date): boolean {
    const { oncall } = this.deps;
    // Covered means someone is routed for this kind of problem now (or, without routes, anyone is on call).
    if (Object.keys(oncall.routes).length > 0) return routeFor(oncall, category ?? 'default', at)?.covered ?? false;
    return Object.keys(oncall.rotations).length > 0 && coverageAt(oncall, at).covered;
  }

  /**
   * First replies of a level in the history window; unanswered ones count with the time waited so
   * far. Kept for a minute of the hub's clock: the chat widget asks for the promise on every
   * availability check, and a month of history does not change within a minute.
   */
  private async history(team: AnsweringTeam, level: UrgencyLevel, at: Date): Promise<FirstResponseSample[]> {
    const key = `${team.id}:${level}`;
    const cached = this.samples.get(key);
    const age = cached ? at.getTime() - cached.at : -1;
    if (cached && age >= 0 && age < 60_000) return cached.samples;
    const samples = await this.readHistory(team, level, at);
    this.samples.set(key, { at: at.getTime(), samples });
    return samples;
  }

  /** The team's own replies only: another team's pace says nothing about this one's. */
  private async readHistory(team: AnsweringTeam, level: UrgencyLevel, at: Date): Promise<FirstResponseSample[]> {
    const since = new Date(at.getTime() - team.eta.history.windowDays * 86_400_000);
    const rows = await this.deps.store.db
      .selectFrom('acknowledgements')
      .select(['received_at', 'first_reply_business_minutes'])
      .where('decision', '=', 'sent')
      .where('level', '=', level)
      // Promises made before teams existed (team unset) were the default team's.
      .where(sql`coalesce(team, ${sql.lit(DEFAULT_TEAM)})`, '=', team.id)
      .where('incident_id', 'is', null)
      .where('received_at', '>', since)
      .where('received_at', '<=', at)
      .execute();
    return rows.map((r) => ({
      receivedAt: new Date(r.received_at),
      businessMinutes: r.first_reply_business_minutes ?? businessMinutesBetween(team.hours, new Date(r.received_at), at),
    }));
  }

  private async compose(facts: ConversationFacts, incident: IncidentRef | null, at: Date): Promise<Composed> {
    const { templates } = this.deps;
    const name = firstName(facts.name);
    const team = this.deps.config.teamName;
    const answering = this.deps.teams.forCategory(facts.category);
    if (incident) {
      const nextUpdate = incident.nextUpdateAt ? phraseEta(incident.nextUpdateAt, at, facts.timeZone, this.deps.teams.default.hours.timeZone) : 'as soon as we know more';
      const text = templates.render('incident', { name, incident, nextUpdate, team });
      return { text, eta: null, team: answering, promise: `incident #${incident.number} update ${nextUpdate}`, forAgents: `Support Hub told the customer this is part of incident #${incident.number} (${incident.title}) and promised an update ${nextUpdate}.` };
    }
    let eta: TeamEta;
    try {
      eta = await this.expectedReply(facts.level, facts.category, facts.timeZone, at);
    } catch (error) {
      if (!(error instanceof NoBusinessHoursError)) throw error;
      const text = templates.render('acknowledgement', { name, problem: problemPhrase(facts.subject, facts.category), eta: 'as soon as we can', escalated: false, team });
      return { text, eta: null, team: answering, promise: 'as soon as we can', forAgents: `Support Hub acknowledged without a time: ${error.message}.` };
    }
    const escalated = facts.level === 'urgent';
    const text = templates.render('acknowledgement', { name, problem: problemPhrase(facts.subject, facts.category), eta: eta.text, escalated, team });
    return { text, eta, team: eta.team, promise: eta.text, forAgents: `Support Hub promised the customer a first reply ${eta.text}. ${eta.textForAgents}.` };
  }

  private async reasonToSkip(db: Kysely<HubDatabase>, facts: ConversationFacts, at: Date, config: AcknowledgeConfig): Promise<string | null> {
    if (!config.enabled) return 'acknowledgements are off (ACK_ENABLED)';
    if (facts.autoReply) return 'the first message is an automatic reply';
    if (facts.agentReplied) return 'an agent already replied';
    // An old conversation imported from a helpdesk (or replayed) is not "new": a promise now would be absurd.
    if (facts.firstAt && at.getTime() - facts.firstAt.getTime() > 24 * 3600_000) return 'the conversation began more than a day ago';
    if (!this.deps.canDeliver(facts.channel)) return `the hub cannot send on the ${facts.channel} channel (outbound mail not configured)`;
    const since = new Date(at.getTime() - config.perSenderWindowMinutes * 60_000);
    // Every automatic message counts (acknowledgements, incident updates), and so do
    // acknowledgements decided but not yet stored as messages: this is what stops two
    // auto-responders, or a script, from farming mail out of us.
    const recent = await sql<{ n: number }>`SELECT ${automaticMessagesTo(facts.contactId, since)} AS n`.execute(db);
    if ((recent.rows[0]?.n ?? 0) >= config.perSenderLimit) return `the sender already got ${config.perSenderLimit} automatic messages in ${config.perSenderWindowMinutes} minutes`;
    return null;
  }

  private async facts(conversationId: string): Promise<ConversationFacts | null> {
    const row = await sql<{
      contact_id: string;
      channel: 'chat' | 'email' | 'helpdesk';
      subject: string | null;
      name: string | null;
      level: UrgencyLevel | null;
      evidence: Evidence[] | null;
      first_metadata: Record<string, unknown> | null;
      first_at: Date | string | null;
      agent_replied: boolean;
    }>`
      SELECT c.contact_id, c.channel, c.subject, ct.name, t.level, t.evidence,
        (SELECT m.metadata FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' ORDER BY m.position LIMIT 1) AS first_metadata,
        (SELECT m.created_at FROM messages m WHERE m.conversation_id = c.id AND m.direction = 'inbound' ORDER BY m.position LIMIT 1) AS first_at,
        EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.author_kind = 'agent') AS agent_replied
      FROM conversations c JOIN contacts ct ON ct.id = c.contact_id
      LEFT JOIN triage_results t ON t.conversation_id = c.id
      WHERE c.id = ${conversationId}`.execute(this.deps.store.db);
    const r = row.rows[0];
    if (!r) return null;
    const metadata = r.first_metadata ?? {};
    const device = (metadata['device'] ?? null) as { timeZone?: unknown } | null;
    const zone = typeof device?.timeZone === 'string' && isTimeZone(device.timeZone) ? device.timeZone : null;
    return {
      contactId: r.contact_id,
      channel: r.channel,
      subject: r.subject,
      name: r.name,
      level: r.level ?? 'normal',
      category: primaryCategory(r.evidence ?? []),
      autoReply: metadata['autoReply'] === true,
      agentReplied: r.agent_replied,
      timeZone: zone,
      firstAt: r.first_at ? new Date(r.first_at) : null,
    };
  }
}

interface ConversationFacts {
  contactId: string;
  channel: 'chat' | 'email' | 'helpdesk';
  subject: string | null;
  name: string | null;
  level: UrgencyLevel;
  category: string | null;
  autoReply: boolean;
  agentReplied: boolean;
  timeZone: string | null;
  /** When the customer first wrote (the helpdesk's time for an imported conversation). */
  firstAt: Date | null;
}

interface Composed {
  text: string;
  eta: Eta | null;
  team: AnsweringTeam;
  promise: string | null;
  forAgents: string;
}
