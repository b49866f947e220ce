import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import MailComposer from 'nodemailer/lib/mail-composer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import Busboy from 'busboy';
import { badRequest, HubError, notFound, payloadTooLarge, unauthorized } from '../../errors.js';
import { secretsEqual } from '../../http/bearer.js';
import { HUB_SIGNATURE_HEADER, verifyHubSignature } from '../../http/hub-signature.js';
import type { ReceiveOutcome } from './receive.js';

export interface RelayDeps {
  /** The pipeline for one raw mail, or null when no inbound mailbox is configured. */
  receive: ((raw: Buffer) => Promise<ReceiveOutcome>) | null;
  /** Signs raw-MIME relays (X-Hub-Signature). */
  relaySecret: string | undefined;
  /** "user:password" that providers put in the webhook URL (Postmark, SendGrid). */
  relayBasicAuth: string | undefined;
  /** Mailgun's HTTP webhook signing key. */
  mailgunSigningKey: string | undefined;
  /** Remembers Mailgun tokens already processed (replays are answered, not processed again). */
  seenDelivery(source: string, id: string): Promise<boolean>;
  recordDelivery(source: string, id: string): Promise<void>;
  maxMessageBytes: number;
}

/**
 * `POST /inbound/email/{provider}`: mail relayed by a provider instead of our SMTP listener, for
 * teams whose MX stays with their mail service. Every provider's proof is checked over the raw
 * bytes before anything is read (ARCHITECTURE §7), and the mail then runs the same pipeline.
 * A stored mail, a duplicate or a bounce answers 200; a mail the pipeline refuses 422 (providers
 * stop retrying a 4xx); a storage failure 503 so the provider retries and nothing is lost.
 */
export function inboundRelayRouter(deps: RelayDeps): Router {
  const router = Router();
  const raw = express.raw({ type: () => true, limit: deps.maxMessageBytes });
  // Base64 attachments make the JSON about a third larger than the mail.
  const json = express.json({ type: () => true, limit: Math.ceil(deps.maxMessageBytes * 1.4) });

  const requireInbound: RequestHandler = (_req, _res, next) => {
    if (!deps.receive) throw notFound('inbound mail is not configured (MAIL_INBOUND_ADDRESS)', 'inbound_mail_off');
    next();
  };
  const basicAuth: RequestHandler = (req, _res, next) => {
    if (!deps.relayBasicAuth) throw unauthorized('set MAIL_RELAY_BASIC_AUTH and put it in the webhook URL', 'relay_auth_off');
    const header = req.get('authorization') ?? '';
    const given = header.startsWith('Basic ') ? Buffer.from(header.slice(6), 'base64').toString('utf8') : '';
    if (!secretsEqual(given, deps.relayBasicAuth)) throw unauthorized('wrong or missing basic auth for the inbound relay');
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

  // Raw MIME (message/rfc822) signed with the hub's own scheme: any relay or script can use it.
  router.post('/inbound/email/raw', requireInbound, raw, async (req, res) => {
    if (!deps.relaySecret) throw unauthorized('set MAIL_RELAY_SECRET to accept signed relays', 'relay_auth_off');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const check = verifyHubSignature(req.get(HUB_SIGNATURE_HEADER), body, [deps.relaySecret]);
    if (!check.ok) throw unauthorized(check.reason, 'bad_signature');
    await deliver(body, res);
  });

  // Postmark's inbound JSON, basic auth in the webhook URL.
  router.post('/inbound/email/postmark', requireInbound, basicAuth, json, async (req, res) => {
    const mail = postmarkInbound.parse(req.body ?? {});
    await deliver(mail.RawEmail ? Buffer.from(mail.RawEmail, 'utf8') : await composePostmark(mail), res, 403);
  });

  // Mailgun's "forward" route to a URL ending in mime: the raw MIME in `body-mime`, proven by
  // hex HMAC-SHA256(signing key, timestamp + token); a token is processed once.
  router.post('/inbound/email/mailgun', requireInbound, async (req, res) => {
    if (!deps.mailgunSigningKey) throw unauthorized('set MAILGUN_SIGNING_KEY to accept Mailgun routes', 'relay_auth_off');
    const form = await readForm(req, deps.maxMessageBytes);
    const { timestamp, token, signature } = { timestamp: form['timestamp'] ?? '', token: form['token'] ?? '', signature: form['signature'] ?? '' };
    const expected = createHmac('sha256', deps.mailgunSigningKey).update(timestamp + token).digest('hex');
    if (!/^[0-9a-f]{64}$/.test(signature) || !timingSafeEqual(Buffer.from(signature, 'hex'), Buffer.from(expected, 'hex'))) {
      throw unauthorized('the Mailgun signature does not match', 'bad_signature');
    }
    if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) throw unauthorized('the Mailgun timestamp is outside the 5-minute window', 'bad_signature');
    if (await deps.seenDelivery('mailgun', token)) {
      res.json({ status: 'duplicate' });
      return;
    }
    const mime = form['body-mime'];
    if (!mime) throw new HubError(406, 'mail_rejected', 'no body-mime field: point the route at a URL ending in /mime-style raw MIME');
    await deliver(Buffer.from(mime, 'utf8'), res, 406);
    await deps.recordDelivery('mailgun', token);
  });

  // SendGrid Inbound Parse with "POST the raw, full MIME message": the MIME in `email`, basic auth
  // in the webhook URL. SendGrid retries every non-2xx for days, so a refused mail answers 200.
  router.post('/inbound/email/sendgrid', requireInbound, basicAuth, async (req, res) => {
    const form = await readForm(req, deps.maxMessageBytes);
    if (!form['email']) throw badRequest('no email field: turn on "POST the raw, full MIME message" in Inbound Parse', 'invalid_request');
    try {
      await deliver(Buffer.from(form['email'], 'utf8'), res);
    } catch (error) {
      if (error instanceof HubError && error.code === 'mail_rejected') res.json({ status: 'rejected', reason: error.message });
      else throw error;
    }
  });

  return router;
}

