import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { helpdeskChatAddress, type ConversationRef, type HelpdeskCapability, type HelpdeskPerson } from '../capabilities/helpdesk.js';
import { audit } from '../dashboard/audit.js';
import { HubError } from '../errors.js';
import type { JobQueue } from '../jobs/queue.js';
import { pseudonymOf } from '../ops/log-pseudonyms.js';
import type { HubDatabase } from '../store/schema.js';
import type { Store, Tx } from '../store/store.js';
import { describeQuery, findPerson, type Footprint, type FootprintCounts, type PersonQuery } from './footprint.js';

/**
 * Erasing one person ("delete everything you have on me"): a durable request worked by the
 * `privacy.erase` job, so a crash at any instant resumes and finishes, and running it twice is
 * harmless.
 *
 * 1. The hub's own copy, in one transaction: every row that is theirs goes (contacts,
 *    conversations, messages, attachments, raw mail, triage, escalations of their conversations,
 *    incident memberships, helpdesk mappings, chat sessions and devices, queued jobs naming them);
 *    audit rows about them keep who did what and when, not whom; acknowledgements stay as anonymous
 *    counts under fresh ids (migration 0013 says why). The same transaction writes one step per
 *    connected helpdesk holding who to delete there — the only place those ids survive.
 * 2. Each helpdesk deletes its copy through its documented API (HelpdeskCapability.erasePerson),
 *    retried through outages and rate limits like any vendor write; a step's ids are cleared when
 *    it is done.
 * 3. The request keeps counts, the vendors' reports and a to-do list for a human (escalation
 *    targets that hold the hub's copies, what a vendor cannot delete by API) under the address's
 *    log pseudonym (src/ops/log-pseudonyms.ts), so the logs of the request can still be found.
 */

export interface ErasureDeps {
  store: Store;
  queue: Pick<JobQueue, 'enqueueIn'>;
  log: Logger;
  /** The connected helpdesks, by integration id. */
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  /** The install's log pseudonym key. */
  pseudonymKey: Buffer;
}

export interface ErasureInput {
  query: PersonQuery;
  /** Must repeat the handle the person was named by (their address, chat user or helpdesk id). */
  confirm: string;
  reason: string;
  actor: { id: string | null; email: string | null; ip?: string | undefined };
}

export interface ErasureReport {
  requestId: string;
  state: 'pending' | 'helpdesks' | 'done';
  /** What the hub removed (counts only). */
  removed: Partial<FootprintCounts>;
  helpdesks: { integration: string; state: 'pending' | 'done' | 'unsupported'; done: string[]; manual: string[]; lastError: string | null }[];
  /** For a human: copies the hub wrote elsewhere (escalation targets) and vendor leftovers. */
  manual: string[];
}

/** The handle an erasure must be confirmed with: what the operator named the person by. */
export function confirmationFor(query: PersonQuery): string {
  if ('email' in query) return query.email.trim().toLowerCase();
  if ('chatUser' in query) return query.chatUser.trim();
  return query.customerId.trim();
}

/**
 * Records an erasure request and queues its job, after checking the confirmation and that the
 * person exists. Returns the request id and what will be removed. Nothing changes on refusal.
 */
export async function requestErasure(deps: ErasureDeps, input: ErasureInput): Promise<{ requestId: string; footprint: Footprint }> {
  const expected = confirmationFor(input.query);
  if (input.confirm.trim().toLowerCase() !== expected.toLowerCase()) {
    throw new HubError(400, 'confirmation_mismatch', `erasure refused: the confirmation must repeat ${expected} exactly (got ${JSON.stringify(input.confirm)})`);
  }
  const reason = input.reason.trim();
  if (!reason) throw new HubError(400, 'reason_required', 'erasure refused: give a reason (e.g. "customer request by email, 2026-12-07"); it is kept in the audit log');
  const footprint = await findPerson(deps.store.db, input.query, deps.helpdesks);
  const requestId = randomUUID();
  await deps.store.transaction(async (tx) => {
    await tx
      .insertInto('privacy_requests')
      .values({ id: requestId, kind: 'erase', state: 'pending', subject: JSON.stringify(input.query), reason: redactPerson(reason, footprint), requested_by: input.actor.email ?? 'cli' })
      .execute();
    await audit(tx, {
      actor: { id: input.actor.id, email: input.actor.email },
      action: 'privacy.erase.requested',
      subject: { kind: 'privacy_request', id: requestId },
      // `why` first: jsonb orders keys shortest first, and the audit page shows a detail's start.
      detail: { why: redactPerson(reason, footprint), person: pseudonymOf(footprint.emails[0] ?? expected, deps.pseudonymKey), counts: footprint.counts },
      ip: input.actor.ip,
    });
    await deps.queue.enqueueIn(tx, [{ name: 'privacy.erase', data: { requestId } }]);
  });
  deps.log.info({ requestId, person: pseudonymOf(footprint.emails[0] ?? expected, deps.pseudonymKey) }, 'erasure requested');
  return { requestId, footprint };
}

