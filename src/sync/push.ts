import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ConversationRef, HelpdeskCapability, HelpdeskTraits, HelpdeskWrite, IncidentLink, SyncedAttachment, SyncedMessage, WriteOutcome } from '../capabilities/helpdesk.js';
import type { JobContext, JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { AttachmentRef, PendingWrite } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { IntegrationStates } from './integration-state.js';
import { deviceFacts } from '../conversations/device-facts.js';
import { SyncLease, LeaseLostError, type RecordedFacts } from './lease.js';
import { isVendorError } from '../vendors/error.js';
import { attachmentBytesRemoved, attachmentRemoved } from '../privacy/retention/removed-attachment.js';
import { problemRequest } from './problem.js';
import { rateLimitedToRetry, RetryLater } from './retry-later.js';

/**
 * `sync.push`: brings one conversation up to date at its helpdesk. Under a lease (one pusher per
 * conversation across all processes) it pushes, in message order, what is not yet there: the
 * conversation itself first (created with the messages waiting), then customer messages (a run
 * of them combined into one thread), the hub's own messages (acknowledgements) as notes or, in
 * conversations that started in the helpdesk, as public replies, and finally the triage call.
 *
 * Exactly once at the vendor: every write is recorded as `pending_write` before it is sent and
 * cleared with its outcome after. A write whose outcome is unknown (timeout, reset, 5xx) is looked
 * up at the vendor (`findWrite`) before anything else happens; a lost create is looked up by our
 * id, and not re-created until the vendor's search lag has passed.
 */
export interface PushDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  states: IntegrationStates;
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  processTag: string;
  /** Longest one job works before handing on to a fresh one. */
  budgetMs: number;
  /** Vendor calls of one run are cut off after this (below the job's expiry). */
  runDeadlineMs?: number;
  /** Link for an attachment too large for the vendor (null: no public URL configured). */
  attachmentUrl(id: string): string | null;
  /** The dashboard page of a hub incident, for the note that links a conversation to it (null without a public URL). */
  incidentUrl?(incidentId: string): string | null;
  /** The helpdesk a conversation routes to (a push for any other is ignored). */
  helpdeskFor(conversation: { channel: 'chat' | 'email' | 'helpdesk'; source: string }): string | null;
  clock?: () => number;
}

interface PendingMessage {
  id: string;
  position: number;
  direction: 'inbound' | 'outbound';
  author_kind: 'customer' | 'agent' | 'system';
  text: string;
  html: string | null;
  attachments: AttachmentRef[];
  created_at: Date;
}

interface ConversationFacts {
  contactId: string;
  channel: 'chat' | 'email' | 'helpdesk';
  source: string;
  subject: string | null;
  email: string | null;
  name: string | null;
  verified: boolean;
}

