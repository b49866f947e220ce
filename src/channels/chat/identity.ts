import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

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
