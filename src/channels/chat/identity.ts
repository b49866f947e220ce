import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { z } from 'zod';

/**
 * `user_hash` = lowercase hex HMAC-SHA256(identity secret, user id): the convention Intercom and
 * Chatwoot use, so the product's backend computes it the way its developers already know.
 */
export function userHash(identitySecret: string, userId: string): string {
  return createHmac('sha256', identitySecret).update(userId).digest('hex');
}

export function verifyUserHash(identitySecret: string, userId: string, given: string | undefined): boolean {
  if (!given || !/^[0-9a-fA-F]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), Buffer.from(userHash(identitySecret, userId), 'hex'));
}

/** Opaque session tokens: 256 random bits; only their SHA-256 is stored, so a database leak grants nothing. */
export function newSessionToken(): string {
  return `hst_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newVisitorId(): string {
  return `v_${randomBytes(12).toString('base64url')}`;
}

/** One address, nothing else: never a list, never a display name (`"a@x, b@y"` is refused). */
export const singleEmail = z
  .string()
  .trim()
  .max(320)
  .pipe(z.email({ error: 'must be exactly one email address' }));

const identityClaims = z.object({
  sub: z.string().min(1).max(200),
  email: singleEmail.nullish(),
  name: z.string().trim().max(200).nullish(),
  exp: z.number(),
});

export interface VerifiedIdentity {
  userId: string;
  email: string | null;
  name: string | null;
}

/**
 * The recommended identity proof: a JWT (RFC 7519) the product's backend signs with the app's
 * identity secret, HS256 only, carrying `sub` (the user id), `email`, `name` and `exp`. Everything
 * in it is the product's word, so its email counts as verified for that user; `user_hash` proves
 * the id alone. Verified with jose (never by hand): the algorithm is pinned, `exp` is required,
 * and a minute of clock skew is allowed.
 */
export async function verifyIdentityToken(identitySecret: string, token: string, now: Date = new Date()): Promise<VerifiedIdentity | { error: string }> {
  try {
    const { payload } = await jwtVerify(token, new TextEncoder().encode(identitySecret), {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'exp'],
      clockTolerance: 60,
      currentDate: now,
    });
    const claims = identityClaims.safeParse(payload);
    if (!claims.success) return { error: `the identity token's claims are not usable: ${claims.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
    return { userId: claims.data.sub, email: claims.data.email?.toLowerCase() ?? null, name: claims.data.name ?? null };
  } catch (error) {
    if (error instanceof errors.JWTExpired) return { error: 'the identity token has expired' };
    if (error instanceof errors.JOSEError) return { error: `the identity token could not be verified (${error.code})` };
    throw error;
  }
}