export function syncPushJob(deps: PushDeps) {
  const clock = deps.clock ?? Date.now;
  return async (payload: { integrationId: string; conversationId: string }, context: JobContext): Promise<void> => {
    const { integrationId, conversationId } = payload;
    const helpdesk = deps.helpdesks.get(integrationId);
    if (!helpdesk) {
      deps.log.warn({ integrationId, conversationId }, 'sync job for a helpdesk that is not configured; dropping it');
      return;
    }
    // Route first, before anything is written: a conversation syncs to exactly one helpdesk
    // (ARCHITECTURE §6), and the triage hook queues a push for every enabled one. A push for any
    // other takes no lease and marks nothing dirty, so `sync_conversations` names only the
    // helpdesk that holds (or will hold) the conversation; the dashboard reads it as such. (Taking
    // the lease first also made such a push find "work pending" for a helpdesk that will never
    // take it, and re-queue itself without end.)
    const facts = await conversationFacts(deps.store, conversationId);
    if (!facts || deps.helpdeskFor(facts) !== integrationId) {
      await forgetUnrouted(deps.store, integrationId, conversationId);
      return;
    }
    const health = await deps.states.health(integrationId);
    if (health.status !== 'active') {
      // Parked, not burned: the conversation stays dirty and is pushed when the integration resumes.
      await markDirty(deps.store, integrationId, conversationId);
      return;
    }
    // Unique per execution, not per job: pg-boss may start a second run of a job it thinks has
    // expired while the first still runs, and the two must not share a lease.
    const owner = `${deps.processTag}:${context.jobId}:${randomUUID().slice(0, 8)}`;
    // Vendor calls stop before the job's expiry, so a run never outlives it (an interrupted write
    // stays pending and is looked up by the next run).
    const lease = new SyncLease(deps.store, integrationId, conversationId, owner, deps.log, deps.runDeadlineMs ?? 25_000);
    const started = clock();
    // Acquire, work, release, and look once more: a message committed while we held the lease
    // found it busy and left the work to us.
    for (let round = 0; round < 3; round++) {
      if (!(await lease.acquire())) return;
      try {
        const outcome = await pushWhileLeased(deps, helpdesk, lease, facts, integrationId, conversationId, started, clock);
        if (outcome === 'more') {
          await lease.release({ dirty: true });
          await deps.queue.enqueue([pushRequest(integrationId, conversationId)]);
          return;
        }
      } catch (error) {
        if (error instanceof LeaseLostError) return;
        // The run's deadline cut a vendor call short: hand on to a fresh run at once.
        const cutShort = !(error instanceof RetryLater) && lease.signal.aborted;
        if (error instanceof RetryLater || cutShort) {
          const delayMs = error instanceof RetryLater ? error.delayMs : 500;
          const reason = error instanceof Error ? error.message : String(error);
          await lease.release({ dirty: true, error: reason });
          await deps.queue.enqueue([{ ...pushRequest(integrationId, conversationId), startAfter: new Date(clock() + delayMs) }]);
          return;
        }
        if (isVendorError(error) && error.kind === 'auth') {
          await lease.release({ dirty: true, error: error.message });
          const paused = await deps.states.authFailed(integrationId, error.message, new Date(started));
          // The first failure may be a token that just expired: one more try soon. Two in a row
          // pause the integration; the reconciler resumes it when a connection check passes.
          if (!paused) await deps.queue.enqueue([{ ...pushRequest(integrationId, conversationId), startAfter: new Date(clock() + 2000) }]);
          return;
        }
        await lease.release({ dirty: true, error: describe(error) });
        throw error;
      }
      await lease.release({ dirty: false });
      if (!(await hasPending(deps.store, integrationId, conversationId, helpdesk.traits.incidentLinks))) return;
    }
    await deps.queue.enqueue([pushRequest(integrationId, conversationId)]);
  };
}

/**
 * One queued push per conversation and helpdesk (the queue's `short` policy drops a second one
 * while the first waits). `startAfter` opens a coalescing window: what arrives before it starts
 * joins the same push, and so the same write.
 */
export function pushRequest(integrationId: string, conversationId: string, startAfter?: Date): JobRequest {
  return { name: 'sync.push', data: { integrationId, conversationId }, singletonKey: `${integrationId}:${conversationId}`, ...(startAfter ? { startAfter } : {}) };
}

