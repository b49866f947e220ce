import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { ChannelDelivery } from '../../conversations/delivery.js';
import type { JobHandler } from '../../jobs/catalog.js';
import { HUB_SIGNATURE_HEADER, signHubPayload } from '../../http/hub-signature.js';
import type { Store } from '../../store/store.js';
import type { ChatConfig } from './config.js';
import type { Mailer, OutboundMail } from '../../mail/mailer.js';

/**
 * The chat channel's delivery. The reply reaches open sockets through the event bus right after
 * commit, and a reconnecting client catches up from its cursor, so the durable delivery job has
 * nothing left to send. For the customer who is not looking, the check that may push them is
 * enqueued with the reply itself.
 */
export function chatDelivery(deps: { chat: ChatConfig }): ChannelDelivery {
  return {
    channel: 'chat',
    deliveredOnStore: true,
    async deliver() {},
    jobsOnStore(message) {
      if (message.author_kind !== 'agent') return [];
      const startAfter = new Date(message.created_at.getTime() + deps.chat.unreadNotifyAfterSeconds * 1000);
      return [{ name: 'chat.unread-check', data: { messageId: message.id }, startAfter }];
    },
  };
}

const PUSH_TIMEOUT_MS = 10_000;

/**
 * `chat.unread-check`: if the reply is still unread, tell the customer another way — a signed
 * event (X-Hub-Signature) to the app's push webhook, so the product sends an APNs/FCM
 * notification, and an email when the customer's address is known and verified (identified
 * users; never an anonymous visitor's claim). Each at most once: its ledger row is written after
 * it was accepted, and a stable event id / Message-ID lets the receiver drop the one duplicate a
 * crash between the two could cause.
 */
export function unreadCheckJob(deps: {
  store: Store;
  chat: ChatConfig;
  log: Logger;
  mailer: Mailer | null;
  fetch?: typeof fetch;
}): JobHandler<'chat.unread-check'> {
  const post = deps.fetch ?? fetch;
  const once = async (key: string, send: () => Promise<void>) => {
    const done = await deps.store.db.selectFrom('job_effects').select('key').where('key', '=', key).executeTakeFirst();
    if (done) return;
    await send();
    await sql`INSERT INTO job_effects (key, job_name) VALUES (${key}, 'chat.unread-check') ON CONFLICT DO NOTHING`.execute(deps.store.db);
  };
  return async ({ messageId }) => {
    const row = await deps.store.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .innerJoin('contacts as k', 'k.id', 'c.contact_id')
      .select([
        'm.id',
        'm.text',
        'm.read_at',
        'm.author_kind',
        'm.author_name',
        'm.created_at',
        'c.id as conversation_id',
        'c.contact_id',
        'c.source',
        'c.subject',
        'k.identity_kind',
        'k.identity_key',
        'k.email',
        'k.name',
        'k.verified',
      ])
      .where('m.id', '=', messageId)
      .executeTakeFirst();
    if (!row || row.read_at) return;
    const app = deps.chat.apps.find((a) => `chat:${a.id}` === row.source);
    if (!app) return;
    if (app.pushWebhookUrl) {
      const url = app.pushWebhookUrl;
      await once(`chat.push:${messageId}`, async () => {
        // The person's registered devices (PUT /v1/push-token), read when the event is sent so a
        // device that signed out since the reply is not notified; [] when the app registers none.
        const devices = await deps.store.db
          .selectFrom('chat_push_tokens')
          .select(['token', 'platform'])
          .where('app_id', '=', app.id)
          .where('contact_id', '=', row.contact_id)
          .orderBy('updated_at', 'desc')
          .execute();
        const body = JSON.stringify({
          id: `evt_unread_${messageId}`,
          type: 'chat.reply.unread',
          created_at: new Date().toISOString(),
          app_id: app.id,
          user: { id: row.identity_key.slice(app.id.length + 1), kind: row.identity_kind === 'chat' ? 'identified' : 'anonymous' },
          conversation_id: row.conversation_id,
          message: { id: row.id, author: { kind: row.author_kind, name: row.author_name }, preview: row.text.slice(0, 200), created_at: row.created_at.toISOString() },
          push_tokens: devices.map((d) => ({ token: d.token, platform: d.platform })),
        });
        const response = await post(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', [HUB_SIGNATURE_HEADER]: signHubPayload(app.pushSecret ?? app.identitySecret, body) },
          body,
          signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
        });
        if (!response.ok) throw new Error(`push webhook answered ${response.status}; will retry`);
        deps.log.info({ messageId, appId: app.id }, 'unread reply pushed to the product backend');
      });
    }
    const mailer = deps.mailer;
    if (mailer && row.email && row.verified && row.identity_kind === 'chat') {
      const email = row.email;
      await once(`chat.email:${messageId}`, async () => {
        await mailer.send(unreadReplyMail({ ...row, email }, app.emailLinkUrl));
        deps.log.info({ messageId, appId: app.id }, 'unread reply notified by email');
      });
    }
  };
}

function unreadReplyMail(
  row: { id: string; text: string; author_name: string | null; conversation_id: string; subject: string | null; name: string | null; email: string },
  linkTemplate: string | undefined,
): OutboundMail {
  const who = row.author_name ?? 'Our support team';
  const preview = row.text.length > 500 ? `${row.text.slice(0, 500)}…` : row.text;
  const link = linkTemplate?.replace('{conversation_id}', encodeURIComponent(row.conversation_id));
  return {
    to: { address: row.email, name: row.name ?? null },
    subject: row.subject ? `New reply: ${row.subject}` : `${who} replied to your message`,
    text: [
      `Hi${row.name ? ` ${row.name}` : ''},`,
      '',
      `${who} replied to your conversation:`,
      '',
      ...preview.split('\n').map((line) => `> ${line}`),
      '',
      link ? `Read it and answer in the app: ${link}` : 'Open the app to read it and answer.',
    ].join('\n'),
    key: `chat-unread:${row.id}`,
    automatic: 'auto-generated',
  };
}