/**
 * Works a request as far as it can go: the hub's part once, then every pending helpdesk step.
 * Throws when a helpdesk failed (the job retries; the steps already done stay done).
 */
export async function runErasure(deps: ErasureDeps, requestId: string): Promise<ErasureReport> {
  await eraseHubCopy(deps, requestId);
  await letRunningJobsEnd(deps, requestId);
  const steps = await deps.store.db.selectFrom('privacy_helpdesk_steps').selectAll().where('request_id', '=', requestId).where('state', '=', 'pending').execute();
  const failures: string[] = [];
  for (const step of steps) {
    const helpdesk = deps.helpdesks.get(step.integration_id);
    if (!helpdesk?.erasePerson) {
      failures.push(`${step.integration_id} is not connected any more`);
      await deps.store.db.updateTable('privacy_helpdesk_steps').set({ last_error: 'not connected: configure it again to finish this erasure' }).where('request_id', '=', requestId).where('integration_id', '=', step.integration_id).execute();
      continue;
    }
    try {
      const outcome = await helpdesk.erasePerson(step.person as HelpdeskPerson);
      await deps.store.db
        .updateTable('privacy_helpdesk_steps')
        .set({ state: 'done', person: null, done: JSON.stringify(outcome.done), manual: JSON.stringify(outcome.manual), last_error: null, finished_at: new Date(), attempts: sql`attempts + 1` })
        .where('request_id', '=', requestId)
        .where('integration_id', '=', step.integration_id)
        .execute();
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // Vendor error text can quote the request; keep only its pseudonymous form.
      const kept = message.slice(0, 500).replace(/[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+/g, (address) => pseudonymOf(address, deps.pseudonymKey));
      await deps.store.db
        .updateTable('privacy_helpdesk_steps')
        .set({ last_error: kept, attempts: sql`attempts + 1` })
        .where('request_id', '=', requestId)
        .where('integration_id', '=', step.integration_id)
        .execute();
      failures.push(`${step.integration_id}: ${kept}`);
    }
  }
  if (failures.length > 0) throw new Error(`erasure ${requestId} waits for ${failures.join('; ')}`);
  await finish(deps, requestId);
  return erasureReport(deps.store.db, requestId);
}

/** The hub's part: one transaction, skipped when an earlier run committed it. */
async function eraseHubCopy(deps: ErasureDeps, requestId: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const request = await tx.selectFrom('privacy_requests').selectAll().where('id', '=', requestId).forUpdate().executeTakeFirst();
    if (!request) throw new HubError(404, 'unknown_request', `no erasure request ${requestId}`);
    if (request.state !== 'pending') return;
    const query = JSON.parse(request.subject) as PersonQuery;
    // Found again now, not at request time: what the person wrote since is theirs too. Found
    // nothing: an earlier request already erased them.
    const footprint = await findPerson(tx, query, deps.helpdesks).catch((error: unknown) => {
      if (error instanceof HubError && error.status === 404) return null;
      throw error;
    });
    const manual = footprint ? await escalationCopies(tx, footprint.conversationIds) : [];
    if (footprint) await planHelpdeskSteps(tx, deps.helpdesks, requestId, footprint);
    else await planHelpdeskSteps(tx, deps.helpdesks, requestId, null, query);
    const sweep = footprint ? await deleteFootprint(tx, footprint) : [];
    await tx
      .updateTable('privacy_requests')
      .set({ state: 'helpdesks', hub_erased_at: new Date(), report: JSON.stringify({ removed: footprint?.counts ?? {}, manual, sweep }) })
      .where('id', '=', requestId)
      .execute();
  });
}

/**
 * One step per connected helpdesk, holding who to delete there. Every connected helpdesk is asked,
 * not only those the hub synced to: a customer may have written to the helpdesk's own address.
 */