async function pushWhileLeased(
  deps: PushDeps,
  helpdesk: HelpdeskCapability,
  lease: SyncLease,
  facts: ConversationFacts,
  integrationId: string,
  conversationId: string,
  started: number,
  clock: () => number,
): Promise<'done' | 'more'> {
  for (;;) {
    if (clock() - started > deps.budgetMs) return 'more';
    // The lease's own timer keeps it renewed; reading the state checks we still hold it (every
    // write after is fenced by the owner too), so a round costs no separate renewal.
    const state = await lease.state();
    if (state.pending_write) {
      await resolvePending(deps, helpdesk, lease, state.pending_write, state.external_id, state.metadata, facts, conversationId, clock);
      continue;
    }
    const pending = await pendingMessages(deps.store, integrationId, conversationId, helpdesk.traits.maxMessagesPerWrite);
    const ref = state.external_id ? { conversationId, externalId: state.external_id, metadata: state.metadata } : null;
    const next = nextWrite(pending, facts, ref, conversationId, helpdesk, deps);
    if (next) {
      await perform(deps, helpdesk, lease, next.op, next.pending, conversationId);
      continue;
    }
    if (!ref) return 'done';
    const device = facts.channel === 'chat' ? await deviceNoteToPush(deps.store, integrationId, conversationId) : null;
    if (device) {
      const op: HelpdeskWrite = { kind: 'note', ref, key: device.key, text: device.text };
      await perform(deps, helpdesk, lease, op, { kind: 'note', items: [device.key], startedAt: new Date(clock()).toISOString(), text: device.text }, conversationId);
      continue;
    }
    const note = await helpdeskNoteToPush(deps.store, integrationId, conversationId);
    if (note) {
      const op: HelpdeskWrite = { kind: 'note', ref, key: note.key, text: note.text };
      await perform(deps, helpdesk, lease, op, { kind: 'note', items: [note.key], startedAt: new Date(clock()).toISOString(), text: note.text }, conversationId);
      continue;
    }
    const triage = await triageToPush(deps.store, conversationId, state.triage_pushed);
    if (triage) {
      const op: HelpdeskWrite = { kind: 'triage', ref, key: `triage:${conversationId}:${triage.level}`, level: triage.level, tags: [`urgency-${triage.level}`], note: triage.note };
      await perform(deps, helpdesk, lease, op, { kind: 'triage', items: [op.key], startedAt: new Date(clock()).toISOString(), text: op.note }, conversationId, { triageLevel: triage.level });
      continue;
    }
    if (!helpdesk.traits.incidentLinks) return 'done';
    const incident = await incidentToPush(deps, helpdesk, integrationId, conversationId, state.incident_pushed);
    if (!incident) return 'done';
    const op: HelpdeskWrite = { kind: 'incident', ref, key: incident.key, incident: incident.link, note: incident.note };
    await perform(deps, helpdesk, lease, op, { kind: 'incident', items: [op.key], startedAt: new Date(clock()).toISOString(), ...(incident.note ? { text: incident.note } : {}) }, conversationId, {
      incidentPushed: incident.link?.id ?? null,
    });
  }
}

/** The next write for the waiting messages, oldest first; null when none is waiting or possible yet. */
function nextWrite(
  pending: PendingMessage[],
  facts: ConversationFacts,
  ref: ConversationRef | null,
  conversationId: string,
  helpdesk: HelpdeskCapability,
  deps: PushDeps,
): { op: HelpdeskWrite; pending: PendingWrite } | null {
  if (pending.length === 0) return null;
  const startedAt = new Date().toISOString();
  const first = pending[0]!;
  if (first.direction === 'outbound') {
    if (!ref) return null; // A note needs the conversation; it is created by the customer's message first.
    const key = first.id;
    const op: HelpdeskWrite =
      facts.channel === 'helpdesk'
        ? { kind: 'reply', ref, key, text: first.text }
        : { kind: 'note', ref, key, text: `Sent to the customer by Support Hub:\n\n${first.text}` };
    return { op, pending: { kind: op.kind, items: [first.id], startedAt } };
  }
  // A run of customer messages, combined into one write.
  const run: PendingMessage[] = [];
  for (const message of pending) {
    if (message.direction !== 'inbound' || run.length >= helpdesk.traits.maxMessagesPerWrite) break;
    run.push(message);
  }
  const messages = run.map((m) => syncedMessage(m, deps));
  const channel = facts.channel === 'email' ? 'email' : 'chat';
  const customer = { email: facts.email, name: facts.name, verified: facts.verified, contactId: facts.contactId };
  if (!ref) {
    const tags = [`hub-${channel}`, ...(facts.verified ? [] : ['unverified-sender'])];
    return { op: { kind: 'create', conversationId, channel, subject: facts.subject, customer, messages, tags }, pending: { kind: 'create', items: run.map((m) => m.id), startedAt } };
  }
  return { op: { kind: 'append', ref, channel, customer, messages }, pending: { kind: 'append', items: run.map((m) => m.id), startedAt } };
}