/** The text fields of a multipart/form-data or urlencoded POST (files are not expected here). */
function readForm(req: express.Request, limit: number): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let parser: Busboy.Busboy;
    try {
      parser = Busboy({ headers: req.headers, limits: { fieldSize: limit, fields: 100, files: 0 } });
    } catch {
      reject(badRequest('expected a multipart/form-data or urlencoded body', 'invalid_request'));
      return;
    }
    const fields: Record<string, string> = {};
    let tooLarge = false;
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) tooLarge = true;
      fields[name] = value;
    });
    parser.on('close', () => (tooLarge ? reject(payloadTooLarge(`a field exceeds ${limit} bytes`)) : resolve(fields)));
    parser.on('error', () => reject(badRequest('the form body could not be read', 'invalid_request')));
    req.pipe(parser);
  });
}

const address = z.object({ Email: z.string(), Name: z.string().nullish() });
/** The fields of Postmark's inbound webhook we use (postmarkapp.com/developer/webhooks/inbound-webhook). */
const postmarkInbound = z.object({
  FromFull: address,
  ToFull: z.array(address).default([]),
  CcFull: z.array(address).default([]),
  Subject: z.string().default(''),
  Date: z.string().optional(),
  TextBody: z.string().default(''),
  HtmlBody: z.string().default(''),
  Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).default([]),
  Attachments: z.array(z.object({ Name: z.string(), Content: z.string(), ContentType: z.string(), ContentID: z.string().nullish() })).default([]),
  /** Present when "include raw email content" is on: then the original MIME is used as is. */
  RawEmail: z.string().optional(),
});

// Headers the pipeline needs for threading and the loop guard.
const KEPT_HEADERS = /^(in-reply-to|references|auto-submitted|precedence|x-autoreply|x-autorespond|x-auto-response-suppress|list-id|list-unsubscribe|return-path)$/i;

/** Rebuilds the MIME from Postmark's fields, keeping the headers threading and loop guard need. */
async function composePostmark(mail: z.infer<typeof postmarkInbound>): Promise<Buffer> {
  const header = (name: string) => mail.Headers.find((h) => h.Name.toLowerCase() === name.toLowerCase())?.Value;
  const format = (a: z.infer<typeof address>) => (a.Name ? { name: a.Name, address: a.Email } : a.Email);
  const messageId = header('Message-ID');
  const composer = new MailComposer({
    from: format(mail.FromFull),
    to: mail.ToFull.map(format),
    cc: mail.CcFull.map(format),
    subject: mail.Subject,
    ...(mail.TextBody ? { text: mail.TextBody } : {}),
    ...(mail.HtmlBody ? { html: mail.HtmlBody } : {}),
    ...(messageId ? { messageId } : {}),
    ...(mail.Date ? { date: mail.Date } : {}),
    headers: Object.fromEntries(mail.Headers.filter((h) => KEPT_HEADERS.test(h.Name)).map((h) => [h.Name, h.Value])),
    attachments: mail.Attachments.map((a) => ({
      filename: a.Name,
      content: Buffer.from(a.Content, 'base64'),
      contentType: a.ContentType,
      ...(a.ContentID ? { cid: a.ContentID } : {}),
    })),
  });
  return new Promise((resolve, reject) => composer.compile().build((error, message) => (error ? reject(error) : resolve(message))));
}