async function planHelpdeskSteps(tx: Tx, helpdesks: ReadonlyMap<string, HelpdeskCapability>, requestId: string, footprint: Footprint | null, query?: PersonQuery): Promise<void> {
  const synced = footprint
    ? await tx
        .selectFrom('sync_conversations')
        .select(['integration_id', 'conversation_id', 'external_id', 'metadata'])
        .where('conversation_id', 'in', footprint.conversationIds.length > 0 ? footprint.conversationIds : [randomUUID()])
        .where('external_id', 'is not', null)
        .execute()
    : [];
  const emails = footprint
    ? [...footprint.emails, ...footprint.contacts.filter((c) => c.identityKind === 'chat' || c.identityKind === 'chat-visitor').map((c) => helpdeskChatAddress(c.id))]
    : query && 'email' in query
      ? [query.email.trim().toLowerCase()]
      : [];
  for (const [integrationId, helpdesk] of helpdesks) {
    const conversations: ConversationRef[] = synced
      .filter((row) => row.integration_id === integrationId)
      .map((row) => ({ conversationId: row.conversation_id, externalId: row.external_id!, metadata: row.metadata ?? {} }));
    if (emails.length === 0 && conversations.length === 0) continue;
    const person: HelpdeskPerson = { emails, conversations };
    const supported = typeof helpdesk.erasePerson === 'function';
    await tx
      .insertInto('privacy_helpdesk_steps')
      .values({
        request_id: requestId,
        integration_id: integrationId,
        person: supported ? JSON.stringify(person) : null,
        state: supported ? 'pending' : 'unsupported',
        done: '[]',
        manual: JSON.stringify(supported ? [] : ['this integration cannot delete by API: delete the customer there by hand (the address is in the request you received)']),
      })
      .onConflict((oc) => oc.columns(['request_id', 'integration_id']).doNothing())
      .execute();
  }
}

/**
 * Escalation targets the hub wrote the customer's words to: listed with links, for a human. An
 * incident's escalation quotes the first reports with who sent them (engine.ts `describe`), so an
 * incident the person's conversation joined is listed too.
 */
async function escalationCopies(tx: Tx, conversationIds: string[]): Promise<string[]> {
  if (conversationIds.length === 0) return [];
  const rows = await tx
    .selectFrom('escalation_targets as t')
    .innerJoin('escalations as e', 'e.id', 't.escalation_id')
    .select(['t.target', 't.url', 't.external_id', 'e.incident_id'])
    .where((eb) =>
      eb.or([
        eb('e.conversation_id', 'in', conversationIds),
        eb('e.incident_id', 'in', eb.selectFrom('incident_conversations').select('incident_id').where('conversation_id', 'in', conversationIds)),
      ]),
    )
    .where('t.state', '=', 'opened')
    .orderBy('e.opened_at')
    .execute();
  return rows.map(
    (r) =>
      `${r.target}: ${r.url ?? `item ${r.external_id ?? '(no id)'}`} ${r.incident_id ? 'holds the incident the hub escalated, which may quote them' : 'holds what the hub escalated'}; delete or redact it there`,
  );
}

/**
 * Removes every row that is the person's; keeps anonymous acknowledgement counts. Returns the ids
 * a job running at this instant may still write into pg-boss's tables (swept by `finish`).
 */