/** Records the intent, sends the write, records the outcome. */
async function perform(
  deps: PushDeps,
  helpdesk: HelpdeskCapability,
  lease: SyncLease,
  op: HelpdeskWrite,
  pending: PendingWrite,
  conversationId: string,
  facts?: RecordedFacts,
): Promise<void> {
  await lease.setPending(pending);
  let outcome: WriteOutcome;
  try {
    outcome = await helpdesk.write(op, lease.signal);
  } catch (error) {
    if (error instanceof LeaseLostError) throw error;
    if (!isVendorError(error) || error.outcomeUnknown) {
      // It may have landed (no answer, a 5xx, or the run's deadline cut it short): keep the
      // pending write; the next round looks it up before anything is sent again. The request may
      // have left only just now (after waiting for the rate budget, or slowly), so the vendor's
      // search lag is counted from now, not from when the write was planned: a lookup sooner
      // could miss a create that landed and send it twice.
      deps.log.warn({ conversationId, op: op.kind, err: (error as Error).message }, 'helpdesk write outcome unknown; will look it up');
      await lease.setPending({ ...pending, startedAt: new Date().toISOString() });
      throw new RetryLater(1000, (error as Error).message);
    }
    // A definite answer (refused, not found, rate limited before sending): nothing landed.
    await lease.setPending(null);
    throw rateLimitedToRetry(error);
  }
  await deps.states.succeeded(lease.integrationId);
  await lease.recordOutcome(pending, outcome, facts);
}

/** A write was sent but its answer never came: find what landed before anything else is sent. */
async function resolvePending(
  deps: PushDeps,
  helpdesk: HelpdeskCapability,
  lease: SyncLease,
  pending: PendingWrite,
  externalId: string | null,
  metadata: Record<string, unknown>,
  facts: ConversationFacts,
  conversationId: string,
  clock: () => number,
): Promise<void> {
  const op = await rebuild(deps, lease.integrationId, pending, externalId, metadata, facts, conversationId);
  if (!op) {
    // Nothing left to look for (the items were recorded meanwhile); clear and carry on.
    await lease.setPending(null);
    return;
  }
  const known = await lease.knownThreadIds();
  let found: WriteOutcome | null;
  try {
    found = await helpdesk.findWrite(op, known, lease.signal);
  } catch (error) {
    throw rateLimitedToRetry(error);
  }
  await deps.states.succeeded(lease.integrationId);
  if (found) {
    deps.log.info({ conversationId, op: op.kind }, 'a write whose answer was lost had landed; recorded it');
    const recorded: RecordedFacts = op.kind === 'triage' ? { triageLevel: op.level } : op.kind === 'incident' ? { incidentPushed: op.incident?.id ?? null } : {};
    await lease.recordOutcome(pending, found, recorded);
    return;
  }
  const age = clock() - Date.parse(pending.startedAt);
  if (op.kind === 'create' && age < helpdesk.traits.searchLagMs) {
    // The vendor's search may not show it yet: wait out its lag rather than create it twice.
    throw new RetryLater(Math.min(helpdesk.traits.searchLagMs - age + 500, 60_000), 'create outcome unknown; waiting for the vendor search to catch up');
  }
  // It did not land: forget the intent; the next round sends it again.
  await lease.setPending(null);
}

/** The same write as the one recorded as pending (writes are deterministic in their inputs). */
async function rebuild(
  deps: PushDeps,
  integrationId: string,
  pending: PendingWrite,
  externalId: string | null,
  metadata: Record<string, unknown>,
  facts: ConversationFacts,
  conversationId: string,
): Promise<HelpdeskWrite | null> {
  const ref = externalId ? { conversationId, externalId, metadata } : null;
  const channel = facts.channel === 'email' ? 'email' : 'chat';
  const customer = { email: facts.email, name: facts.name, verified: facts.verified, contactId: facts.contactId };
  if (pending.kind === 'note' && pending.text !== undefined) return ref ? { kind: 'note', ref, key: pending.items[0]!, text: pending.text } : null;
  if (pending.kind === 'incident') {
    if (!ref) return null;
    // The key names the incident (or none); its number and title are read again, the note is as sent.
    const incidentId = pending.items[0]!.split(':').at(-1)!;
    const link = incidentId === 'none' ? null : await incidentLink(deps, integrationId, incidentId);
    if (incidentId !== 'none' && !link) return null;
    return { kind: 'incident', ref, key: pending.items[0]!, incident: link, note: pending.text ?? null };
  }
  if (pending.kind === 'triage') {
    if (!ref) return null;
    const level = pending.items[0]!.split(':').at(-1) as 'urgent' | 'high' | 'normal' | 'low';
    const note = pending.text ?? (await triageNote(deps.store, conversationId))?.note ?? `Urgency: ${level}`;
    return { kind: 'triage', ref, key: pending.items[0]!, level, tags: [`urgency-${level}`], note };
  }
  const rows = await deps.store.db
    .selectFrom('messages')
    .select(['id', 'position', 'direction', 'author_kind', 'text', 'html', 'attachments', 'created_at'])
    .where('id', 'in', pending.items)
    .orderBy('position')
    .execute();
  if (rows.length !== pending.items.length) return null;
  const messages = (rows as unknown as PendingMessage[]).map((m) => syncedMessage(m, deps));
  switch (pending.kind) {
    case 'create':
      return { kind: 'create', conversationId, channel, subject: facts.subject, customer, messages, tags: [`hub-${channel}`, ...(facts.verified ? [] : ['unverified-sender'])] };
    case 'append':
      return ref ? { kind: 'append', ref, channel, customer, messages } : null;
    case 'note':
      return ref ? { kind: 'note', ref, key: rows[0]!.id, text: `Sent to the customer by Support Hub:\n\n${rows[0]!.text}` } : null;
    case 'reply':
      return ref ? { kind: 'reply', ref, key: rows[0]!.id, text: rows[0]!.text } : null;
  }
}

