/**
 * A fake Mailgun route: POSTs what a route's forward()/store(notify=…) action posts to the hub,
 * signed as Mailgun signs webhooks, and retries as Mailgun documents. See README.md.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  deliveryResult,
  encodeUrlencoded,
  fieldNames,
  hasFiles,
  httpPost,
  isStreamedBody,
  multipartChunks,
  sleep,
  type DeliveryAttempt,
  type DeliveryResult,
  type FormField,
} from './form-data.js';

export { forwardMimeFields, forwardParsedFields, mailgunHeaderName, officialFields, storeNotifyFields, type ReceivedMail } from './fields.js';
export type { DeliveryResult, FormField, StreamedValue } from './form-data.js';

/** "10 minutes, 15 minutes, 30 minutes, 1 hour, 2 hours, and 4 hours" (receive-http, route POSTs). */
export const MAILGUN_RETRY_SCHEDULE_MS = [10, 15, 30, 60, 120, 240].map((minutes) => minutes * 60_000);

const SIGNATURE_FIELDS = ['timestamp', 'token', 'signature'] as const;
const isSignatureField = (name: string): name is (typeof SIGNATURE_FIELDS)[number] => (SIGNATURE_FIELDS as readonly string[]).includes(name);

export interface SignatureBlock {
  timestamp: string;
  token: string;
  signature: string;
}

export interface MailgunRequestRecord {
  url: string;
  contentType: string;
  fieldNames: string[];
  status: number;
}

export interface ForwardOptions {
  /** The signature block to send (default: a fresh one made with the signing key). */
  signature?: SignatureBlock | null;
  /** Force an encoding (default: multipart/form-data when a field is a file or streamed, else urlencoded). */
  encoding?: 'multipart' | 'urlencoded';
  /** Put the signature block first instead of where the fields have it (or last). */
  signatureFirst?: boolean;
  /** One attempt only: not Mailgun's behaviour, for posts that play an attacker. */
  noRetry?: boolean;
}

export interface FakeMailgun {
  readonly requests: MailgunRequestRecord[];
  /** hex HMAC-SHA256(signing key, timestamp + token), the scheme of "Securing Webhooks". */
  sign(timestamp?: string, token?: string, key?: string): SignatureBlock;
  /** One route delivery with Mailgun's retries: 200 accepts, 406 refuses for good, anything else is retried. */
  forward(url: string, fields: readonly FormField[], options?: ForwardOptions): Promise<DeliveryResult>;
}

export function fakeMailgun(options: { signingKey: string; retryDelayScale?: number }): FakeMailgun {
  const requests: MailgunRequestRecord[] = [];
  const scale = options.retryDelayScale ?? 0;

  const sign = (timestamp = String(Math.floor(Date.now() / 1000)), token = randomBytes(25).toString('hex'), key = options.signingKey): SignatureBlock => ({
    timestamp,
    token,
    signature: createHmac('sha256', key).update(timestamp + token).digest('hex'),
  });

  const withSignature = (fields: readonly FormField[], block: SignatureBlock | null, first: boolean): FormField[] => {
    const unsigned = fields.filter((field) => !isSignatureField(field.name));
    if (!block) return unsigned;
    const blockFields = SIGNATURE_FIELDS.map((name) => ({ name, value: block[name] }));
    if (first) return [...blockFields, ...unsigned];
    // Keep the block where the fields have it (the docs' examples carry one), else append it.
    const placed = fields.map((field) => (isSignatureField(field.name) ? { name: field.name, value: block[field.name] } : field));
    return [...placed, ...blockFields.filter((field) => !placed.some((p) => p.name === field.name))];
  };

  return {
    requests,
    sign,
    async forward(url, fields, forwardOptions = {}) {
      // ASSUMED (Mailgun's docs are silent; Hookdeck's Mailgun reference says so): a retry resends
      // the first attempt's signature block, it is not signed anew.
      const block = forwardOptions.signature === undefined ? sign() : forwardOptions.signature;
      const signed = withSignature(fields, block, forwardOptions.signatureFirst ?? false);
      const multipart = forwardOptions.encoding ? forwardOptions.encoding === 'multipart' : hasFiles(signed) || isStreamedBody(signed);
      const boundary = `mailgun-${randomBytes(12).toString('hex')}`;
      const contentType = multipart ? `multipart/form-data; boundary=${boundary}` : 'application/x-www-form-urlencoded';
      const attempts: DeliveryAttempt[] = [];
      for (let attempt = 0; ; attempt++) {
        const body = multipart ? multipartChunks(signed, boundary) : encodeUrlencoded(signed);
        const answer = await httpPost(url, { 'Content-Type': contentType, 'User-Agent': 'mailgun/treq-16.12.0' }, body);
        attempts.push({ status: answer.status, body: answer.body, ...(answer.error ? { error: answer.error } : {}) });
        requests.push({ url, contentType, fieldNames: fieldNames(signed), status: answer.status });
        if (answer.status === 200) return deliveryResult('accepted', attempts);
        if (answer.status === 406) return deliveryResult('rejected', attempts);
        const delay = forwardOptions.noRetry ? undefined : MAILGUN_RETRY_SCHEDULE_MS[attempt];
        if (delay === undefined) return deliveryResult('gave_up', attempts);
        await sleep(delay * scale);
      }
    },
  };
}
