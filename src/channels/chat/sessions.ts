import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { forbidden, unauthorized } from '../../errors.js';
import { contactClaimUpdate } from '../../conversations/contact-claims.js';
import type { Store } from '../../store/store.js';
import type { ChatApp } from './config.js';
import { hashToken, newSessionToken, newVisitorId, singleEmail, verifyIdentityToken, verifyUserHash } from './identity.js';

const text = z.string().max(200).nullish();
export const deviceSchema = z
  .object({ platform: text, osVersion: text, appVersion: text, sdkVersion: text, model: text, network: text, locale: text, timeZone: text })
  .partial();

export const sessionRequestSchema = z.object({
  /** The recommended proof: a JWT signed by the product's backend (identity.ts). */
  identity_token: z.string().min(1).max(8192).optional(),
  user: z.object({ id: z.string().min(1).max(200), email: singleEmail.nullish(), name: z.string().max(200).nullish() }).optional(),
  user_hash: z.string().max(200).optional(),
  device: deviceSchema.optional(),
});

export interface ChatUser {
  sessionId: string;
  appId: string;
  kind: 'identified' | 'anonymous';
  userId: string;
  contactId: string;
  email: string | null;
  name: string | null;
  verified: boolean;
  device: Record<string, unknown>;
}

/** The contact identity of an SDK user: identified users by the product's id, visitors by ours. */
export function chatIdentity(appId: string, kind: 'identified' | 'anonymous', userId: string) {
  return { identityKind: kind === 'identified' ? 'chat' : 'chat-visitor', identityKey: `${appId}:${userId}` };
}

export async function createSession(
  store: Store,
  app: ChatApp,
  request: z.infer<typeof sessionRequestSchema>,
  ttlSeconds: number,
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date; user: ChatUser }> {
  let kind: 'identified' | 'anonymous';
  let userId: string;
  // What the session claims about the user, and whether the product signed the email for them.
  let claim: { email: string | null; name: string | null; emailVerified: boolean } = { email: null, name: null, emailVerified: false };
  if (request.identity_token !== undefined) {
    const identity = await verifyIdentityToken(app.identitySecret, request.identity_token, now);
    if ('error' in identity) throw unauthorized(`the identity could not be verified: ${identity.error}`, 'identity_not_verified');
    if (request.user && request.user.id !== identity.userId) throw unauthorized('`user.id` differs from the identity token\'s `sub`', 'identity_not_verified');
    kind = 'identified';
    userId = identity.userId;
    claim = { email: identity.email, name: identity.name ?? request.user?.name ?? null, emailVerified: identity.email !== null };
  } else if (request.user) {
    if (!verifyUserHash(app.identitySecret, request.user.id, request.user_hash)) {
      throw unauthorized('the identity could not be verified: user_hash must be the hex HMAC-SHA256 of the user id with the app\'s identity secret', 'identity_not_verified');
    }
    kind = 'identified';
    userId = request.user.id;
    // user_hash covers the id only: the email beside it is the user's claim, stored unverified.
    claim = { email: request.user.email?.toLowerCase() ?? null, name: request.user.name ?? null, emailVerified: false };
  } else {
    if (!app.allowAnonymous) throw forbidden('this app does not allow anonymous visitors; identify the user', 'anonymous_not_allowed');
    kind = 'anonymous';
    userId = newVisitorId();
  }
  const identity = chatIdentity(app.id, kind, userId);
  const token = newSessionToken();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  const sessionId = randomUUID();
  const contact = await store.transaction(async (tx) => {
    const row = await tx
      .insertInto('contacts')
      .values({
        id: randomUUID(),
        identity_kind: identity.identityKind,
        identity_key: identity.identityKey,
        email: claim.email,
        name: claim.name,
        // Verified = this user's email is proven (signed in the identity token), never the id alone.
        verified: claim.emailVerified,
      })
      .onConflict((oc) => oc.columns(['identity_kind', 'identity_key']).doUpdateSet(() => ({ ...contactClaimUpdate, updated_at: now })))
      .returningAll()
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('chat_sessions')
      .values({
        id: sessionId,
        token_hash: hashToken(token),
        app_id: app.id,
        user_kind: kind,
        user_id: userId,
        contact_id: row.id,
        device: JSON.stringify(request.device ?? {}),
        created_at: now,
        expires_at: expiresAt,
      })
      .execute();
    return row;
  });
  return {
    token,
    expiresAt,
    user: {
      sessionId,
      appId: app.id,
      kind,
      userId,
      contactId: contact.id,
      email: contact.email,
      name: contact.name,
      verified: contact.verified && kind === 'identified',
      device: request.device ?? {},
    },
  };
}

