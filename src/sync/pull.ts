import { sql } from 'kysely';
import type { Logger } from 'pino';
import { HubError } from '../errors.js';
import type { HelpdeskCapability, HelpdeskThread } from '../capabilities/helpdesk.js';
import type { InboundMessage, IngestResult } from '../conversations/inbound.js';
import type { OutboundReply, ReplyResult } from '../conversations/reply.js';
import type { Store } from '../store/store.js';
import type { IntegrationStates } from './integration-state.js';
import { isVendorError } from '../vendors/error.js';
import { incidentOfProblem } from './problem.js';

export interface PullDeps {
  store: Store;
  log: Logger;
  states: IntegrationStates;
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  importHelpdeskConversations: boolean;
  /** An incident's problem record was found solved at the helpdesk: resolve the hub incident (409 when it is not open is fine). */
  resolveIncident(incidentId: string, by: string): Promise<void>;
  /** Hands a pull on for later (rate budget spent, vendor down) without failing the job; `attempt` counts failures in a row. */
  later(integrationId: string, externalId: string, delayMs: number, attempt?: number): Promise<void>;
}

/** Thrown while a conversation the hub created is not linked to its vendor id yet (its create answer was lost). */
export class NotLinkedYetError extends Error {}

/**
 * Thrown while a push to the conversation has a write in flight (sent, its thread id not recorded
 * yet): a thread the pull cannot place may be that write, so the pull comes back once it is known.
 */
export class WriteInFlightError extends Error {}

/**
 * `sync.pull`: reads one helpdesk conversation back and brings the hub up to date. Webhooks and
 * the reconciliation poll only say "look at this conversation": the vendor's thread list is the
 * truth, so a dropped, duplicated or reordered webhook changes nothing. New public agent replies
 * go to the customer through `reply()` (deduplicated by the vendor's thread id, in thread order);
 * customer threads the helpdesk received itself are stored as inbound messages so triage sees them;
 * a conversation that started in the helpdesk is imported first. Threads the hub wrote (our
 * pushes, our acknowledgements) never echo back.
 */
export function syncPullJob(deps: PullDeps) {
  return async (payload: { integrationId: string; externalId: string; attempt?: number }): Promise<void> => {
    const { integrationId, externalId } = payload;
    const attempt = payload.attempt ?? 0;
    const helpdesk = deps.helpdesks.get(integrationId);
    if (!helpdesk) return;
    // Paused: the reconciliation poll catches up from its cursor once the integration resumes.
    if ((await deps.states.health(integrationId)).status !== 'active') return;
    const started = new Date();
    try {
      await pull(deps, helpdesk, integrationId, externalId);
      await deps.states.succeeded(integrationId);
    } catch (error) {
      if (isVendorError(error) && error.kind === 'auth') {
        await deps.states.authFailed(integrationId, error.message, started);
        return;
      }
      if (isVendorError(error) && error.kind === 'rate_limited') {
        // Parked for the vendor's whole Retry-After (however long), not a worker held or a retry sent early.
        await deps.later(integrationId, externalId, error.retryAfterMs ?? 5000);
        return;
      }
      // The vendor is failing: look again later and later (1 s, 2 s, 4 s … up to 5 minutes, with
      // jitter), so a helpdesk answering 503 is not asked every few seconds for every conversation.
      if (isVendorError(error) && error.kind === 'unavailable') {
        await deps.later(integrationId, externalId, unavailableBackoffMs(attempt), attempt + 1);
        return;
      }
      if (error instanceof NotLinkedYetError) {
        await deps.later(integrationId, externalId, 1000 + Math.random() * 3000);
        return;
      }
      if (error instanceof WriteInFlightError) {
        await deps.later(integrationId, externalId, 500 + Math.random() * 1000);
        return;
      }
      if (isVendorError(error) && error.kind === 'not_found') {
        deps.log.info({ integrationId, externalId }, 'helpdesk conversation no longer exists; nothing to pull');
        return;
      }
      // Our conversation went while this pull read the helpdesk (an erasure): nothing left to bring
      // up to date, and an error naming it must not be kept in the job's output.
      if (error instanceof HubError && error.code === 'conversation_not_found') {
        deps.log.info({ integrationId, externalId }, 'the hub conversation is gone; nothing to pull');
        return;
      }
      throw error;
    }
  };
}