async function deleteFootprint(tx: Tx, footprint: Footprint): Promise<string[]> {
  const contactIds = footprint.contacts.map((c) => c.id);
  const conversationIds = footprint.conversationIds;
  const conv = sql`ANY(${conversationIds}::uuid[])`;
  const contact = sql`ANY(${contactIds}::uuid[])`;
  const messageIds = (await sql<{ id: string }>`SELECT id FROM messages WHERE conversation_id = ${conv}`.execute(tx)).rows.map((r) => r.id);
  const attachmentIds = (await sql<{ id: string }>`SELECT id FROM attachments WHERE contact_id = ${contact}`.execute(tx)).rows.map((r) => r.id);
  const escalationIds = (await sql<{ id: string }>`SELECT id FROM escalations WHERE conversation_id = ${conv}`.execute(tx)).rows.map((r) => r.id);
  const esc = sql`ANY(${escalationIds}::uuid[])`;
  const everyId = [...contactIds, ...conversationIds, ...messageIds, ...attachmentIds, ...escalationIds];
  // A pull names the helpdesk's conversation, not ours (its singleton key is `<integration>:<external id>`):
  // one running now would fail on the rows that are going and leave their ids in its error.
  const pullKeys = (
    await sql<{ key: string }>`SELECT integration_id || ':' || external_id AS key FROM sync_conversations WHERE conversation_id = ${conv} AND external_id IS NOT NULL`.execute(tx)
  ).rows.map((r) => r.key);
  const jobKeys = [...everyId, ...pullKeys];

  // Acknowledgements: the counts the promise report and ETA history need, under ids naming nothing.
  await sql`
    UPDATE acknowledgements SET conversation_id = gen_random_uuid(), contact_id = gen_random_uuid(), message_id = NULL,
      reason = NULL, promise = NULL, promise_for_agents = NULL, text = NULL
    WHERE conversation_id = ${conv} OR contact_id = ${contact}`.execute(tx);
  const statements = [
    sql`DELETE FROM triage_overrides WHERE conversation_id = ${conv}`,
    sql`DELETE FROM triage_results WHERE conversation_id = ${conv}`,
    sql`DELETE FROM incident_conversations WHERE conversation_id = ${conv}`,
    sql`DELETE FROM escalation_events WHERE escalation_id = ${esc}`,
    sql`DELETE FROM escalation_targets WHERE escalation_id = ${esc}`,
    sql`DELETE FROM escalation_steps WHERE escalation_id = ${esc}`,
    sql`DELETE FROM escalations WHERE id = ${esc}`,
    sql`DELETE FROM helpdesk_notes WHERE conversation_id = ${conv}`,
    sql`DELETE FROM sync_pushed WHERE conversation_id = ${conv}`,
    sql`DELETE FROM sync_conversations WHERE conversation_id = ${conv}`,
    sql`DELETE FROM external_refs WHERE entity_id = ANY(${everyId}::uuid[])`,
    sql`DELETE FROM mail_message_ids WHERE conversation_id = ${conv}`,
    sql`DELETE FROM messages WHERE conversation_id = ${conv}`,
    sql`DELETE FROM conversations WHERE id = ${conv}`,
    sql`DELETE FROM attachments WHERE contact_id = ${contact}`,
    sql`DELETE FROM chat_push_tokens WHERE contact_id = ${contact}`,
    sql`DELETE FROM chat_sessions WHERE contact_id = ${contact}`,
    sql`DELETE FROM incident_banner_views WHERE contact_id = ${contact}`,
    sql`DELETE FROM contacts WHERE id = ${contact}`,
    // Idempotency keys end in the id they guard (`chat.unread-check:<message id>`).
    sql`DELETE FROM job_effects WHERE substring(key from '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}') = ANY(${everyId}::text[])`,
  ];
  for (const statement of statements) await statement.execute(tx);
  await forgetInAuditLog(tx, everyId, footprint);
  await dropJobsNaming(tx, jobKeys, 'waiting');
  return (await runningJobsNaming(tx, jobKeys)) > 0 ? jobKeys : [];
}

/**
 * Audit rows about the person keep who did what and when; their subject and details go (the
 * details of a staff action on a conversation can quote it, e.g. a triage override's reason).
 */
async function forgetInAuditLog(tx: Tx, ids: string[], footprint: Footprint): Promise<void> {
  await sql`UPDATE audit_log SET subject_id = NULL, detail = '{"erased": true}'::jsonb WHERE subject_id = ANY(${ids}::text[])`.execute(tx);
  const needles = [...footprint.emails, ...footprint.names.filter((n) => n.length >= 3)].map((n) => `%${escapeLike(n)}%`);
  if (needles.length > 0) {
    await sql`UPDATE audit_log SET detail = '{"erased": true}'::jsonb WHERE detail::text ILIKE ANY(${needles}::text[])`.execute(tx);
  }
}

/**
 * Jobs that name the person's rows (a push, a delivery, a triage) would only find nothing; their
 * payloads hold the ids, so they go — waiting ones with the hub's copy, finished ones (pg-boss
 * keeps them, then archives them) too. Top-level payload values only: every payload in
 * src/jobs/catalog.ts is flat; and singleton keys, which is how a pull names the helpdesk's
 * conversation (`<integration>:<external id>`). `all` also takes jobs marked running: by then they have had their
 * chance to end (letRunningJobsEnd), and one still "running" is most likely held by a process
 * that died — its retry after expiry would run on rows that no longer exist.
 */
async function dropJobsNaming(tx: Tx, ids: string[], which: 'waiting' | 'all'): Promise<void> {
  if (ids.length === 0 || !(await jobTablesExist(tx))) return;
  const running = which === 'waiting' ? sql`state <> 'active' AND` : sql``;
  await sql`DELETE FROM pgboss.job WHERE ${running} ${naming(ids)}`.execute(tx);
  await sql`DELETE FROM pgboss.archive WHERE ${naming(ids)}`.execute(tx);
}

