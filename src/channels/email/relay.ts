import express, { Router, type RequestHandler } from 'express';
import type { KeyObject } from 'node:crypto';
import { badRequest, HubError, notFound, unauthorized } from '../../errors.js';
import { secretsEqual } from '../../http/bearer.js';
import { HUB_SIGNATURE_HEADER, verifyHubSignature } from '../../http/hub-signature.js';
import type { ReceiveOutcome } from './receive.js';
import { readRelayForm, type FormLimits, type RelayForm } from './relays/form-reader.js';
import { MailgunSignature, mailgunMime } from './relays/mailgun.js';
import { postmarkInbound, postmarkMime } from './relays/postmark.js';
import { SendGridSignature, sendgridMime } from './relays/sendgrid.js';

export interface RelayDeps {
  /** The pipeline for one raw mail, or null when no inbound mailbox is configured. */
  receive: ((raw: Buffer) => Promise<ReceiveOutcome>) | null;
  /** Signs raw-MIME relays (X-Hub-Signature). */
  relaySecret: string | undefined;
  /** "user:password" that providers put in the webhook URL (Postmark, SendGrid without a security policy). */
  relayBasicAuth: string | undefined;
  /** Mailgun's HTTP webhook signing key. */
  mailgunSigningKey: string | undefined;
  /** The public key of a SendGrid Parse security policy: then SendGrid posts must be signed. */
  sendgridPublicKey: KeyObject | undefined;
  /** Remembers Mailgun tokens already processed (replays are answered, not processed again). */
  seenDelivery(source: string, id: string): Promise<boolean>;
  recordDelivery(source: string, id: string): Promise<void>;
  maxMessageBytes: number;
}

/**
 * `POST /inbound/email/{provider}`: mail relayed by a provider instead of our SMTP listener, for
 * teams whose MX stays with their mail service. Every provider's proof is checked before the mail
 * is read into the pipeline (ARCHITECTURE §7), form posts are read with bounded memory
 * (`relays/form-reader.ts`), bytes stay bytes, and the mail then runs the same pipeline.
 * A stored mail, a duplicate or a bounce answers 200; a mail the pipeline refuses gets the answer
 * that stops that provider's retries; a storage failure 503 so the provider retries.
 */
