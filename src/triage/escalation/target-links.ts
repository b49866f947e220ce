import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { HubDatabase } from '../../store/schema.js';
import type { Store } from '../../store/store.js';

/**
 * What a target's webhook can tell beyond its events: that a vendor object of its own is the
 * thing the target holds for an escalation. PagerDuty's Events API answers an alert with its
 * dedup key only; its V3 webhooks name the incident (`data.id`) and — not promised, it may be
 * empty, and after alert grouping it is another alert's — the `incident_key`. When a delivery
 * names both and the key is ours, the incident id is recorded, so a later delivery naming only
 * the incident still finds the escalation.
 *
 * A parsed webhook may carry `links` beside `deliveryId` and `events` (the capability interface
 * has no field for them yet), read here with a schema since the route only knows the capability.
 */
export const targetLinkSchema = z.object({
  /** A receipt's external id the delivery names (PagerDuty: the dedup key, as `incident_key`). */
  externalId: z.string().min(1).max(255),
  /** The vendor's own id that later deliveries may name alone (PagerDuty: the incident id). */
  vendorId: z.string().min(1).max(255),
  /** The vendor's page for it, kept as the target's link when it has none. */
  url: z.url({ protocol: /^https?$/ }).max(2000).nullable(),
});

export type TargetLink = z.infer<typeof targetLinkSchema>;

const linksOf = z.array(targetLinkSchema).max(20);

/** The links a target's parsed webhook carries (none when it carries no `links`). */
export function linksIn(parsed: object): TargetLink[] {
  return 'links' in parsed ? linksOf.parse(parsed.links) : [];
}

/** The escalation a target's vendor id was linked to (the newest link wins), or null. */
export async function linkedEscalation(db: Kysely<HubDatabase>, targetId: string, vendorId: string): Promise<string | null> {
  const row = await db
    .selectFrom('escalation_events')
    .select('escalation_id')
    .where('kind', '=', 'target.linked')
    .where(sql<boolean>`detail->>'target' = ${targetId} AND detail->>'vendorId' = ${vendorId}`)
    .orderBy('at', 'desc')
    .executeTakeFirst();
  return row?.escalation_id ?? null;
}

/**
 * Records (once) that `link.vendorId` is what a target holds for the escalation whose receipt is
 * `link.externalId`, as a `target.linked` event, and keeps the vendor's page as the target's link
 * where it has none. A link naming a receipt the hub does not hold (PagerDuty: another alert's
 * key on an incident ours was grouped into) is not ours and is dropped.
 */
export async function recordLink(store: Store, targetId: string, link: TargetLink, now: Date): Promise<void> {
  const held = await store.db.selectFrom('escalation_targets').select('escalation_id').where('target', '=', targetId).where('external_id', '=', link.externalId).executeTakeFirst();
  if (!held || (await linkedEscalation(store.db, targetId, link.vendorId)) === held.escalation_id) return;
  await store.transaction(async (tx) => {
    await tx
      .insertInto('escalation_events')
      .values({ id: randomUUID(), escalation_id: held.escalation_id, at: now, kind: 'target.linked', detail: JSON.stringify({ target: targetId, externalId: link.externalId, vendorId: link.vendorId, url: link.url }) })
      .execute();
    if (link.url) {
      await tx
        .updateTable('escalation_targets')
        .set({ url: link.url })
        .where('escalation_id', '=', held.escalation_id)
        .where('target', '=', targetId)
        .where('external_id', '=', link.externalId)
        .where('url', 'is', null)
        .execute();
    }
  });
}
