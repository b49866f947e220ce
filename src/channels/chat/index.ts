import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Router } from 'express';
import type { Logger } from 'pino';
import type { ChannelDelivery } from '../../conversations/delivery.js';
import type { EventBus } from '../../conversations/events.js';
import type { InboundMessage, IngestResult } from '../../conversations/inbound.js';
import type { JobHandler } from '../../jobs/catalog.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Store } from '../../store/store.js';
import type { TeamConfig } from '../../team/hours.js';
import type { IncidentBanner } from '../../triage/incidents.js';
import type { Eta } from '../../team/eta.js';
import type { Mailer } from '../../mail/mailer.js';
import { chatApiRouter } from './api.js';
import type { ChatConfig } from './config.js';
import { chatDelivery, unreadCheckJob } from './delivery.js';
import { SessionCache } from './sessions.js';
import { ChatStream } from './stream.js';

export interface ChatChannel {
  router: Router;
  delivery: ChannelDelivery;
  unreadCheck: JobHandler<'chat.unread-check'>;
  attach(server: Server): void;
  stream: ChatStream;
  close(): void;
}

const OPENAPI_PATH = new URL('./openapi.json', import.meta.url);

/** The in-app chat channel: SDK API v1, WebSocket stream, delivery, unread pushes. */
export function createChatChannel(deps: {
  store: Store;
  bus: EventBus;
  queue: JobQueue;
  log: Logger;
  chat: ChatConfig;
  mailer: Mailer | null;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  /** The first-reply promise for a normal conversation arriving now, from the team of `topic` (the availability notice). */
  expectedReply(customerTimeZone: string | null, at: Date, topic: string | null): Promise<Eta & { team: { hours: TeamConfig } }>;
  /** The status banner of an open, published incident (src/triage/incidents.ts). */
  incidentBanner?(): Promise<IncidentBanner | null>;
  incidentBannerSeen?(incidentId: string, contactId: string): Promise<boolean>;
  /** The hub's clock (sessions, read receipts, the availability notice). */
  clock?: () => Date;
}): ChatChannel {
  const openApiDocument = existsSync(OPENAPI_PATH) ? readFileSync(OPENAPI_PATH, 'utf8') : null;
  const sessions = new SessionCache();
  const stream = new ChatStream({ store: deps.store, bus: deps.bus, chat: deps.chat, log: deps.log, sessions });
  return {
    router: chatApiRouter({
      store: deps.store,
      sessions,
      chat: deps.chat,
      expectedReply: deps.expectedReply,
      ...(deps.incidentBanner ? { incidentBanner: deps.incidentBanner } : {}),
      ...(deps.incidentBannerSeen ? { incidentBannerSeen: deps.incidentBannerSeen } : {}),
      ingest: deps.ingest,
      openApiDocument,
      ...(deps.clock ? { clock: deps.clock } : {}),
      // Every process (this one included) closes the session's sockets and forgets it.
      revoked: (sessionId) => deps.bus.publish([{ type: 'session.revoked', sessionId }]),
    }),
    delivery: chatDelivery({ chat: deps.chat }),
    unreadCheck: unreadCheckJob({ store: deps.store, chat: deps.chat, log: deps.log, mailer: deps.mailer }),
    attach: (server) => stream.attach(server),
    stream,
    close: () => stream.close(),
  };
}
