import { createHmac, randomBytes } from 'node:crypto';
import { secretsEqual } from '../../http/bearer.js';

/**
 * Acknowledge links mailed (or posted) to on-call (ARCHITECTURE §7): the link proves itself with
 * an HMAC over escalation id, action, expiry and a link id, so whoever holds the mail can
 * acknowledge from a phone without logging in; it expires, and it works once (the link id is
 * recorded when used, by the caller).
 */
export interface AcknowledgeClaim {
  escalationId: string;
  action: 'acknowledge';
  expiresAt: Date;
  linkId: string;
}

export type LinkCheck = { ok: true; claim: AcknowledgeClaim } | { ok: false; reason: 'malformed' | 'forged' | 'expired' };

export class AcknowledgeLinks {
  constructor(
    private readonly publicUrl: string,
    private readonly secret: string,
    private readonly ttlMinutes: number,
  ) {}

  url(escalationId: string, now: Date): string {
    return `${this.publicUrl.replace(/\/$/, '')}/escalations/acknowledge?token=${encodeURIComponent(this.token(escalationId, now))}`;
  }

  token(escalationId: string, now: Date): string {
    const expires = Math.floor(now.getTime() / 1000) + this.ttlMinutes * 60;
    const payload = `${escalationId}.acknowledge.${expires}.${randomBytes(9).toString('base64url')}`;
    return `${Buffer.from(payload).toString('base64url')}.${this.sign(payload)}`;
  }

  check(token: string, now: Date): LinkCheck {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 400) return { ok: false, reason: 'malformed' };
    const payload = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
    // The signature is checked before anything in the payload is believed.
    if (!secretsEqual(token.slice(dot + 1), this.sign(payload))) return { ok: false, reason: 'forged' };
    const [escalationId, action, expires, linkId] = payload.split('.');
    if (!escalationId || action !== 'acknowledge' || !/^\d{1,12}$/.test(expires ?? '') || !linkId) return { ok: false, reason: 'malformed' };
    const expiresAt = new Date(Number(expires) * 1000);
    if (expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
    return { ok: true, claim: { escalationId, action, expiresAt, linkId } };
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`escalation-link.${payload}`).digest('base64url');
  }
}
