import { createHmac, randomUUID } from 'node:crypto';
import type { FakeFaults } from '../helpdesk-fake.js';
import { zendeskTime, type ZdComment, type ZdStatus, type ZdTicket, type ZdUser } from './model.js';

/**
 * Event-subscription webhooks as Zendesk sends them (developer.zendesk.com › Webhooks › Webhook
 * event types › Ticket events): `type` zen:event-type:ticket.*, `subject` zen:ticket:<id>, a
 * `detail` object with the ticket's fields (ids as strings, enum values upper case) and an
 * `event` object specific to the type.
 */
export type TicketEventType = 'ticket.created' | 'ticket.comment_added' | 'ticket.status_changed';

export function ticketEvent(
  type: TicketEventType,
  accountId: number,
  ticket: ZdTicket,
  actor: ZdUser,
  event: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: `zen:event-type:${type}`,
    account_id: accountId,
    id: randomUUID(),
    time: new Date().toISOString(),
    zendesk_event_version: '2022-11-06',
    subject: `zen:ticket:${ticket.id}`,
    detail: {
      actor_id: String(actor.id),
      assignee_id: ticket.assignee_id === null ? null : String(ticket.assignee_id),
      brand_id: '360000000001',
      created_at: ticket.created_at,
      custom_status: null,
      description: ticket.description,
      external_id: ticket.external_id,
      form_id: '360000000002',
      group_id: null,
      id: String(ticket.id),
      is_public: ticket.comments.some((c) => c.public),
      organization_id: null,
      priority: ticket.priority?.toUpperCase() ?? null,
      requester_id: String(ticket.requester_id),
      status: ticket.status.toUpperCase(),
      subject: ticket.subject,
      submitter_id: String(ticket.submitter_id),
      tags: [...ticket.tags],
      type: ticket.type?.toUpperCase() ?? null,
      updated_at: ticket.updated_at,
      // Event payloads name the API channel "web_service" where REST objects say "api".
      via: { channel: ticket.via.channel === 'api' ? 'web_service' : ticket.via.channel },
    },
    event,
  };
}

export function commentEvent(comment: ZdComment, author: ZdUser): Record<string, unknown> {
  return {
    comment: {
      id: String(comment.id),
      body: comment.body,
      is_public: comment.public,
      author: { id: String(author.id), is_staff: author.role !== 'end-user', name: author.name },
    },
  };
}

export function statusEvent(previous: ZdStatus, current: ZdStatus): Record<string, unknown> {
  return { previous: previous.toUpperCase(), current: current.toUpperCase() };
}

/** `X-Zendesk-Webhook-Signature`: base64 HMAC-SHA256(signing secret, timestamp + raw body). */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(timestamp + body).digest('base64');
}

interface Delivery {
  payload: Record<string, unknown>;
}

/**
 * An asynchronous, signed delivery queue. Deliveries go out one at a time; a failed one (no
 * answer, 409, 429 or 5xx) is retried a few times with a short backoff. Zendesk's real policy is
 * narrower and slower (see README); the shape of a redelivery — same event id, new invocation —
 * is what matters to the hub.
 */
export class WebhookSender {
  target: string | null = null;
  sent = 0;
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private invocation = 8_350_205_582;
  private closed = false;

  constructor(
    private readonly options: {
      secret: string;
      accountId: number;
      webhookId: string;
      random: () => number;
      faults: () => FakeFaults;
      retryDelaysMs?: number[];
    },
  ) {}

  enqueue(payload: Record<string, unknown>): void {
    const faults = this.options.faults();
    if (this.options.random() < faults.webhookDropRate) return;
    const copies = this.options.random() < faults.webhookDuplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) this.schedule({ payload });
  }

  /** Resolves when every delivery queued so far has been attempted (retries included). */
  async flush(): Promise<void> {
    while (this.pending > 0) await this.tail;
  }

  close(): void {
    this.closed = true;
  }

  private schedule(delivery: Delivery): void {
    this.pending++;
    this.tail = this.tail.then(async () => {
      try {
        if (!this.closed && this.target) await this.deliver(delivery, this.target);
      } finally {
        this.pending--;
      }
    });
  }

  private async deliver(delivery: Delivery, target: string): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const invocationId = String(this.invocation++);
    this.sent++;
    const delays = this.options.retryDelaysMs ?? [50, 150, 400];
    for (let attempt = 0; ; attempt++) {
      const timestamp = zendeskTime(Date.now());
      let status: number | null = null;
      try {
        const response = await fetch(target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'user-agent': 'Zendesk Webhook',
            'x-zendesk-account-id': String(this.options.accountId),
            'x-zendesk-webhook-id': this.options.webhookId,
            'x-zendesk-webhook-invocation-id': invocationId,
            'x-zendesk-webhook-signature-timestamp': timestamp,
            'x-zendesk-webhook-signature': signWebhook(this.options.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(12_000),
        });
        status = response.status;
        await response.body?.cancel();
      } catch {
        status = null;
      }
      const retryable = status === null || status === 409 || status === 429 || status >= 500;
      if (!retryable || attempt >= delays.length || this.closed) return;
      await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
    }
  }
}
