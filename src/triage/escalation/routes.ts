import express, { Router, type RequestHandler, type Response } from 'express';
import ejs from 'ejs';
import { rawRequestOf, verifiedWebhook } from '../../http/webhook-request.js';
import type { EscalationCapability } from '../../capabilities/escalation.js';
import type { Store } from '../../store/store.js';
import type { EscalationEngine } from './engine.js';
import type { AcknowledgeLinks } from './links.js';
import { linksIn } from './target-links.js';

/**
 * `POST /webhooks/{target}` for escalation targets with webhooks (GitHub: issue assigned →
 * acknowledged, closed → resolved; PagerDuty: incident acknowledged / resolved, and which
 * incident holds our alert). Verified over the raw bytes before anything is read; a
 * redelivery (same delivery id) is answered without acting twice. Ids that are not an escalation
 * target fall through to the other webhook routes.
 */
export function escalationWebhookRouter(deps: { targets: ReadonlyMap<string, EscalationCapability>; engine: EscalationEngine; store: Store; maxBodyBytes: number }): Router {
  const router = Router();
  const withWebhooks = (id: string) => {
    const target = deps.targets.get(id);
    return target?.verifyWebhook && target.parseWebhook ? target : undefined;
  };
  const isTarget: RequestHandler = (req, _res, next) => next(withWebhooks(String(req.params['integrationId'])) ? undefined : 'route');
  router.post('/webhooks/:integrationId', isTarget, express.raw({ type: () => true, limit: deps.maxBodyBytes }), async (req, res) => {
    const targetId = String(req.params['integrationId']);
    const target = withWebhooks(targetId)!;
    const parsed = verifiedWebhook(rawRequestOf(req), { verify: (r) => target.verifyWebhook!(r), parse: (r) => target.parseWebhook!(r) });
    const source = `escalation:${targetId}`;
    const seen = await deps.store.db.selectFrom('deliveries').select('delivery_id').where('source', '=', source).where('delivery_id', '=', parsed.deliveryId).executeTakeFirst();
    if (seen) {
      res.status(200).json({ status: 'duplicate' });
      return;
    }
    // Acted on first, recorded after: a crash in between means a redelivery acts again, which
    // changes nothing (acknowledging twice is a no-op), while the reverse order could lose it.
    const applied = await deps.engine.fromTarget(targetId, parsed.events, linksIn(parsed));
    await deps.store.db.insertInto('deliveries').values({ source, delivery_id: parsed.deliveryId }).onConflict((oc) => oc.doNothing()).execute();
    res.status(200).json({ status: 'accepted', events: parsed.events.length, applied });
  });
  return router;
}

const PAGE = ejs.compile(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title><%= heading %> · Support Hub</title>
<style nonce="<%= nonce %>">body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
button{font-size:1.1rem;padding:.75rem 1.5rem;background:#0a5bd3;color:#fff;border:0;border-radius:6px}
.muted{color:#555}</style></head>
<body><main><h1><%= heading %></h1><p><%= text %></p>
<% if (title) { %><p class="muted">Escalation: <%= title %></p><% } %>
<% if (token) { %><form method="post" action="/escalations/acknowledge"><input type="hidden" name="token" value="<%= token %>">
<button type="submit">Acknowledge</button></form><% } %></main></body></html>`);

/**
 * The acknowledge link from on-call mail: `GET` shows what is being acknowledged and one button;
 * the button's `POST` acknowledges. Not a `GET` that acts: mail scanners and link previews fetch
 * every link in a message, and would acknowledge pages nobody read. Forged or expired → 403;
 * used before → 410.
 */
export function acknowledgeLinkRouter(deps: { links: AcknowledgeLinks | null; engine: EscalationEngine; store: Store; clock: () => Date }): Router {
  const router = Router();
  const page = (res: Response, status: number, heading: string, text: string, title: string | null, token: string | null) => {
    const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString('base64');
    res
      .status(status)
      .set('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`)
      .set('Cache-Control', 'no-store')
      .type('html')
      .send(PAGE({ heading, text, title, token, nonce }));
  };
  const check = async (res: Response, token: unknown) => {
    if (!deps.links) {
      page(res, 404, 'Not available', 'Acknowledge links are not enabled on this hub.', null, null);
      return null;
    }
    const verdict = deps.links.check(typeof token === 'string' ? token : '', deps.clock());
    if (!verdict.ok) {
      const text = verdict.reason === 'expired' ? 'This acknowledge link has expired. Acknowledge from the dashboard or the other alert instead.' : 'This acknowledge link is not valid.';
      page(res, 403, 'Link not valid', text, null, null);
      return null;
    }
    const escalation = await deps.store.db.selectFrom('escalations').select(['id', 'title', 'status', 'acknowledged_by']).where('id', '=', verdict.claim.escalationId).executeTakeFirst();
    if (!escalation) {
      page(res, 404, 'Not found', 'This escalation no longer exists.', null, null);
      return null;
    }
    return { claim: verdict.claim, escalation };
  };

  router.get('/escalations/acknowledge', async (req, res) => {
    const found = await check(res, req.query['token']);
    if (!found) return;
    const { escalation } = found;
    if (escalation.status !== 'open') {
      page(res, 200, 'Already handled', `This escalation is already ${escalation.status}${escalation.acknowledged_by ? ` (by ${escalation.acknowledged_by})` : ''}.`, escalation.title, null);
      return;
    }
    page(res, 200, 'Acknowledge this escalation?', 'Acknowledging tells the team you are on it and stops the next escalation steps.', escalation.title, String(req.query['token']));
  });

  router.post('/escalations/acknowledge', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res) => {
    const token = (req.body as Record<string, unknown> | undefined)?.['token'] ?? req.query['token'];
    const found = await check(res, token);
    if (!found) return;
    const used = await deps.store.db.insertInto('used_links').values({ link_id: found.claim.linkId }).onConflict((oc) => oc.doNothing()).returning('link_id').executeTakeFirst();
    if (!used) {
      page(res, 410, 'Link already used', 'This acknowledge link was used before; each works once.', found.escalation.title, null);
      return;
    }
    const changed = await deps.engine.acknowledge(found.escalation.id, 'acknowledge link', 'link');
    page(
      res,
      200,
      changed ? 'Acknowledged' : 'Already handled',
      changed ? 'Thanks. The team can see you are on it; no further escalation steps will run.' : `This escalation is already ${found.escalation.status}.`,
      found.escalation.title,
      null,
    );
  });
  return router;
}
