/**
 * SendGrid Inbound Parse (twilio.com/docs/sendgrid/for-developers/parsing-email/…). With "Send
 * Raw" the original message is in `email`; otherwise the post carries the header section in
 * `headers`, the text and html parts in their own charset (named in the `charsets` JSON), and
 * files attachment1…N described by `attachment-info`, which are rebuilt into one message here.
 *
 * Security policy with signature verification ("Securing your Inbound Parse Webhooks"): SendGrid
 * signs timestamp + the request body with ECDSA (P-256, SHA-256) and sends the base64 DER
 * signature and the timestamp in X-Twilio-Email-Event-Webhook-Signature / -Timestamp, the
 * headers of its signed Event Webhook; the policy's public key is base64 DER (SPKI).
 */
import { createPublicKey, createVerify, type KeyObject, type Verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { HubError, unauthorized } from '../../../errors.js';
import { jsonField, type RelayForm } from './form-reader.js';
import { buildMime, charsetLabel, header, headerSection, type RebuiltAttachment } from './rebuild-mime.js';

export const SENDGRID_SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
export const SENDGRID_TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';

/**
 * SendGrid retries a 5xx for 72 hours, and nothing says a retry is signed anew. The signature
 * covers the body, so a replay can only bring the same mail again, which Message-ID dedupe
 * absorbs: the window only has to refuse what no retry could be.
 */
export const SENDGRID_SIGNATURE_MAX_AGE_SECONDS = 73 * 3600;
const FUTURE_SKEW_SECONDS = 300;

/** The policy's public key as SendGrid shows it (base64 DER) or as PEM; throws when it is neither. */
export function sendgridPublicKey(text: string): KeyObject {
  const key = text.includes('BEGIN PUBLIC KEY') ? createPublicKey(text) : createPublicKey({ key: Buffer.from(text.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec') throw new Error('not an elliptic-curve public key');
  return key;
}

const forbidden = (message: string) => new HubError(403, 'bad_signature', message);

/** Checks the signature headers before the body is read, feeds the body to the verifier as it streams, then decides. */
export class SendGridSignature {
  private readonly verifier: Verify;
  private readonly signature: Buffer;

  constructor(
    private readonly publicKey: KeyObject,
    headers: IncomingHttpHeaders,
    now: number = Date.now(),
  ) {
    const signature = headers[SENDGRID_SIGNATURE_HEADER];
    const timestamp = headers[SENDGRID_TIMESTAMP_HEADER];
    if (typeof signature !== 'string' || typeof timestamp !== 'string') {
      throw unauthorized('the request is not signed (X-Twilio-Email-Event-Webhook-Signature and -Timestamp)', 'bad_signature');
    }
    const age = now / 1000 - Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || age > SENDGRID_SIGNATURE_MAX_AGE_SECONDS || age < -FUTURE_SKEW_SECONDS) {
      throw forbidden('the SendGrid signature timestamp is outside the accepted window');
    }
    this.signature = Buffer.from(signature, 'base64');
    this.verifier = createVerify('sha256');
    this.verifier.update(timestamp);
  }

  update(chunk: Buffer): void {
    this.verifier.update(chunk);
  }

  verify(): void {
    let ok = false;
    try {
      ok = this.verifier.verify(this.publicKey, this.signature);
    } catch {
      ok = false;
    }
    if (!ok) throw forbidden('the SendGrid signature does not match');
  }
}

const charsets = z.record(z.string(), z.string());
const attachmentInfo = z.record(z.string(), z.object({ filename: z.string().optional(), name: z.string().optional(), type: z.string().optional(), 'content-id': z.string().optional() }));

/** The message a SendGrid post carries: `email` as is, else rebuilt from the parsed fields; null when it carries neither. */
export async function sendgridMime(form: RelayForm): Promise<Buffer | null> {
  const raw = form.get('email');
  if (raw) return raw.bytes();
  const block = form.get('headers');
  if (!block && !form.get('text') && !form.get('html')) return null;

  const labels = (await jsonField(form, 'charsets', charsets)) ?? {};
  // SendGrid decodes to, from, cc and subject to UTF-8 (charsets says so); `headers` is the section as received.
  const headers = block
    ? headerSection(await block.bytes())
    : [header('From', (await form.text('from')) ?? ''), header('To', (await form.text('to')) ?? ''), header('Subject', (await form.text('subject')) ?? '')];
  const info = (await jsonField(form, 'attachment-info', attachmentInfo)) ?? {};
  const attachments: RebuiltAttachment[] = await Promise.all(
    form.parts
      .filter((part) => /^attachment\d+$/.test(part.name) && part.filename !== null)
      .map(async (part) => {
        const described = info[part.name];
        return {
          filename: described?.filename ?? part.filename ?? part.name,
          contentType: described?.type ?? part.contentType ?? 'application/octet-stream',
          contentId: described?.['content-id'] ?? null,
          content: await part.bytes(),
        };
      }),
  );
  const text = await form.get('text')?.bytes();
  const html = await form.get('html')?.bytes();
  return buildMime({
    headers,
    // The text and html fields are in the charset the mail declared: the bytes go on untouched, labelled.
    text: text ? { bytes: text, charset: charsetLabel(labels['text']) } : null,
    html: html ? { bytes: html, charset: charsetLabel(labels['html']) } : null,
    attachments,
  });
}
