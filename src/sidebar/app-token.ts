import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/**
 * The short-lived token a verified sidebar-app page load hands its own script, and the only key
 * to that conversation's card data (ARCHITECTURE §7: no card for an unsigned or foreign request).
 * Stateless, so every hub process accepts it: `hsa1.<payload>.<HMAC-SHA256>` (base64url), keyed
 * by a key derived from the app's secret, so the secret itself never leaves the hub and a token
 * cannot be turned into a Help Scout signature.
 *
 * A page token names the conversation the signed URL was for. Its first card request binds the
 * customer's addresses (from the helpdesk API, or from the page's SDK context) into a panel token,
 * which the side panel uses and which cannot be re-pointed at anyone else.
 */

export const PAGE_TOKEN_TTL_MS = 10 * 60_000;
export const PANEL_TOKEN_TTL_MS = 30 * 60_000;

const payloadSchema = z.object({
  /** Token id: the bound customer is remembered per id (see CustomerBindings). */
  i: z.string().max(40),
  k: z.enum(['page', 'panel']),
  /** The helpdesk's conversation id, null when the page was opened outside one. */
  c: z.string().max(40).nullable(),
  m: z.string().max(40).nullable(),
  /** Panel tokens: the bound addresses and name. */
  e: z.array(z.string().max(320)).max(20).optional(),
  n: z.string().max(500).nullable().optional(),
  /** Expiry, ms since the epoch. */
  x: z.number(),
});
export type CardToken = z.infer<typeof payloadSchema>;

export function tokenKey(appSecret: string): Buffer {
  return createHmac('sha256', appSecret).update('support-hub sidebar app card token v1').digest();
}

export function mintPageToken(key: Buffer, context: { conversationId: string | null; mailboxId: string | null }, now = Date.now()): string {
  return sign(key, { i: tokenId(), k: 'page', c: context.conversationId, m: context.mailboxId, x: now + PAGE_TOKEN_TTL_MS });
}

/**
 * 12 random bytes per token id, drawn from a pool filled 256 ids at a time: one randomBytes call
 * per page load was a system call and 3% of the page's CPU (the same buffering crypto.randomUUID does).
 */
const ID_BYTES = 12;
const POOL_IDS = 256;
let idPool = Buffer.alloc(0);
let idOffset = 0;
function tokenId(): string {
  if (idOffset >= idPool.length) {
    idPool = randomBytes(ID_BYTES * POOL_IDS);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

export function mintPanelToken(key: Buffer, from: CardToken, customer: { emails: readonly string[]; name: string | null }, now = Date.now()): string {
  return sign(key, { i: from.i, k: 'panel', c: from.c, m: from.m, e: customer.emails.slice(0, 20), n: customer.name, x: now + PANEL_TOKEN_TTL_MS });
}

function sign(key: Buffer, payload: CardToken): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `hsa1.${body}.${createHmac('sha256', key).update(body).digest('base64url')}`;
}

export type TokenCheck = { ok: true; token: CardToken } | { ok: false; reason: string };

export function readToken(key: Buffer, text: string | undefined, now = Date.now()): TokenCheck {
  if (!text) return { ok: false, reason: 'no card token' };
  const [version, body, mac, ...rest] = text.split('.');
  if (version !== 'hsa1' || !body || !mac || rest.length > 0) return { ok: false, reason: 'not a card token' };
  const expected = Buffer.from(createHmac('sha256', key).update(body).digest('base64url'));
  const given = Buffer.from(mac);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'card token signature does not match' };
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'card token is not readable' };
  }
  const parsed = payloadSchema.safeParse(payload);
  if (!parsed.success) return { ok: false, reason: 'card token is not readable' };
  if (parsed.data.x <= now) return { ok: false, reason: 'card token expired: reopen the conversation' };
  return { ok: true, token: parsed.data };
}

/**
 * Which customer each page token was first used for, so one signed page load yields a card for
 * one customer only. Per process and bounded (entries outlive their token, then fall out): a
 * second process asked with the same page token binds on its own (README says so).
 */
export class CustomerBindings {
  private readonly bound = new Map<string, { key: string; until: number }>();
  constructor(private readonly max = 50_000) {}

  /** True when `customerKey` is the first (or same) customer asked for with this token id. */
  bind(tokenId: string, customerKey: string, until: number, now = Date.now()): boolean {
    const found = this.bound.get(tokenId);
    if (found && found.until > now) return found.key === customerKey;
    // Every page token lives equally long, so insertion order is expiry order: drop from the front.
    for (const [id, entry] of this.bound) {
      if (entry.until > now && this.bound.size < this.max) break;
      this.bound.delete(id);
    }
    this.bound.set(tokenId, { key: customerKey, until });
    return true;
  }
}