export function inboundRelayRouter(deps: RelayDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.maxMessageBytes });
  // Base64 attachments make the JSON about a third larger than the mail.
  const json = express.json({ type: () => true, limit: Math.ceil(deps.maxMessageBytes * 1.4) });
  // A parsed form repeats the text (plain, html, stripped copies) beside the attachments.
  const formLimits: FormLimits = { maxBodyBytes: Math.ceil(deps.maxMessageBytes * 1.5) + 64 * 1024, maxPartBytes: deps.maxMessageBytes + 64 * 1024, maxParts: 1000 };

  const requireInbound: RequestHandler = (_req, _res, next) => {
    if (!deps.receive) throw notFound('inbound mail is not configured (MAIL_INBOUND_ADDRESS)', 'inbound_mail_off');
    next();
  };
  const checkBasicAuth = (req: express.Request) => {
    if (!deps.relayBasicAuth) throw unauthorized('set MAIL_RELAY_BASIC_AUTH and put it in the webhook URL', 'relay_auth_off');
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (!secretsEqual(given, deps.relayBasicAuth)) throw unauthorized('wrong or missing basic auth for the inbound relay');
  };
  const basicAuth: RequestHandler = (req, _res, next) => {
    checkBasicAuth(req);
    next();
  };

  /**
   * Runs the pipeline and answers in the provider's terms. `refusedStatus` is what makes that
   * provider stop retrying a mail we will never accept (Postmark 403, Mailgun 406, others 422).
   */
  async function deliver(mime: Buffer, res: express.Response, refusedStatus = 422): Promise<void> {
    let outcome: ReceiveOutcome;
    try {
      outcome = await deps.receive!(mime);
    } catch {
      throw new HubError(503, 'temporarily_unavailable', 'the mail could not be stored now; retry later', { 'Retry-After': '60' });
    }
    if (outcome.kind === 'rejected') throw new HubError(refusedStatus, 'mail_rejected', `the mail was refused: ${outcome.reason}`);
    res.json(
      outcome.kind === 'stored'
        ? { status: outcome.result.created ? 'stored' : 'duplicate', conversation_id: outcome.result.conversation.id }
        : { status: 'bounce' },
    );
  }

  async function withForm(form: RelayForm, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      await form.dispose();
    }
  }

  // Raw MIME (message/rfc822) signed with the hub's own scheme: any relay or script can use it.
  router.post('/inbound/email/raw', requireInbound, raw, async (req, res) => {
    if (!deps.relaySecret) throw unauthorized('set MAIL_RELAY_SECRET to accept signed relays', 'relay_auth_off');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyHubSignature(req.get(HUB_SIGNATURE_HEADER), body, [deps.relaySecret]);
    if (!check.ok) throw unauthorized(check.reason, 'bad_signature');
    await deliver(body, res);
  });

  // Postmark's inbound JSON, basic auth in the webhook URL (Postmark stops retrying on 403 only).
  router.post('/inbound/email/postmark', requireInbound, basicAuth, json, async (req, res) => {
    const mail = postmarkInbound.safeParse(req.body ?? {});
    if (!mail.success) throw badRequest(`not Postmark inbound JSON: ${mail.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'invalid_request');
    await deliver(postmarkMime(mail.data), res, 403);
  });

  // Mailgun routes: forward("…/mailgun/mime") posts the raw MIME, forward("…/mailgun") the parsed
  // form (both accepted on either path); proven by hex HMAC-SHA256(signing key, timestamp + token),
  // checked as soon as those fields are in; a token is processed once. 406 stops Mailgun's retries.
  router.post(['/inbound/email/mailgun', '/inbound/email/mailgun/mime'], requireInbound, async (req, res) => {
    if (!deps.mailgunSigningKey) throw unauthorized('set MAILGUN_SIGNING_KEY to accept Mailgun routes', 'relay_auth_off');
    const signature = new MailgunSignature(deps.mailgunSigningKey);
    const form = await readRelayForm(req, { limits: formLimits, onSmallField: (name, value) => signature.see(name, value) });
    await withForm(form, async () => {
      const token = signature.token();
      if (await deps.seenDelivery('mailgun', token)) {
        res.json({ status: 'duplicate' });
        return;
      }
      const mime = await mailgunMime(form);
      if (!mime) throw new HubError(406, 'mail_rejected', 'the post carries neither body-mime nor the parsed message fields');
      await deliver(mime, res, 406);
      await deps.recordDelivery('mailgun', token);
    });
  });

  // SendGrid Inbound Parse, raw ("Send Raw") or parsed. With a security policy's public key set,
  // posts must carry its ECDSA signature over timestamp + body; without one, basic auth in the URL.
  // SendGrid retries only 5xx and drops anything else, so a refused mail answers 200.
  router.post('/inbound/email/sendgrid', requireInbound, async (req, res) => {
    const signature = deps.sendgridPublicKey ? new SendGridSignature(deps.sendgridPublicKey, req.headers) : null;
    if (!signature) checkBasicAuth(req);
    const form = await readRelayForm(req, { limits: formLimits, ...(signature ? { onChunk: (chunk: Buffer) => signature.update(chunk) } : {}) });
    await withForm(form, async () => {
      signature?.verify();
      const mime = await sendgridMime(form);
      if (!mime) throw badRequest('neither an email field ("Send Raw") nor the parsed message fields', 'invalid_request');
      try {
        await deliver(mime, res);
      } catch (error) {
        if (error instanceof HubError && error.code === 'mail_rejected') res.json({ status: 'rejected', reason: error.message });
        else throw error;
      }
    });
  });

  return router;
}
