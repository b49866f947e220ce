import { Router } from 'express';
import { z } from 'zod';
import { HubError } from '../../errors.js';
import { parseInput } from '../../errors.js';
import { pseudonymOf } from '../../ops/log-pseudonyms.js';
import type { PrivacyService } from '../../privacy/index.js';
import { erasureInWords, countsInWords } from '../../privacy/cli/report.js';
import type { Store } from '../../store/store.js';
import { renderPage, requirePermission, staffOf } from '../web.js';

export interface PrivacyRoutesDeps {
  store: Store;
  privacy: PrivacyService;
  pseudonymKey: Buffer;
  teamTimeZone: string;
}

const emailField = z.email('give the address the person wrote from').max(320).transform((e) => e.trim().toLowerCase());
const exportForm = z.object({ email: emailField });
const eraseForm = z.object({ email: emailField, confirm: z.string().max(400), reason: z.string().max(2000) });

/**
 * Data requests (issue 27), for admins: find a person by address, download their export, erase
 * them with a typed confirmation and a reason. The same service as `npm run privacy:*`; every
 * export and erasure is audited under the address's log pseudonym, never the address itself.
 */
export function privacyRoutes(deps: PrivacyRoutesDeps): Router {
  const router = Router();
  router.use('/dashboard/privacy', requirePermission('manage'));

  router.get('/dashboard/privacy', async (req, res) => {
    const email = typeof req.query['email'] === 'string' && req.query['email'].trim() ? req.query['email'].trim().toLowerCase() : null;
    let found: { email: string; counts: string; identities: number } | null = null;
    let missing: string | null = null;
    if (email) {
      try {
        const footprint = await deps.privacy.find({ email });
        found = { email, counts: countsInWords(footprint.counts), identities: footprint.contacts.length };
      } catch (error) {
        if (!(error instanceof HubError) || error.status !== 404) throw error;
        missing = error.message;
      }
    }
    const requests = await deps.store.db.selectFrom('privacy_requests').select(['id', 'state', 'requested_at', 'requested_by', 'finished_at']).orderBy('requested_at', 'desc').limit(20).execute();
    const shown = await Promise.all(requests.map(async (r) => ({ ...r, report: erasureInWords(await deps.privacy.erasure(r.id)) })));
    const requestId = typeof req.query['request'] === 'string' ? req.query['request'] : null;
    renderPage(res, 'privacy', { title: 'Data requests', section: 'privacy', zone: deps.teamTimeZone, email, found, missing, requests: shown, highlight: requestId });
  });

  router.post('/dashboard/privacy/export', async (req, res) => {
    const { email } = parseInput(exportForm, req.body ?? {}, 'form', 'invalid_export');
    const footprint = await deps.privacy.find({ email });
    const me = staffOf(res);
    const pseudonym = pseudonymOf(email, deps.pseudonymKey);
    res.status(200).type('application/zip').setHeader('content-disposition', `attachment; filename="data-${pseudonym.replace(/[^a-z0-9-]/gi, '-')}.zip"`).setHeader('cache-control', 'no-store');
    await deps.privacy.export(footprint, { email }, res, { id: me.id, email: me.email, ip: req.ip });
  });

  router.post('/dashboard/privacy/erase', async (req, res) => {
    const form = parseInput(eraseForm, req.body ?? {}, 'form', 'invalid_erasure');
    const me = staffOf(res);
    const { requestId } = await deps.privacy.requestErasure({ query: { email: form.email }, confirm: form.confirm, reason: form.reason, actor: { id: me.id, email: me.email, ip: req.ip } });
    res.redirect(303, `/dashboard/privacy?request=${requestId}`);
  });
  return router;
}
