import express, { Router } from 'express';
import type { Logger } from 'pino';
import type { HelpdeskCapability, HelpdeskWebhookEvent } from '../capabilities/helpdesk.js';
import { notFound } from '../errors.js';
import { rawRequestOf, verifiedWebhook } from '../http/webhook-request.js';
import type { JobRequest } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Kysely } from 'kysely';
import type { HubDatabase } from '../store/schema.js';
import type { Store } from '../store/store.js';

export interface WebhookDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  helpdesks: ReadonlyMap<string, HelpdeskCapability>;
  maxBodyBytes: number;
  onReceived?(integrationId: string, outcome: 'accepted' | 'duplicate' | 'rejected'): void;
}

/** Which of these vendor thread ids the hub recorded (written by it, or stored from the vendor). */
async function knownThreadIds(db: Kysely<HubDatabase>, integrationId: string, threadIds: string[]): Promise<Set<string>> {
  if (threadIds.length === 0) return new Set();
  const ids = [...new Set(threadIds)].slice(0, 200);
  const [pushed, stored] = await Promise.all([
    db.selectFrom('sync_pushed').select('thread_id').where('integration_id', '=', integrationId).where('thread_id', 'in', ids).execute(),
    db.selectFrom('messages').select('source_message_id').where('source', '=', integrationId).where('source_message_id', 'in', ids).execute(),
  ]);
  return new Set([...pushed.map((r) => r.thread_id).filter((id): id is string => id !== null), ...stored.map((r) => r.source_message_id)]);
}

export function pullRequest(integrationId: string, externalId: string, attempt?: number): JobRequest {
  return { name: 'sync.pull', data: { integrationId, externalId, ...(attempt ? { attempt } : {}) }, singletonKey: `${integrationId}:${externalId}` };
}

/**
 * `POST /webhooks/{integration id}` for helpdesks (ARCHITECTURE §7). The signature is checked over
 * the exact bytes before anything is parsed; a redelivery (same delivery id) is answered 200 and
 * ignored. Accepting a webhook only records it and queues a pull of the conversation, in one
 * transaction, so the answer is fast (vendors drop webhooks that time out) and nothing accepted is
 * lost; the pull reads the vendor's own state, so order and duplicates of webhooks do not matter.
 */
export function helpdeskWebhookRouter(deps: WebhookDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.maxBodyBytes });
  router.post('/webhooks/:integrationId', raw, async (req, res) => {
    const integrationId = String(req.params['integrationId']);
    const helpdesk = deps.helpdesks.get(integrationId);
    if (!helpdesk) throw notFound(`no helpdesk integration "${integrationId}" is configured`, 'unknown_integration');
    const raw = rawRequestOf(req);
    if (helpdesk.isTestDelivery && !helpdesk.verifyWebhook(raw).ok && helpdesk.isTestDelivery(raw)) {
      // The admin's "Test webhook" button: the URL works; nothing is recorded or pulled.
      res.status(200).json({ test: true, status: 'test delivery: reachable, nothing was done' });
      return;
    }
    const parsed = verifiedWebhook(
      raw,
      { verify: (r) => helpdesk.verifyWebhook(r), parse: (r) => helpdesk.parseWebhook(r) },
      () => deps.onReceived?.(integrationId, 'rejected'),
    );
    const accepted = await deps.store.transaction(async (tx) => {
      const fresh = await tx
        .insertInto('deliveries')
        .values({ source: `webhook:${integrationId}`, delivery_id: parsed.deliveryId.slice(0, 500) })
        .onConflict((oc) => oc.columns(['source', 'delivery_id']).doNothing())
        .returning('delivery_id')
        .execute();
      if (fresh.length === 0) return false;
      for (const event of parsed.events) {
        if (event.kind !== 'status.changed' || !event.status) continue;
        // Status is the vendor's to decide; record it on the linked conversation (unknown ones are ignored).
        await tx
          .updateTable('conversations')
          .set({ status: event.status, updated_at: new Date() })
          .where('id', 'in', tx.selectFrom('sync_conversations').select('conversation_id').where('integration_id', '=', integrationId).where('external_id', '=', event.externalId))
          .execute();
      }
      const wanted = parsed.events.filter((e) => e.kind !== 'other' && !e.byHub);
      const known = await knownThreadIds(tx, integrationId, wanted.flatMap((e) => e.threadIds ?? []));
      // An event naming only threads the hub already knows (its own writes, or stored ones) needs no pull.
      const pulls = [...new Set(wanted.filter((e) => !e.threadIds?.length || e.threadIds.some((id) => !known.has(id))).map((e) => e.externalId))];
      await deps.queue.enqueueIn(tx, pulls.map((externalId) => pullRequest(integrationId, externalId)));
      return true;
    });
    deps.onReceived?.(integrationId, accepted ? 'accepted' : 'duplicate');
    res.status(200).json({ status: accepted ? 'accepted' : 'duplicate', events: parsed.events.length });
  });
  return router;
}