function syncedMessage(m: PendingMessage, deps: PushDeps): SyncedMessage {
  return {
    messageId: m.id,
    text: m.text,
    html: m.html,
    createdAt: new Date(m.created_at),
    attachments: (m.attachments ?? []).map((a): SyncedAttachment => ({
      filename: a.filename,
      contentType: a.contentType,
      size: a.size,
      url: deps.attachmentUrl(a.id),
      load: async () => {
        const row = await deps.store.db.selectFrom('attachments').select(['size', 'content']).where('id', '=', a.id).executeTakeFirst();
        if (!row) throw new Error(`attachment ${a.id} is gone`);
        // Never upload the empty stand-in for bytes retention removed as if it were the file.
        if (attachmentBytesRemoved(row)) throw attachmentRemoved(a.id);
        return row.content;
      },
    })),
  };
}

async function conversationFacts(store: Store, conversationId: string): Promise<ConversationFacts | null> {
  const row = await store.db
    .selectFrom('conversations as c')
    .innerJoin('contacts as k', 'k.id', 'c.contact_id')
    .select(['k.id as contactId', 'c.channel', 'c.source', 'c.subject', 'k.email', 'k.name', 'k.verified'])
    .where('c.id', '=', conversationId)
    .executeTakeFirst();
  return row ?? null;
}

/** Messages that go to the helpdesk and are not there yet: the customer's, and the hub's own (acknowledgements). */
function pendingQuery(store: Store, integrationId: string, conversationId: string) {
  return sql`
    FROM messages m
    WHERE m.conversation_id = ${conversationId}
      AND ((m.direction = 'inbound' AND m.source <> ${integrationId}) OR (m.direction = 'outbound' AND m.author_kind = 'system'))
      AND NOT EXISTS (SELECT 1 FROM sync_pushed p WHERE p.integration_id = ${integrationId} AND p.item_id = m.id::text)`;
}

async function pendingMessages(store: Store, integrationId: string, conversationId: string, limit: number): Promise<PendingMessage[]> {
  const result = await sql<PendingMessage>`
    SELECT m.id, m.position, m.direction, m.author_kind, m.text, m.html, m.attachments, m.created_at
    ${pendingQuery(store, integrationId, conversationId)}
    ORDER BY m.position LIMIT ${limit}`.execute(store.db);
  return result.rows;
}

/**
 * Whether anything is left to push (messages, a triage call or an incident link not yet at the
 * vendor). With `problem` links, an incident whose problem record is not made yet is not pending
 * here: the record's job queues this push again once it exists (problem.ts).
 */
