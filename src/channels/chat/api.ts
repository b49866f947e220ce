import { createHash, randomUUID } from 'node:crypto';
import express, { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { badRequest, forbidden, notFound, payloadTooLarge } from '../../errors.js';
import type { InboundMessage, IngestResult } from '../../conversations/inbound.js';
import { bearerToken } from '../../http/bearer.js';
import { attachmentDisposition } from '../../http/content-disposition.js';
import { attachmentBytesRemoved, attachmentRemoved } from '../../privacy/retention/removed-attachment.js';
import type { AttachmentRef } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import type { TeamConfig } from '../../team/hours.js';
import type { Eta } from '../../team/eta.js';
import type { IncidentBanner } from '../../triage/incidents.js';
import { availability } from './availability.js';
import type { ChatApp, ChatConfig } from './config.js';
import { firstReplies } from './first-reply.js';
import { decodeCursor, encodeCursor, presentAttachment, presentConversation, presentMessage } from './presenters.js';
import { assertOwnConversation, messagesAfter, ownConversation, unreadCounts } from './queries.js';
import { RateLimiter } from './rate-limit.js';
import { authenticate, chatIdentity, createSession, presentUser, revokeSession, sessionRequestSchema, type ChatUser, type SessionCache } from './sessions.js';
import { sniffContentType } from './sniff.js';

export interface ChatApiDeps {
  store: Store;
  sessions: SessionCache;
  chat: ChatConfig;
  /** The promise for a normal conversation arriving now, from the team that answers `topic` (a triage category; null: the default team). */
  expectedReply(customerTimeZone: string | null, at: Date, topic: string | null): Promise<Eta & { team: { hours: TeamConfig } }>;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  openApiDocument: string | null;
  /** The open incident customers are told about before they write (the status banner), if any. */
  incidentBanner?(): Promise<IncidentBanner | null>;
  /** The contact's widget showed that banner; false when it is no longer shown. */
  incidentBannerSeen?(incidentId: string, contactId: string): Promise<boolean>;
  /** A session was revoked: tell every process (open sockets close, caches forget it). */
  revoked?(sessionId: string): Promise<void>;
  clock?: () => Date;
}

declare module 'express-serve-static-core' {
  interface Request {
    chatApp?: ChatApp;
    chatUser?: ChatUser;
  }
}

const messageBody = (maxLength: number) =>
  z.object({
    text: z.string().trim().min(1, 'must not be empty').max(maxLength, `must be at most ${maxLength} characters`),
    client_id: z.string().min(1).max(100),
    attachments: z.array(z.uuid()).max(10).optional(),
  });

/** The versioned SDK API (`/v1`): sessions, conversations, messages, attachments, availability. */
export function chatApiRouter(deps: ChatApiDeps): Router {
  const { store, chat } = deps;
  const now = deps.clock ?? (() => new Date());
  const apps = new Map(chat.apps.map((app) => [app.id, app]));
  // Requests are budgeted per session once the token is verified, and per client address before
  // (or when it fails): one caller can spend only its own budget, never the app's for every user.
  const requestLimiter = new RateLimiter(chat.appRequestsPerSecond, chat.appRequestsPerSecond);
  const byAddress = (req: Request) => requestLimiter.take(`address\u0000${req.ip ?? 'unknown'}`, 'requests from this address');
  // A burst of a few messages is normal typing; the per-minute rate is the sustained ceiling.
  const messageLimiter = new RateLimiter(Math.min(10, chat.sessionMessagesPerMinute), chat.sessionMessagesPerMinute / 60);
  const anyOrigin = chat.apps.some((app) => app.allowedOrigins.includes('*'));
  const knownOrigins = new Set(chat.apps.flatMap((app) => app.allowedOrigins));
  const router = Router();

  // CORS for browsers embedding the widget on the customer's site. A preflight carries no app id,
  // so it is answered for any configured origin; the app's own list is enforced on the request.
  router.use('/v1', (req, res, next) => {
    res.set('Cross-Origin-Resource-Policy', 'cross-origin');
    const origin = req.get('origin');
    if (origin && (anyOrigin || knownOrigins.has(origin))) {
      res.set({
        'Access-Control-Allow-Origin': origin,
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, X-Hub-App-Id, X-Request-Id',
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Expose-Headers': 'Retry-After, X-Request-Id',
        'Access-Control-Max-Age': '600',
      });
      res.vary('Origin');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });

  router.get('/v1/openapi.json', (_req, res) => {
    if (!deps.openApiDocument) throw notFound('the API description is not available');
    res.type('application/json').send(deps.openApiDocument);
  });

  const resolveApp: RequestHandler = (req, _res, next) => {
    const appId = req.get('x-hub-app-id');
    if (!appId) throw badRequest('name the chat app in the X-Hub-App-Id header', 'missing_app_id');
    const app = apps.get(appId);
    if (!app) throw badRequest(`unknown chat app "${appId.slice(0, 64)}"`, 'unknown_app');
    const origin = req.get('origin');
    if (origin && !app.allowedOrigins.includes('*') && !app.allowedOrigins.includes(origin)) {
      throw forbidden(`origin ${origin} is not allowed for this app`, 'origin_not_allowed');
    }
    req.chatApp = app;
    next();
  };
  const requireUser: RequestHandler = async (req, _res, next) => {
    try {
      req.chatUser = await authenticate(store, req.chatApp!.id, bearerToken(req.get('authorization')), now(), deps.sessions);
    } catch (error) {
      byAddress(req); // guessing tokens costs the guesser's own budget
      throw error;
    }
    requestLimiter.take(`session\u0000${req.chatUser.sessionId}`, 'requests in this session');
    next();
  };
  const user = (req: Request) => req.chatUser!;

  router.post('/v1/sessions', resolveApp, async (req, res) => {
    byAddress(req);
    const body = sessionRequestSchema.parse(req.body ?? {});
    const session = await createSession(store, req.chatApp!, body, chat.sessionTtlSeconds, now());
    res.status(201).json({ session_token: session.token, expires_at: session.expiresAt.toISOString(), user: presentUser(session.user) });
  });

  router.get('/v1/availability', resolveApp, async (req, res) => {
    byAddress(req);
    const zone = typeof req.query['time_zone'] === 'string' ? req.query['time_zone'] : null;
    // Like an unknown zone, a topic that is not a category name is ignored: v1 never refused it.
    const topic = typeof req.query['topic'] === 'string' && /^[a-z][a-z_]{0,39}$/.test(req.query['topic']) ? req.query['topic'] : null;
    const at = now();
    const [expected, banner] = await Promise.all([deps.expectedReply(zone, at, topic), deps.incidentBanner?.() ?? null]);
    // `incident` is additive within v1 and absent when nothing is published (openapi.json).
    res.json({ ...availability(expected.team.hours, at, zone, expected), ...(banner ? { incident: presentBanner(banner) } : {}) });
  });

  // The widget reports that it showed the banner, once per incident: how many customers saw it and
  // did not need to write is the banner's whole point (hub_incident_contacts_avoided).
  const incidentViewBody = z.object({ incident_id: z.uuid() });
  router.post('/v1/incident-views', resolveApp, requireUser, async (req, res) => {
    const { incident_id } = incidentViewBody.parse(req.body ?? {});
    if (!(await deps.incidentBannerSeen?.(incident_id, user(req).contactId))) throw notFound('no such incident is shown to customers', 'incident_not_shown');
    res.status(204).end();
  });

  // API 1.2: the device's push token, so the unread-reply push webhook can name the devices to
  // notify (openapi.json `registerPushToken`). A token is one app install: whoever registers it
  // last owns it, and revoking the registering session drops it.
  const pushTokenBody = z.object({ token: z.string().trim().min(1).max(4096), platform: z.enum(['android', 'ios']) });
  router.put('/v1/push-token', resolveApp, requireUser, async (req, res) => {
    const { token, platform } = pushTokenBody.parse(req.body ?? {});
    const { contactId, sessionId } = user(req);
    const values = { app_id: req.chatApp!.id, token, platform, contact_id: contactId, session_id: sessionId, updated_at: now() };
    await store.db
      .insertInto('chat_push_tokens')
      .values(values)
      .onConflict((oc) => oc.columns(['app_id', 'token']).doUpdateSet({ platform, contact_id: contactId, session_id: sessionId, updated_at: values.updated_at }))
      .execute();
    res.status(204).end();
  });

  router.delete('/v1/sessions/current', resolveApp, requireUser, async (req, res) => {
    await revokeSession(store, user(req).sessionId, now(), deps.sessions);
    await deps.revoked?.(user(req).sessionId);
    res.status(204).end();
  });

  router.get('/v1/conversations', resolveApp, requireUser, async (req, res) => {
    const rows = await store.db
      .selectFrom('conversations')
      .selectAll()
      .where('contact_id', '=', user(req).contactId)
      .where('channel', '=', 'chat')
      .orderBy('last_message_at', 'desc')
      .limit(50)
      .execute();
    const [unread, replies] = await Promise.all([unreadCounts(store, rows.map((r) => r.id)), firstReplies(store, rows)]);
    res.json({ conversations: rows.map((r) => presentConversation(r, unread.get(r.id) ?? 0, replies.get(r.id))) });
  });

  const newConversationBody = z.object({ subject: z.string().max(200).nullish(), message: messageBody(chat.maxMessageLength) });

  router.post('/v1/conversations', resolveApp, requireUser, async (req, res) => {
    const body = newConversationBody.parse(req.body ?? {});
    const me = user(req);
    messageLimiter.take(me.sessionId, 'messages');
    const identity = chatIdentity(me.appId, me.kind, me.userId);
    const result = await deps.ingest({
      ...(await inbound(me, body.message)),
      // The first message's client_id names the conversation, so a retried create finds it again.
      thread: { key: clientKey(identity.identityKey, body.message.client_id) },
      subject: body.subject ?? null,
    });
    const [unread, replies] = await Promise.all([unreadCounts(store, [result.conversation.id]), firstReplies(store, [result.conversation])]);
    res.status(result.created ? 201 : 200).json({
      conversation: presentConversation(result.conversation, unread.get(result.conversation.id) ?? 0, replies.get(result.conversation.id)),
      message: presentMessage(result.message),
    });
  });

  router.get('/v1/conversations/:id', resolveApp, requireUser, async (req, res) => {
    const conversation = await ownConversation(store, user(req).contactId, String(req.params['id']));
    const [unread, replies] = await Promise.all([unreadCounts(store, [conversation.id]), firstReplies(store, [conversation])]);
    res.json({ conversation: presentConversation(conversation, unread.get(conversation.id) ?? 0, replies.get(conversation.id)) });
  });

  router.post('/v1/conversations/:id/messages', resolveApp, requireUser, async (req, res) => {
    const me = user(req);
    const conversationId = String(req.params['id']);
    await assertOwnConversation(store, me.contactId, conversationId);
    const body = messageBody(chat.maxMessageLength).parse(req.body ?? {});
    messageLimiter.take(me.sessionId, 'messages');
    const result = await deps.ingest({ ...(await inbound(me, body)), thread: { conversationId } });
    res.status(result.created ? 201 : 200).json({ message: presentMessage(result.message) });
  });

  const listQuery = z.object({
    after: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  });

  router.get('/v1/conversations/:id/messages', resolveApp, requireUser, async (req, res) => {
    const conversation = await ownConversation(store, user(req).contactId, String(req.params['id']));
    const query = listQuery.parse(req.query);
    const after = decodeCursor(query.after);
    if (Number.isNaN(after)) throw badRequest('after: not a cursor this API issued', 'invalid_request');
    const rows = await messagesAfter(store, { conversationId: conversation.id }, after ?? 0, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    res.json({
      messages: page.map(presentMessage),
      cursor: last ? encodeCursor(last.position) : (query.after ?? null),
      has_more: rows.length > query.limit,
    });
  });

  const readBody = z.object({ cursor: z.string().max(100).optional() });

  router.post('/v1/conversations/:id/read', resolveApp, requireUser, async (req, res) => {
    const conversation = await ownConversation(store, user(req).contactId, String(req.params['id']));
    const body = readBody.parse(req.body ?? {});
    const upTo = decodeCursor(body.cursor);
    if (Number.isNaN(upTo)) throw badRequest('cursor: not a cursor this API issued', 'invalid_request');
    const readAt = now();
    let update = store.db
      .updateTable('messages')
      .set({ read_at: readAt })
      .where('conversation_id', '=', conversation.id)
      .where('direction', '=', 'outbound')
      .where('read_at', 'is', null);
    if (upTo !== null) update = update.where('position', '<=', upTo);
    await update.execute();
    const unread = await unreadCounts(store, [conversation.id]);
    res.json({ conversation_id: conversation.id, read_at: readAt.toISOString(), unread_count: unread.get(conversation.id) ?? 0 });
  });

  router.post(
    '/v1/attachments',
    resolveApp,
    requireUser,
    express.raw({ type: () => true, limit: chat.attachmentMaxBytes }),
    async (req, res) => {
      const content = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (content.length === 0) throw badRequest('the attachment body is empty', 'invalid_request');
      if (content.length > chat.attachmentMaxBytes) throw payloadTooLarge(`attachments are limited to ${chat.attachmentMaxBytes} bytes`);
      const declared = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const contentType = sniffContentType(declared, content);
      const filename = sanitizeFilename(typeof req.query['filename'] === 'string' ? req.query['filename'] : 'attachment');
      const row = await store.db
        .insertInto('attachments')
        .values({
          id: randomUUID(),
          contact_id: user(req).contactId,
          filename,
          content_type: contentType,
          size: content.length,
          sha256: createHash('sha256').update(content).digest('hex'),
          content,
        })
        .returning(['id', 'filename', 'content_type', 'size'])
        .executeTakeFirstOrThrow();
      res.status(201).json({
        attachment: presentAttachment({ id: row.id, filename: row.filename, contentType: row.content_type, size: row.size, location: `attachment:${row.id}` }),
      });
    },
  );

  router.get('/v1/attachments/:id', resolveApp, requireUser, async (req, res) => {
    const id = String(req.params['id']);
    const row = z.uuid().safeParse(id).success
      ? await store.db.selectFrom('attachments').selectAll().where('id', '=', id).where('contact_id', '=', user(req).contactId).executeTakeFirst()
      : undefined;
    if (!row) throw notFound(`attachment ${id} not found`, 'attachment_not_found');
    if (attachmentBytesRemoved(row)) throw attachmentRemoved(id);
    res.set({
      'Content-Type': row.content_type,
      'Content-Disposition': attachmentDisposition(row.filename),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, max-age=3600',
    });
    res.send(row.content);
  });

  async function inbound(me: ChatUser, body: z.infer<ReturnType<typeof messageBody>>): Promise<Omit<InboundMessage, 'thread'>> {
    const identity = chatIdentity(me.appId, me.kind, me.userId);
    return {
      channel: 'chat',
      source: `chat:${me.appId}`,
      sourceMessageId: clientKey(identity.identityKey, body.client_id),
      contact: { ...identity, email: me.email, name: me.name, verified: me.verified },
      text: body.text,
      attachments: await ownAttachments(me, body.attachments ?? []),
      metadata: { clientId: body.client_id, sessionId: me.sessionId, device: me.device },
    };
  }

  async function ownAttachments(me: ChatUser, ids: string[]): Promise<AttachmentRef[]> {
    if (ids.length === 0) return [];
    const rows = await store.db
      .selectFrom('attachments')
      .select(['id', 'filename', 'content_type', 'size'])
      .where('id', 'in', ids)
      .where('contact_id', '=', me.contactId)
      .execute();
    const missing = ids.filter((id) => !rows.some((r) => r.id === id));
    if (missing.length > 0) throw badRequest(`attachments not found: ${missing.join(', ')}`, 'invalid_request');
    return rows.map((r) => ({ id: r.id, filename: r.filename, contentType: r.content_type, size: r.size, location: `attachment:${r.id}` }));
  }

  return router;
}

function sanitizeFilename(name: string): string {
  // Keep what a person would recognise; drop paths and control characters.
  const base = name.split(/[\\/]/).pop() ?? 'attachment';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 200);
  return clean || 'attachment';
}

/**
 * The key a client's id is stored under, unique per user. `app:user:client` is ambiguous once a
 * user id or a client id contains `:` (user `a:b` with client `c` is user `a` with client `b:c`,
 * and that user would read the other's message back): such pairs are written as a JSON pair
 * instead, which cannot look like a plain key (it starts with `[`). Keys without `:` keep their
 * old form, so retries across an upgrade still find what they sent.
 */
export function clientKey(identityKey: string, clientId: string): string {
  const userId = identityKey.slice(identityKey.indexOf(':') + 1);
  return userId.includes(':') || clientId.includes(':') ? JSON.stringify([identityKey, clientId]) : `${identityKey}:${clientId}`;
}

function presentBanner(banner: IncidentBanner) {
  return { id: banner.id, title: banner.title, since: banner.since.toISOString(), updated_at: banner.updatedAt.toISOString(), message: banner.message };
}
