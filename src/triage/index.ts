import { sql } from 'kysely';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { EscalationCapability } from '../capabilities/escalation.js';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import { ConfigError, type HubConfig } from '../config.js';
import type { Mailer } from '../mail/mailer.js';
import type { OutboundReply, ReplyResult } from '../conversations/reply.js';
import type { JobHandlers, JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { HubMetrics } from '../ops/metrics.js';
import type { Message, Conversation } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';
import { Acknowledger } from './acknowledge.js';
import { EscalationEngine } from './escalation/engine.js';
import { emailTarget } from './escalation/email-target.js';
import { AcknowledgeLinks } from './escalation/links.js';
import { resolvePolicies } from './escalation/policies.js';
import { acknowledgeLinkRouter, escalationWebhookRouter } from './escalation/routes.js';
import { bannerOutcomes, Incidents } from './incidents.js';
import { DEFAULT_TEAM, Teams, TeamsError } from '../team/teams.js';
import { respondJob } from './respond.js';
import { triageOnReplies } from './on-reply.js';
import { triageStaffRouter } from './staff-api.js';
import { TextTemplates } from './templates.js';

export interface TriageResponse {
  engine: EscalationEngine;
  incidents: Incidents;
  acknowledger: Acknowledger;
  /** Who answers which categories, with their hours (src/team/teams.ts). */
  teams: Teams;
  targets: ReadonlyMap<string, EscalationCapability>;
  handlers: Pick<JobHandlers, 'triage.respond' | 'escalation.step' | 'escalation.notify' | 'escalation.replied' | 'acknowledgement.settle' | 'incident.notify'>;
  /** After a triage call is written: respond (escalate, cluster, acknowledge). */
  jobsOnTriage(conversationId: string, call: { first: boolean }): JobRequest[];
  /** Jobs an agent's replies leave for triage, decided in the transaction storing them (on-reply.ts). */
  jobsOnReplies(tx: Tx, stored: readonly { message: Message; conversation: Conversation }[]): Promise<JobRequest[]>;
  rawBodyRouters: Router[];
  routers: Router[];
  /** Due steps and incident updates, now (tests with a moved clock call this instead of waiting for the tick). */
  tick(): Promise<void>;
  start(): void;
  stop(): void;
}

/**
 * What happens after the classifier's call (ARCHITECTURE §1: classify → auto-acknowledge →
 * escalate): acknowledgements with honest ETAs, incident clustering, and escalation policies run
 * on the targets this hub has — the integrations with the escalation capability plus the built-in
 * on-call email. Bad policies fail the start naming the key.
 */
export function createTriageResponse(deps: {
  store: Store;
  queue: JobQueue;
  log: Logger;
  config: HubConfig;
  registry: IntegrationRegistry;
  mailer: Mailer | null;
  metrics: HubMetrics;
  clock: () => Date;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  /** Push jobs for these conversations' new helpdesk notes (sync). */
  pushJobs(conversationId: string): JobRequest[];
  /** Jobs that bring an incident's own helpdesk records (Zendesk problem tickets) up to date (sync). */
  incidentJobs?(incidentId: string): JobRequest[];
  maxBodyBytes: number;
}): TriageResponse {
  const { config, store, queue, log, clock } = deps;
  const templates = new TextTemplates(config.acknowledge.templateDir);
  const targets = new Map<string, EscalationCapability>(deps.registry.all('escalation').map((t) => [t.integrationId, t.instance]));
  const mailTo = config.escalation.oncallEmail;
  const someoneHasEmail = Object.values(config.oncall.people).some((p) => p.contacts.email);
  if (deps.mailer && (mailTo || someoneHasEmail)) targets.set('email', emailTarget({ mailer: deps.mailer, fallback: mailTo, templates }));
  const resolved = resolvePolicies(config.escalation, [...targets.keys()]);
  if (resolved.problems.length > 0) throw new ConfigError(resolved.problems);
  const linkSecret = config.escalation.linkSecret ?? config.http.linkSecret;
  const links = config.http.publicUrl && linkSecret ? new AcknowledgeLinks(config.http.publicUrl, linkSecret, config.escalation.linkTtlMinutes) : null;
  const pushNotes = async (conversationIds: string[]) => {
    await queue.enqueue(conversationIds.flatMap((id) => deps.pushJobs(id)));
  };
  const engine = new EscalationEngine({
    store,
    queue,
    log,
    clock,
    targets,
    policies: resolved.policies,
    oncall: config.oncall,
    links,
    publicUrl: config.http.publicUrl,
    pushNotes,
    onStep: (target, outcome) => deps.metrics.escalationTargets.inc({ target, outcome }),
  });
  let teams: Teams;
  try {
    teams = new Teams(config);
  } catch (error) {
    if (error instanceof TeamsError) throw new ConfigError(error.problems);
    throw error;
  }
  const incidents = new Incidents({
    store,
    queue,
    log,
    clock,
    config: config.incidents,
    acknowledge: config.acknowledge,
    teamTimeZone: config.team.timeZone,
    templates,
    engine,
    reply: deps.reply,
    helpdeskJobs: deps.pushJobs,
    ...(deps.incidentJobs ? { problemJobs: deps.incidentJobs } : {}),
  });
  const acknowledger = new Acknowledger({
    store,
    log,
    clock,
    teams,
    oncall: config.oncall,
    config: config.acknowledge,
    templates,
    reply: deps.reply,
    canDeliver: (channel) => channel !== 'email' || deps.mailer !== null,
    pushNote: (conversationId) => pushNotes([conversationId]),
    onOutcome: (outcome) => deps.metrics.acknowledgements.inc({ outcome }),
  });
  deps.metrics.bannerFrom(() => bannerOutcomes(store));
  deps.metrics.promisesFrom(async () => {
    const rows = await store.db
      .selectFrom('acknowledgements')
      .select((eb) => [
        'level',
        sql<string>`coalesce(team, ${sql.lit(DEFAULT_TEAM)})`.as('team'),
        eb.fn.countAll<number>().filterWhere('kept', '=', true).as('kept'),
        // Broken: answered late, or still unanswered past the promised time.
        eb.fn.countAll<number>().filterWhere((w) => w.or([w('kept', '=', false), w.and([w('first_reply_at', 'is', null), w('due_at', '<', clock())])])).as('broken'),
      ])
      .where('decision', '=', 'sent')
      .where('due_at', 'is not', null)
      .groupBy(['level', 'team'])
      .execute();
    return rows.map((r) => ({ level: r.level, team: r.team, kept: Number(r.kept), broken: Number(r.broken) }));
  });
  const tick = async () => {
    await engine.tick();
    await incidents.tick();
  };
  let timer: NodeJS.Timeout | null = null;
  return {
    engine,
    incidents,
    teams,
    acknowledger,
    targets,
    handlers: {
      'triage.respond': respondJob({ store, queue, engine, incidents, acknowledger }),
      'escalation.step': ({ escalationId, step }) => engine.runStep(escalationId, step),
      'escalation.notify': (payload) => engine.notify(payload),
      'escalation.replied': async ({ conversationId, messageId }) => {
        await engine.replied(conversationId, messageId);
      },
      'acknowledgement.settle': async ({ conversationId, messageId }) => {
        const message = await store.db.selectFrom('messages').select('created_at').where('id', '=', messageId).executeTakeFirst();
        if (message) await acknowledger.settle(conversationId, new Date(message.created_at));
      },
      'incident.notify': (payload) => incidents.notify(payload),
    },
    jobsOnTriage: (conversationId, call) => [{ name: 'triage.respond', data: { conversationId, acknowledge: call.first } }],
    jobsOnReplies: triageOnReplies(acknowledger),
    rawBodyRouters: [escalationWebhookRouter({ targets, engine, store, maxBodyBytes: deps.maxBodyBytes })],
    routers: [acknowledgeLinkRouter({ links, engine, store, clock }), triageStaffRouter({ token: config.admin.token, store, incidents, engine })],
    tick,
    start() {
      const run = () => tick().catch((error: unknown) => log.warn({ err: error }, 'escalation tick failed; the next one retries'));
      timer = setInterval(run, config.escalation.tickSeconds * 1000);
      timer.unref();
      void run();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