export async function hasPending(store: Store, integrationId: string, conversationId: string, incidentLinks?: HelpdeskTraits['incidentLinks']): Promise<boolean> {
  const problemMade =
    incidentLinks === 'problem'
      ? sql`AND (m.incident_id IS NULL OR EXISTS (SELECT 1 FROM sync_problems p WHERE p.integration_id = ${integrationId} AND p.incident_id = m.incident_id AND p.external_id IS NOT NULL))`
      : sql``;
  const incidentMoved = incidentLinks
    ? sql`OR EXISTS (
        SELECT 1 FROM sync_conversations s LEFT JOIN incident_conversations m ON m.conversation_id = s.conversation_id
        WHERE s.integration_id = ${integrationId} AND s.conversation_id = ${conversationId} AND s.external_id IS NOT NULL
          AND m.incident_id IS DISTINCT FROM s.incident_pushed ${problemMade}
      )`
    : sql``;
  const result = await sql<{ pending: boolean }>`
    SELECT (EXISTS (SELECT 1 ${pendingQuery(store, integrationId, conversationId)})
      ${incidentMoved}
      OR EXISTS (
        SELECT 1 FROM triage_results t JOIN sync_conversations s ON s.conversation_id = t.conversation_id AND s.integration_id = ${integrationId}
        WHERE t.conversation_id = ${conversationId} AND s.external_id IS NOT NULL
          AND COALESCE((SELECT o.to_level FROM triage_overrides o WHERE o.conversation_id = t.conversation_id ORDER BY o.seq DESC LIMIT 1), t.level)
            IS DISTINCT FROM s.triage_pushed
      )) AS pending`.execute(store.db);
  return result.rows[0]?.pending === true;
}

async function triageToPush(store: Store, conversationId: string, pushed: string | null) {
  const triage = await triageNote(store, conversationId);
  if (!triage || triage.level === pushed) return null;
  return triage;
}

/** The urgency agents should see: a staff re-classification (the dashboard) over the classifier's call. */
async function triageNote(store: Store, conversationId: string) {
  const [row, override] = await Promise.all([
    store.db.selectFrom('triage_results').select(['level', 'score', 'confidence', 'evidence']).where('conversation_id', '=', conversationId).executeTakeFirst(),
    store.db.selectFrom('triage_overrides').select(['to_level', 'reason', 'staff_email']).where('conversation_id', '=', conversationId).orderBy('seq', 'desc').executeTakeFirst(),
  ]);
  if (!row) return null;
  const evidence = (row.evidence as { phrase: string; category: string; weight: number }[]).slice(0, 8);
  const why = evidence.length > 0 ? evidence.map((e) => `• "${e.phrase}" (${e.category}, ${e.weight > 0 ? '+' : ''}${e.weight})`).join('\n') : '• no urgency signals found';
  const call = `${row.level.toUpperCase()} (score ${Number(row.score).toFixed(1)}, ${row.confidence} confidence)`;
  if (override) {
    const note = `Support Hub triage: ${override.to_level.toUpperCase()}, set by ${override.staff_email}: ${override.reason}\nThe classifier had said ${call}\n${why}`;
    return { level: override.to_level, note };
  }
  return { level: row.level, note: `Support Hub triage: ${call}\n${why}` };
}

/** The device the customer wrote from (chat SDK), as a private note once per conversation. */
async function deviceNoteToPush(store: Store, integrationId: string, conversationId: string): Promise<{ key: string; text: string } | null> {
  const key = `device:${conversationId}`;
  const row = await sql<{ device: Record<string, unknown> | null }>`
    SELECT m.metadata -> 'device' AS device FROM messages m
    WHERE m.conversation_id = ${conversationId} AND m.direction = 'inbound'
      AND NOT EXISTS (SELECT 1 FROM sync_pushed p WHERE p.integration_id = ${integrationId} AND p.item_id = ${key})
    ORDER BY m.position LIMIT 1`.execute(store.db);
  const device = row.rows[0]?.device;
  if (!device || typeof device !== 'object') return null;
  const lines = deviceFacts(device).map(({ label, value }) => `${label}: ${value}`);
  if (lines.length === 0) return null;
  return { key, text: `Customer's device (from the in-app chat):\n${lines.join('\n')}` };
}

