import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../errors.js';
import { personQuerySchema, type PrivacyService } from './index.js';

const eraseBody = z.strictObject({ person: personQuerySchema, confirm: z.string().max(400), reason: z.string().max(2000) });
const personBody = z.strictObject({ person: personQuerySchema });

/**
 * The operator API's data-rights routes (behind HUB_ADMIN_TOKEN or the local admin socket): how
 * `npm run privacy:export` and `privacy:erase` work while a hub holds the embedded store.
 */
export function privacyAdminRoutes(privacy: PrivacyService): Router {
  const router = Router();

  router.post('/admin/privacy/find', async (req, res) => {
    const { person } = parseInput(personBody, req.body ?? {}, 'body', 'invalid_person');
    const footprint = await privacy.find(person);
    res.json({ counts: footprint.counts, identities: footprint.contacts.length });
  });

  // The zip streams to the caller; an unknown person is a 404 before any byte is sent.
  router.post('/admin/privacy/export', async (req, res) => {
    const { person } = parseInput(personBody, req.body ?? {}, 'body', 'invalid_person');
    const footprint = await privacy.find(person);
    res.status(200).type('application/zip').setHeader('cache-control', 'no-store');
    await privacy.export(footprint, person, res, { id: null, email: 'admin-api', ip: req.ip });
  });

  router.post('/admin/privacy/erase', async (req, res) => {
    const { person, confirm, reason } = parseInput(eraseBody, req.body ?? {}, 'body', 'invalid_erasure');
    const { requestId, footprint } = await privacy.requestErasure({ query: person, confirm, reason, actor: { id: null, email: 'admin-api', ip: req.ip } });
    res.status(202).json({ requestId, counts: footprint.counts });
  });

  router.get('/admin/privacy/erasures/:id', async (req, res) => {
    const id = z.uuid().safeParse(req.params['id']);
    if (!id.success) {
      res.status(400).json({ error: { code: 'invalid_request_id', message: 'an erasure request id is a UUID' } });
      return;
    }
    res.json(await privacy.erasure(id.data));
  });
  return router;
}