/**
 * Recently verified sessions, so a chatty client does not cost a database read per request.
 * Revocation in this process evicts at once; in another process it takes effect within the TTL.
 */
export class SessionCache {
  private readonly entries = new Map<string, { user: ChatUser; expiresAt: Date; cachedAt: number }>();

  constructor(private readonly ttlMs = 30_000) {}

  get(tokenHash: string, now: Date): { user: ChatUser; expiresAt: Date } | undefined {
    const entry = this.entries.get(tokenHash);
    if (!entry || Date.now() - entry.cachedAt > this.ttlMs || entry.expiresAt <= now) {
      this.entries.delete(tokenHash);
      return undefined;
    }
    return entry;
  }

  set(tokenHash: string, user: ChatUser, expiresAt: Date): void {
    if (this.entries.size > 50_000) this.entries.clear();
    this.entries.set(tokenHash, { user, expiresAt, cachedAt: Date.now() });
  }

  evictSession(sessionId: string): void {
    for (const [hash, entry] of this.entries) if (entry.user.sessionId === sessionId) this.entries.delete(hash);
  }
}

export async function authenticate(
  store: Store,
  appId: string,
  token: string | null,
  now: Date = new Date(),
  cache?: SessionCache,
): Promise<ChatUser> {
  if (!token) throw unauthorized('a session token is required (Authorization: Bearer …)', 'invalid_token');
  const tokenHash = hashToken(token);
  const cached = cache?.get(tokenHash, now);
  if (cached && cached.user.appId === appId) return cached.user;
  const row = await store.db
    .selectFrom('chat_sessions as s')
    .innerJoin('contacts as c', 'c.id', 's.contact_id')
    .select(['s.id', 's.app_id', 's.user_kind', 's.user_id', 's.contact_id', 's.device', 's.expires_at', 's.revoked_at', 'c.email', 'c.name', 'c.verified'])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || row.app_id !== appId || row.revoked_at) throw unauthorized('the session token is not valid', 'invalid_token');
  if (row.expires_at <= now) throw unauthorized('the session token has expired; open a new session', 'token_expired');
  const user: ChatUser = {
    sessionId: row.id,
    appId: row.app_id,
    kind: row.user_kind,
    userId: row.user_id,
    contactId: row.contact_id,
    email: row.email,
    name: row.name,
    verified: row.verified && row.user_kind === 'identified',
    device: row.device as Record<string, unknown>,
  };
  cache?.set(tokenHash, user, row.expires_at);
  return user;
}

export async function revokeSession(store: Store, sessionId: string, now: Date = new Date(), cache?: SessionCache): Promise<void> {
  await store.db.updateTable('chat_sessions').set({ revoked_at: now }).where('id', '=', sessionId).execute();
  // The device signed out: its pushes must stop naming this person (PUT /v1/push-token).
  await store.db.deleteFrom('chat_push_tokens').where('session_id', '=', sessionId).execute();
  cache?.evictSession(sessionId);
}

export function presentUser(user: ChatUser) {
  return { id: user.userId, kind: user.kind, email: user.email, name: user.name, verified: user.verified };
}