/** The oldest hub note for agents (src/triage/helpdesk-notes.ts) not yet at this helpdesk. */
async function helpdeskNoteToPush(store: Store, integrationId: string, conversationId: string): Promise<{ key: string; text: string } | null> {
  const row = await sql<{ key: string; text: string }>`
    SELECT n.key, n.text FROM helpdesk_notes n
    WHERE n.conversation_id = ${conversationId}
      AND NOT EXISTS (SELECT 1 FROM sync_pushed p WHERE p.integration_id = ${integrationId} AND p.item_id = n.key)
    ORDER BY n.created_at LIMIT 1`.execute(store.db);
  return row.rows[0] ?? null;
}

/**
 * The incident this conversation should be shown in at the helpdesk, when that differs from what
 * it shows: its incident now (after merges and splits, wherever it was moved), or none. The note
 * for agents goes once per conversation and incident, so a conversation split off and merged back
 * is re-tagged without a second note.
 */
async function incidentToPush(
  deps: PushDeps,
  helpdesk: HelpdeskCapability,
  integrationId: string,
  conversationId: string,
  pushed: string | null,
): Promise<{ key: string; link: IncidentLink | null; note: string | null } | null> {
  const member = await deps.store.db.selectFrom('incident_conversations').select('incident_id').where('conversation_id', '=', conversationId).executeTakeFirst();
  const wanted = member?.incident_id ?? null;
  if (wanted === pushed) return null;
  if (!wanted) return { key: `incident:${conversationId}:none`, link: null, note: null };
  const link = await incidentLink(deps, integrationId, wanted);
  if (!link) return null;
  if (helpdesk.traits.incidentLinks === 'problem' && !link.problemId) {
    // Linked to the incident's problem record, which is made first: its job queues this push
    // again once it exists (a singleton: thirty reports ask for it once).
    await deps.queue.enqueue([problemRequest(integrationId, wanted)]);
    deps.log.debug({ integrationId, conversationId, incidentId: wanted }, 'incident link waits for the incident problem record');
    return null;
  }
  const key = `incident:${conversationId}:${wanted}`;
  const noted = await deps.store.db.selectFrom('sync_pushed').select('item_id').where('integration_id', '=', integrationId).where('item_id', '=', key).executeTakeFirst();
  return { key, link, note: noted ? null : incidentNote(link) };
}

async function incidentLink(deps: PushDeps, integrationId: string, incidentId: string): Promise<IncidentLink | null> {
  const row = await deps.store.db
    .selectFrom('incidents as i')
    .leftJoin('sync_problems as p', (join) => join.onRef('p.incident_id', '=', 'i.id').on('p.integration_id', '=', integrationId))
    .select(['i.id', 'i.number', 'i.title', 'p.external_id as problem_id'])
    .where('i.id', '=', incidentId)
    .executeTakeFirst();
  if (!row) return null;
  return { id: row.id, number: row.number, title: row.title, url: deps.incidentUrl?.(row.id) ?? null, ...(row.problem_id ? { problemId: row.problem_id } : {}) };
}

function incidentNote(link: IncidentLink): string {
  const where = link.url ? `the incident's page on Support Hub: ${link.url}` : "the incident's page on the Support Hub dashboard";
  return `Support Hub: this conversation is part of incident #${link.number}, ${link.title}. Every affected customer is told about it from ${where} (updates, and the follow-up when it is resolved there); reply here only for what is this customer's own.`;
}

/**
 * Older versions left a lease row (dirty while the helpdesk was paused) for every helpdesk a
 * triage push reached. One that holds nothing there (no id, no write in flight, no live lease) is
 * removed, or the reconciler would re-queue it each round. A row with an id stays: the conversation
 * is at that helpdesk (routes changed since), which is a fact the dashboard and pulls rely on.
 */
async function forgetUnrouted(store: Store, integrationId: string, conversationId: string): Promise<void> {
  await sql`
    DELETE FROM sync_conversations
    WHERE integration_id = ${integrationId} AND conversation_id = ${conversationId}
      AND external_id IS NULL AND pending_write IS NULL AND (lease_until IS NULL OR lease_until < now())`.execute(store.db);
}

async function markDirty(store: Store, integrationId: string, conversationId: string): Promise<void> {
  await sql`
    INSERT INTO sync_conversations (integration_id, conversation_id, dirty) VALUES (${integrationId}, ${conversationId}, true)
    ON CONFLICT (integration_id, conversation_id) DO UPDATE SET dirty = true, updated_at = now()`.execute(store.db);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
}
