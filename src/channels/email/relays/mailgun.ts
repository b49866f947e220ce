/**
 * Mailgun routes (documentation.mailgun.com, "Receiving Messages via HTTP through a forward()
 * action", "Storing and Retrieving Messages", "Securing Webhooks"). A route URL ending in `mime`
 * gets the original message in `body-mime`; any other URL gets the parsed form (UTF-8 text,
 * `message-headers` as a JSON list of [name, value], files attachment-1…N), which is rebuilt here.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HubError } from '../../../errors.js';
import { jsonField, type FormPart, type RelayForm } from './form-reader.js';
import { buildMime, header, type RebuiltAttachment, type RebuiltHeader } from './rebuild-mime.js';

/**
 * How old a signature may be. Mailgun retries a route POST for 8 hours (10 min … 4 h) and, as far
 * as anyone has observed (its docs are silent), resends the first attempt's signature block: a
 * 5-minute window would refuse every retry, and 406 tells Mailgun to drop the mail. Replays are
 * answered from the record of processed tokens; the same mail twice is deduplicated by Message-ID.
 */
export const MAILGUN_SIGNATURE_MAX_AGE_SECONDS = 9 * 3600;
const FUTURE_SKEW_SECONDS = 300;

// 406 is the one answer that stops Mailgun's retries: a forgery gets nothing to retry.
const refused = (message: string) => new HubError(406, 'bad_signature', message);

/**
 * Collects timestamp, token and signature as the form streams in and verifies them as soon as all
 * three are there, so a forged post is refused before its body is read.
 */
export class MailgunSignature {
  private readonly values = new Map<string, string>();
  private verified = false;

  constructor(
    private readonly signingKey: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  see(name: string, value: Buffer): void {
    if ((name !== 'timestamp' && name !== 'token' && name !== 'signature') || this.values.has(name)) return;
    this.values.set(name, value.toString('latin1'));
    if (this.values.size === 3) this.verify();
  }

  /** The verified token; throws 406 when the post never carried a valid signature block. */
  token(): string {
    if (!this.verified) throw refused('the post carries no Mailgun signature (timestamp, token, signature)');
    return this.values.get('token')!;
  }

  private verify(): void {
    const timestamp = this.values.get('timestamp')!;
    const token = this.values.get('token')!;
    const signature = this.values.get('signature')!;
    const expected = createHmac('sha256', this.signingKey).update(timestamp + token).digest();
    if (!/^[0-9a-f]{64}$/i.test(signature) || !timingSafeEqual(Buffer.from(signature, 'hex'), expected)) {
      throw refused('the Mailgun signature does not match');
    }
    const age = this.now() / 1000 - Number(timestamp);
    if (!/^\d{1,12}$/.test(timestamp) || age > MAILGUN_SIGNATURE_MAX_AGE_SECONDS || age < -FUTURE_SKEW_SECONDS) {
      throw refused('the Mailgun timestamp is outside the accepted window');
    }
    this.verified = true;
  }
}

const headerList = z.array(z.tuple([z.string(), z.string()]));
const cidMap = z.record(z.string(), z.string());

/** The message a Mailgun post carries: the original bytes from a mime route, else rebuilt. */
export async function mailgunMime(form: RelayForm): Promise<Buffer | null> {
  const raw = form.get('body-mime');
  if (raw) return raw.bytes();
  if (!form.get('body-plain') && !form.get('message-headers')) return null;

  const listed = await jsonField(form, 'message-headers', headerList);
  const headers: RebuiltHeader[] = listed
    ? listed.map(([name, value]) => header(name, value))
    : // Without the list, the few documented top-level fields.
      [header('From', (await form.text('from')) ?? ''), header('To', (await form.text('recipient')) ?? ''), header('Subject', (await form.text('subject')) ?? '')];

  // content-id-map: {"<cid>": "attachment-1", …}
  const cids = new Map(Object.entries((await jsonField(form, 'content-id-map', cidMap)) ?? {}).map(([cid, field]) => [field, cid.replace(/^<|>$/g, '')]));
  const files = form.parts.filter((part): part is FormPart => /^attachment-\d+$/.test(part.name) && part.filename !== null);
  const attachments: RebuiltAttachment[] = await Promise.all(
    files.map(async (part) => ({ filename: part.filename ?? part.name, contentType: part.contentType ?? 'application/octet-stream', contentId: cids.get(part.name) ?? null, content: await part.bytes() })),
  );
  // "Mailgun will parse the message, encode it into UTF-8": the text fields are UTF-8.
  const text = await form.get('body-plain')?.bytes();
  const html = await form.get('body-html')?.bytes();
  return buildMime({
    headers,
    text: text ? { bytes: text, charset: 'utf-8' } : null,
    html: html ? { bytes: html, charset: 'utf-8' } : null,
    attachments,
  });
}