async function pull(deps: PullDeps, helpdesk: HelpdeskCapability, integrationId: string, externalId: string): Promise<void> {
  let link = await linkOf(deps.store, integrationId, externalId);
  if (!link) {
    const problem = helpdesk.problems ? await incidentOfProblem(deps.store, integrationId, externalId) : null;
    if (problem) return pullProblem(deps, helpdesk, integrationId, externalId, problem);
    const info = await helpdesk.conversation(externalId);
    if (!info) return;
    // An incident's problem record whose create answer is not recorded yet: its job records it,
    // and a solve seen now is seen again by the next webhook or poll. Never imported as a conversation.
    if (info.hubIncidentId) return;
    // An external id that is not one of our conversation ids (another tool's ticket) is not ours.
    if (info.hubConversationId && !UUID.test(info.hubConversationId)) info.hubConversationId = null;
    if (info.hubConversationId) {
      const ours = await deps.store.db.selectFrom('conversations').select('id').where('id', '=', info.hubConversationId).executeTakeFirst();
      if (!ours) return; // Another hub's conversation in a shared helpdesk account: not ours to touch.
      // Ours, but its create answer was lost and the pusher has not looked it up yet: try again shortly.
      throw new NotLinkedYetError(`helpdesk conversation ${externalId} belongs to conversation ${info.hubConversationId}, which is not linked yet`);
    }
    if (!deps.importHelpdeskConversations) return;
    link = await importConversation(deps, helpdesk, integrationId, externalId, info);
    if (!link) return;
  }
  // Our own threads are recognised by the ids recorded when we wrote them, whatever the vendor
  // says of their source. While a write is in flight its id is not recorded yet: wait for it
  // (checked before fetching, to spend nothing, and again after, in one read with the known ids).
  if ((await knownThreads(deps.store, integrationId, link.conversationId)).writeInFlight) throw new WriteInFlightError(externalId);
  const threads = await helpdesk.threads(externalId);
  const { ids: known, writeInFlight } = await knownThreads(deps.store, integrationId, link.conversationId);
  const unplaced = threads.some((t) => !t.byHub && !known.has(t.id) && (t.kind === 'customer' || (t.kind === 'agent' && t.public)));
  if (unplaced && writeInFlight) throw new WriteInFlightError(externalId);
  const deliveredBy = link.channel === 'helpdesk' || helpdesk.traits.replyDelivery[link.channel === 'email' ? 'email' : 'chat'] === 'helpdesk' ? 'helpdesk' : 'hub';
  // One at a time, in thread order: each call is deduplicated by the thread id, and awaiting it
  // keeps the customer's copy in the agent's order even when two pulls race.
  for (const thread of threads) {
    if (thread.byHub || known.has(thread.id)) continue;
    if (thread.kind === 'agent' && thread.public) {
      await deps.reply({
        conversationId: link.conversationId,
        source: integrationId,
        sourceMessageId: thread.id,
        authorKind: 'agent',
        authorName: thread.authorName,
        text: thread.text.trim() || '(empty reply)',
        html: thread.html,
        metadata: { helpdesk: integrationId, externalThreadId: thread.id, ...attachmentsNote(thread) },
        deliveredBy,
      });
    } else if (thread.kind === 'customer') {
      await deps.ingest({
        channel: link.channel,
        source: integrationId,
        sourceMessageId: thread.id,
        thread: { conversationId: link.conversationId },
        contact: link.contact,
        subject: null,
        text: thread.text,
        html: thread.html,
        metadata: { helpdesk: integrationId, externalThreadId: thread.id },
        receivedAt: thread.createdAt,
      });
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A hub incident's problem record changed at the helpdesk: when an agent solved it there, the hub
 * incident is resolved — once: the resolve itself is conditional on the incident being open, so a
 * redelivered webhook or the next poll changes nothing, and each customer's follow-up is sent by
 * the resolve's own job (deduplicated per conversation). Our own solve (the hub resolved first)
 * reads the same and finds the incident resolved already.
 */
async function pullProblem(
  deps: PullDeps,
  helpdesk: HelpdeskCapability,
  integrationId: string,
  externalId: string,
  problem: { incidentId: string; solvedAt: Date | null },
): Promise<void> {
  const incident = await deps.store.db.selectFrom('incidents').select('status').where('id', '=', problem.incidentId).executeTakeFirst();
  if (incident?.status !== 'open') return;
  const info = await helpdesk.conversation(externalId);
  if (info?.status !== 'closed') return;
  deps.log.info({ integrationId, externalId, incidentId: problem.incidentId }, 'incident problem solved at the helpdesk; resolving the incident');
  await deps.resolveIncident(problem.incidentId, `${integrationId} (problem ${externalId} solved)`);
}

interface Link {
  conversationId: string;
  channel: 'chat' | 'email' | 'helpdesk';
  contact: InboundMessage['contact'];
}

async function linkOf(store: Store, integrationId: string, externalId: string): Promise<Link | null> {
  const row = await store.db
    .selectFrom('sync_conversations as s')
    .innerJoin('conversations as c', 'c.id', 's.conversation_id')
    .innerJoin('contacts as k', 'k.id', 'c.contact_id')
    .select(['s.conversation_id', 'c.channel', 'k.identity_kind', 'k.identity_key', 'k.email', 'k.name', 'k.verified'])
    .where('s.integration_id', '=', integrationId)
    .where('s.external_id', '=', externalId)
    .executeTakeFirst();
  if (!row) return null;
  return {
    conversationId: row.conversation_id,
    channel: row.channel,
    contact: { identityKind: row.identity_kind, identityKey: row.identity_key, email: row.email, name: row.name, verified: row.verified },
  };
}

/**
 * Thread ids the hub knows for the conversation (written by it, or stored from the vendor), and
 * whether a write is in flight — in one statement, so one snapshot: a write records its thread id
 * and clears `pending_write` in one transaction, so a thread fetched before this read is either
 * known here or its write is still pending.
 */
async function knownThreads(store: Store, integrationId: string, conversationId: string): Promise<{ ids: Set<string>; writeInFlight: boolean }> {
  const result = await sql<{ id: string | null; in_flight: boolean }>`
    SELECT p.thread_id AS id, false AS in_flight FROM sync_pushed p WHERE p.integration_id = ${integrationId} AND p.conversation_id = ${conversationId}
    UNION ALL
    SELECT m.source_message_id, false FROM messages m WHERE m.conversation_id = ${conversationId} AND m.source = ${integrationId}
    UNION ALL
    SELECT NULL, s.pending_write IS NOT NULL FROM sync_conversations s WHERE s.integration_id = ${integrationId} AND s.conversation_id = ${conversationId}`.execute(store.db);
  const ids = new Set(result.rows.map((r) => r.id).filter((id): id is string => id !== null));
  return { ids, writeInFlight: result.rows.some((r) => r.in_flight) };
}

/** A conversation that started in the helpdesk (mail sent straight to it): stored as ours so triage covers it. */
async function importConversation(
  deps: PullDeps,
  helpdesk: HelpdeskCapability,
  integrationId: string,
  externalId: string,
  info: NonNullable<Awaited<ReturnType<HelpdeskCapability['conversation']>>>,
): Promise<Link | null> {
  const email = info.customer.email?.trim().toLowerCase();
  if (!email) {
    deps.log.info({ integrationId, externalId }, 'helpdesk conversation without a customer email; not imported');
    return null;
  }
  const threads = await helpdesk.threads(externalId);
  const first = threads.find((t: HelpdeskThread) => t.kind === 'customer');
  if (!first) return null;
  // The helpdesk's customer email is a claim the hub did not check: unverified, unless the helpdesk
  // itself says it verified that address (ARCHITECTURE §7).
  const contact = { identityKind: 'email', identityKey: email, email, name: info.customer.name, verified: info.customer.verified === true };
  const result = await deps.ingest({
    channel: 'helpdesk',
    source: integrationId,
    sourceMessageId: first.id,
    thread: { key: externalId },
    contact,
    subject: info.subject,
    text: first.text,
    html: first.html,
    metadata: { helpdesk: integrationId, externalThreadId: first.id },
    receivedAt: first.createdAt,
  });
  await deps.store.db
    .insertInto('sync_conversations')
    .values({ integration_id: integrationId, conversation_id: result.conversation.id, external_id: externalId, dirty: false })
    // The push queued by the ingest may have created the row first, without the vendor id.
    .onConflict((oc) => oc.columns(['integration_id', 'conversation_id']).doUpdateSet({ external_id: sql`COALESCE(sync_conversations.external_id, excluded.external_id)` }))
    .execute();
  if (result.newConversation) deps.log.info({ integrationId, externalId, conversationId: result.conversation.id }, 'imported a conversation that started in the helpdesk');
  return { conversationId: result.conversation.id, channel: 'helpdesk', contact };
}

function attachmentsNote(thread: HelpdeskThread): Record<string, unknown> {
  return thread.attachments.length > 0 ? { attachments: thread.attachments } : {};
}

/** Backoff after `attempt` unavailable answers in a row: 1 s doubling to 5 minutes, full jitter above half. */
export function unavailableBackoffMs(attempt: number): number {
  const ceiling = Math.min(300_000, 1000 * 2 ** Math.min(attempt, 20));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
