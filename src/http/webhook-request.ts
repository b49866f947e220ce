import type { Request } from 'express';
import type { RawRequest, VerifyResult } from '../capabilities/webhook.js';
import { HubError, unauthorized } from '../errors.js';

/** The request as signature checks need it: the exact bytes `express.raw` kept, headers, URL. */
export function rawRequestOf(req: Request): RawRequest {
  return { rawBody: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), headers: req.headers, url: req.originalUrl };
}

/**
 * Verify before parse (ARCHITECTURE §2.3), for every webhook route: a failed signature is 401, a
 * body the adapter cannot read is 400 (its own HubError passes through), and only then is the
 * parsed body handed back. `onRejected` counts either refusal.
 */
export function verifiedWebhook<T>(
  request: RawRequest,
  adapter: { verify(request: RawRequest): VerifyResult; parse(request: RawRequest): T },
  onRejected?: () => void,
): T {
  const verdict = adapter.verify(request);
  if (!verdict.ok) {
    onRejected?.();
    throw unauthorized(`webhook signature check failed: ${verdict.reason}`, 'invalid_signature');
  }
  try {
    return adapter.parse(request);
  } catch (error) {
    onRejected?.();
    if (error instanceof HubError) throw error;
    throw new HubError(400, 'invalid_webhook', `webhook body not understood: ${(error as Error).message}`);
  }
}
