import express, { Router, type RequestHandler } from 'express';
import type { AccountWebhook } from '../capabilities/account-data.js';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { EventBus } from '../conversations/events.js';
import { rawRequestOf, verifiedWebhook } from '../http/webhook-request.js';

/** More than this many names in one change is not a customer update; NOTIFY payloads stay small. */
const MAX_NAMES = 50;

/**
 * `POST /webhooks/{integration id}` for account-data sources that declare change webhooks (Stripe:
 * customer, subscription and invoice events). Verified over the raw bytes, then announced on the
 * event bus so every hub process drops the cached answers the change names. Nothing is stored:
 * dropping a cache entry twice is harmless, so redeliveries need no dedupe. Ids that are not an
 * account-data source fall through to the helpdesk webhook route.
 */
export function accountWebhookRouter(deps: { registry: IntegrationRegistry; bus: EventBus; maxBodyBytes: number }): Router {
  const router = Router();
  const webhookFor = (id: string): AccountWebhook | undefined => deps.registry.get('accountData', id)?.webhook;
  const isAccountSource: RequestHandler = (req, _res, next) => next(webhookFor(String(req.params['integrationId'])) ? undefined : 'route');
  router.post('/webhooks/:integrationId', isAccountSource, express.raw({ type: () => true, limit: deps.maxBodyBytes }), async (req, res) => {
    const integrationId = String(req.params['integrationId']);
    const webhook = webhookFor(integrationId)!;
    const change = verifiedWebhook(rawRequestOf(req), { verify: (r) => webhook.verify(r), parse: (r) => webhook.changes(r) });
    const emails = change.emails.slice(0, MAX_NAMES);
    const keys = change.keys.slice(0, MAX_NAMES);
    if (emails.length > 0 || keys.length > 0) await deps.bus.publish([{ type: 'account.changed', integrationId, emails, keys }]);
    req.log?.info({ integration: integrationId, event: change.type, id: change.id, emails: emails.length, keys: keys.length }, 'account change received');
    res.status(200).json({ status: 'accepted', event: change.type, invalidates: { emails: emails.length, keys: keys.length } });
  });
  return router;
}