function naming(ids: string[]) {
  return sql`(singleton_key = ANY(${ids}::text[]) OR CASE WHEN jsonb_typeof(data) = 'object' THEN EXISTS (SELECT 1 FROM jsonb_each_text(data) kv WHERE kv.value = ANY(${ids}::text[])) ELSE false END)`;
}

async function runningJobsNaming(db: Kysely<HubDatabase>, ids: string[]): Promise<number> {
  if (ids.length === 0 || !(await jobTablesExist(db))) return 0;
  return (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE state = 'active' AND ${naming(ids)}`.execute(db)).rows[0]!.n;
}

/** Longest a job running at erase time gets to end before the helpdesks are asked (a push's budget is 15 s). */
const RUNNING_JOBS_GRACE_MS = 20_000;

/**
 * A push that was already talking to the helpdesk when the hub's copy went could still create the
 * person's conversation there; give such jobs their moment to end, so the helpdesk step that
 * follows finds what they wrote. A job held by a process that died never ends: after the grace,
 * go on (finish removes it).
 */
async function letRunningJobsEnd(deps: ErasureDeps, requestId: string): Promise<void> {
  const request = await deps.store.db.selectFrom('privacy_requests').select(['state', 'report']).where('id', '=', requestId).executeTakeFirst();
  const sweep = (request?.report as { sweep?: string[] } | undefined)?.sweep ?? [];
  if (request?.state === 'done' || sweep.length === 0) return;
  const deadline = Date.now() + RUNNING_JOBS_GRACE_MS;
  while ((await runningJobsNaming(deps.store.db, sweep)) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
}

/** A store the hub never started on (a CLI on a fresh directory) has no pg-boss schema yet. */
async function jobTablesExist(db: Kysely<HubDatabase>): Promise<boolean> {
  return (await sql<{ ok: boolean }>`SELECT to_regclass('pgboss.archive') IS NOT NULL AS ok`.execute(db)).rows[0]!.ok;
}

async function finish(deps: ErasureDeps, requestId: string): Promise<void> {
  await deps.store.transaction(async (tx) => {
    const request = await tx.selectFrom('privacy_requests').selectAll().where('id', '=', requestId).forUpdate().executeTakeFirst();
    if (!request || request.state === 'done') return;
    const query = JSON.parse(request.subject) as PersonQuery;
    const handle = confirmationFor(query);
    const { sweep, ...report } = request.report as { sweep?: string[] };
    if (sweep && sweep.length > 0) await dropJobsNaming(tx, sweep, 'all');
    await tx
      .updateTable('privacy_requests')
      .set({ state: 'done', finished_at: new Date(), report: JSON.stringify(report), subject: 'email' in query ? pseudonymOf(handle, deps.pseudonymKey) : `erased ${'chatUser' in query ? 'chat user' : 'helpdesk customer'}` })
      .where('id', '=', requestId)
      .execute();
    await audit(tx, { actor: null, action: 'privacy.erase.done', subject: { kind: 'privacy_request', id: requestId }, detail: { report: await erasureReport(tx, requestId) } });
  });
  deps.log.info({ requestId }, 'erasure finished');
}

export async function erasureReport(db: Kysely<HubDatabase>, requestId: string): Promise<ErasureReport> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(requestId)) throw new HubError(400, 'invalid_request_id', `"${requestId}" is not an erasure request id (a UUID)`);
  const request = await db.selectFrom('privacy_requests').selectAll().where('id', '=', requestId).executeTakeFirst();
  if (!request) throw new HubError(404, 'unknown_request', `no erasure request ${requestId}`);
  const steps = await db.selectFrom('privacy_helpdesk_steps').selectAll().where('request_id', '=', requestId).orderBy('integration_id').execute();
  const report = request.report as { removed?: Partial<FootprintCounts>; manual?: string[] };
  return {
    requestId,
    state: request.state,
    removed: report.removed ?? {},
    helpdesks: steps.map((s) => ({ integration: s.integration_id, state: s.state, done: s.done, manual: s.manual, lastError: s.last_error })),
    manual: [...(report.manual ?? []), ...steps.flatMap((s) => s.manual.map((m) => `${s.integration_id}: ${m}`))],
  };
}

/** A reason typed by staff may name the person ("Lee Park asked by mail"): those words go. */
function redactPerson(text: string, footprint: Footprint): string {
  let out = text;
  for (const needle of [...footprint.emails, ...footprint.names.filter((n) => n.length >= 3)]) {
    out = out.replace(new RegExp(needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), '[the person]');
  }
  return out;
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export { describeQuery };
