/**
 * A fake Postmark inbound stream: POSTs the inbound webhook JSON to the hub with the basic auth
 * Postmark takes from the webhook URL, and retries as Postmark documents. See README.md.
 */
import { deliveryResult, httpPost, sleep, type DeliveryAttempt, type DeliveryResult } from '../mailgun/form-data.js';
import type { PostmarkInbound } from './payload.js';

export { inboundPayload, type PostmarkAddress, type PostmarkAttachment, type PostmarkInbound } from './payload.js';
export type { DeliveryResult } from '../mailgun/form-data.js';

/** "Understanding Inbound Webhook Retries": 10 retries over ~10.5 hours. */
export const POSTMARK_RETRY_SCHEDULE_MS = [1, 5, 10, 10, 10, 15, 30, 60, 120, 360].map((minutes) => minutes * 60_000);

export interface PostmarkRequestRecord {
  url: string;
  status: number;
  keys: string[];
  authorization: boolean;
}

export interface FakePostmark {
  readonly requests: PostmarkRequestRecord[];
  /**
   * One inbound delivery: `url` is the webhook URL as configured in Postmark, credentials
   * included (`https://user:password@hub/inbound/email/postmark`). A 200 accepts, a 403 stops
   * retries for good, anything else (and no answer) is retried on Postmark's schedule.
   */
  post(url: string, payload: PostmarkInbound | Record<string, unknown>): Promise<DeliveryResult>;
}

export function fakePostmark(options: { retryDelayScale?: number } = {}): FakePostmark {
  const requests: PostmarkRequestRecord[] = [];
  const scale = options.retryDelayScale ?? 0;
  return {
    requests,
    async post(url, payload) {
      const body = Buffer.from(JSON.stringify(payload), 'utf8');
      const attempts: DeliveryAttempt[] = [];
      for (let attempt = 0; ; attempt++) {
        const answer = await httpPost(url, { 'Content-Type': 'application/json', 'User-Agent': 'Postmark' }, body);
        attempts.push({ status: answer.status, body: answer.body, ...(answer.error ? { error: answer.error } : {}) });
        requests.push({ url, status: answer.status, keys: Object.keys(payload), authorization: new URL(url).username !== '' });
        if (answer.status === 200) return deliveryResult('accepted', attempts);
        if (answer.status === 403) return deliveryResult('rejected', attempts);
        const delay = POSTMARK_RETRY_SCHEDULE_MS[attempt];
        if (delay === undefined) return deliveryResult('gave_up', attempts);
        await sleep(delay * scale);
      }
    },
  };
}
