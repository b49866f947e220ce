import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The hub's own signature scheme (ARCHITECTURE §7), for requests the hub sends (push events,
 * product lookups, outbound webhooks) and relays it receives:
 *   X-Hub-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>
 * Several v1 values may be present while a secret is being rotated; a 300 s window stops replays.
 */
export const HUB_SIGNATURE_HEADER = 'X-Hub-Signature';
export const HUB_SIGNATURE_TOLERANCE_SECONDS = 300;

export function signHubPayload(secret: string, rawBody: string | Buffer, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${hmac(secret, t, rawBody)}`;
}

export type HubSignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

export function verifyHubSignature(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  now: Date = new Date(),
  toleranceSeconds = HUB_SIGNATURE_TOLERANCE_SECONDS,
): HubSignatureCheck {
  if (!header) return { ok: false, reason: `missing ${HUB_SIGNATURE_HEADER} header` };
  const parts = header.split(',').map((p) => p.trim().split('=') as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  const signatures = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v ?? '')).map(([, v]) => v);
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: `malformed ${HUB_SIGNATURE_HEADER} header` };
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: 'signature timestamp outside the allowed window' };
  for (const secret of secrets) {
    const expected = Buffer.from(hmac(secret, t, rawBody), 'hex');
    if (signatures.some((s) => timingSafeEqual(Buffer.from(s, 'hex'), expected))) return { ok: true, timestamp: t };
  }
  return { ok: false, reason: 'signature does not match' };
}

function hmac(secret: string, t: number, rawBody: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(rawBody).digest('hex');
}
