import { createHmac } from 'node:crypto';

/**
 * Help Scout's webhook delivery as the fake models it (developer.helpscout.com/webhooks):
 * `POST` of the v2 object with `X-HelpScout-Event` and `X-HelpScout-Signature` = base64
 * HMAC-SHA1(secret, raw body). Deliveries are queued and sent one at a time after the change that
 * caused them (never inside the API request), retried on a non-2xx answer or a network error.
 * Help Scout retries over hours; the fake compresses that to a few attempts 100–400 ms apart.
 */
export interface WebhookDelivery {
  event: string;
  body: string;
  signature: string;
  /** Status of each attempt (null = no answer). */
  attempts: (number | null)[];
}

export const WEBHOOK_ATTEMPTS = 4;

export class WebhookSender {
  target: string | null = null;
  sent = 0;
  dropped = 0;
  readonly deliveries: WebhookDelivery[] = [];
  private readonly queue: { target: string; delivery: WebhookDelivery }[] = [];
  private running = false;
  private closed = false;
  private idle: (() => void)[] = [];

  constructor(
    private readonly secret: string,
    private readonly random: () => number,
    private readonly rates: () => { dropRate: number; duplicateRate: number },
  ) {}

  enqueue(event: string, payload: unknown): void {
    if (!this.target || this.closed) return;
    const { dropRate, duplicateRate } = this.rates();
    if (this.random() < dropRate) {
      this.dropped++;
      return;
    }
    const body = JSON.stringify(payload);
    const copies = this.random() < duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delivery: WebhookDelivery = { event, body, signature: sign(this.secret, body), attempts: [] };
      this.deliveries.push(delivery);
      this.queue.push({ target: this.target, delivery });
    }
    void this.pump();
  }

  /** Resolves when every queued delivery has been attempted (including its retries). */
  flush(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    await this.flush();
  }

  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) await this.deliver(next.target, next.delivery);
    } finally {
      this.running = false;
      for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  private async deliver(target: string, delivery: WebhookDelivery): Promise<void> {
    for (let attempt = 0; attempt < WEBHOOK_ATTEMPTS && !this.closed; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      this.sent++;
      try {
        const response = await fetch(target, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-helpscout-event': delivery.event, 'x-helpscout-signature': delivery.signature },
          body: delivery.body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        delivery.attempts.push(response.status);
        if (response.status >= 200 && response.status < 300) return;
      } catch {
        delivery.attempts.push(null);
      }
    }
  }
}

export function sign(secret: string, body: string | Buffer): string {
  return createHmac('sha1', secret).update(body).digest('base64');
}
