import { createHmac } from 'node:crypto';
import { attachmentDisposition } from './content-disposition.js';
import { Router } from 'express';
import { forbidden, notFound } from '../errors.js';
import type { Store } from '../store/store.js';
import { attachmentBytesRemoved, attachmentRemoved } from '../privacy/retention/removed-attachment.js';
import { secretsEqual } from './bearer.js';

/** How long a link handed to a helpdesk for an attachment too large to upload stays valid. */
const LINK_LIFETIME_SECONDS = 90 * 24 * 3600;

/**
 * Signed, expiring links to stored attachments, for files over a helpdesk's upload limit: the
 * agent follows the link from the thread. The link proves itself (HMAC over id and expiry), so
 * no session is needed, and it names one file only.
 */
export class FileLinks {
  constructor(
    private readonly publicUrl: string,
    private readonly secret: string,
  ) {}

  url(attachmentId: string, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + LINK_LIFETIME_SECONDS;
    return `${this.publicUrl.replace(/\/$/, '')}/files/${attachmentId}?e=${expires}&s=${this.sign(attachmentId, expires)}`;
  }

  verify(attachmentId: string, expires: string, signature: string, now = Date.now()): boolean {
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 < now) return false;
    return secretsEqual(signature, this.sign(attachmentId, Number(expires)));
  }

  private sign(id: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`${id}.${expires}`).digest('base64url');
  }

  router(store: Store): Router {
    const router = Router();
    router.get('/files/:id', async (req, res) => {
      const id = String(req.params['id']);
      if (!this.verify(id, String(req.query['e'] ?? ''), String(req.query['s'] ?? ''))) throw forbidden('this file link is invalid or has expired', 'invalid_link');
      if (!/^[0-9a-f-]{36}$/i.test(id)) throw notFound('no such file');
      const row = await store.db.selectFrom('attachments').select(['filename', 'content_type', 'size', 'content']).where('id', '=', id).executeTakeFirst();
      if (!row) throw notFound('no such file');
      if (attachmentBytesRemoved(row)) throw attachmentRemoved(id);
      res.setHeader('Content-Type', row.content_type);
      res.setHeader('Content-Disposition', attachmentDisposition(row.filename));
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.send(row.content);
    });
    return router;
  }
}
