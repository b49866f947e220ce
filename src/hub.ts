import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import type { AnyIntegration } from './capabilities/integration.js';
import { IntegrationRegistry } from './capabilities/registry.js';
import { ConfigError, type LoadedConfig } from './config.js';
import { HubError } from './errors.js';
import { FileLinks } from './http/file-links.js';
import { createHelpdeskSync, replaySync, type HelpdeskSync } from './sync/index.js';
import { routingProblems } from './sync/config.js';
import { deliverMessageJob, type ChannelDelivery } from './conversations/delivery.js';
import { createEventBus, type EventBus } from './conversations/events.js';
import type { InboundFollowUp, InboundMessage, IngestResult } from './conversations/inbound.js';
import { Ingestor } from './conversations/ingest.js';
import { Replier, type OutboundReply, type ReplyResult } from './conversations/reply.js';
import { createChatChannel, type ChatChannel } from './channels/chat/index.js';
import { buildWidget } from './channels/chat/widget/build.js';
import { buildSidebarAppAssets } from './sidebar/app-client/build.js';
import { widgetRouter } from './channels/chat/widget/routes.js';
import { triageFollowUp, triageJob } from './triage/job.js';
import { createTriageResponse, type TriageResponse } from './triage/index.js';
import { createSidebar, type Sidebar } from './sidebar/index.js';
import { createDashboard } from './dashboard/index.js';
import { createMailer } from './mail/mailer.js';
import { createEmailChannel } from './channels/email/index.js';
import type { JobHandlers } from './jobs/catalog.js';
import { JobQueue } from './jobs/queue.js';
import { hubLogger } from './log.js';
import { adminRouter } from './ops/admin.js';
import { healthRouter } from './ops/health.js';
import { HubMetrics } from './ops/metrics.js';
import { probeJob } from './ops/probe.js';
import { retentionSchedule } from './privacy/retention/daily-job.js';
import { createPrivacy, type PrivacyService } from './privacy/index.js';
import { logPseudonymKey } from './ops/log-pseudonyms.js';
import { migrate } from './store/migrate.js';
import { openStore, type Store } from './store/store.js';
import { startEmbeddedVacuum } from './store/embedded-vacuum.js';

export interface HubOptions {
  integrations: readonly AnyIntegration[];
  channels?: readonly ChannelDelivery[];
  followUps?: readonly InboundFollowUp[];
  /** Run job workers in this process (default true). */
  workers?: boolean;
  log?: Logger;
  /** Names this process in probe rows and logs (default: pid). */
  processTag?: string;
  /** Time for escalation steps, acknowledgement promises and link expiry (tests move it). */
  clock?: () => Date;
  /** Fault-injection seams for crash tests. */
  faults?: { afterProbeEffect?: (probeId: string) => void | Promise<void> };
}

export interface Hub {
  loaded: LoadedConfig;
  log: Logger;
  store: Store;
  queue: JobQueue;
  bus: EventBus;
  metrics: HubMetrics;
  registry: IntegrationRegistry;
  chat: ChatChannel;
  sync: HelpdeskSync;
  sidebar: Sidebar;
  /** Acknowledgements, incidents and escalations. */
  triage: TriageResponse;
  /** Find, export and erase one person's data (src/privacy). */
  privacy: PrivacyService;
  /** Port of the built-in SMTP listener (null when inbound mail is off). */
  smtpPort: number | null;
  ingest(inbound: InboundMessage): Promise<IngestResult>;
  reply(outbound: OutboundReply): Promise<ReplyResult>;
  /** Starts the HTTP server; resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  server(): Server | null;
  /** Graceful stop, bounded by `shutdown.timeoutMs`. */
  stop(): Promise<void>;
}

/** Composition root: config → store (migrated) → events → jobs → ingest → HTTP. */
export async function startHub(loaded: LoadedConfig, options: HubOptions): Promise<Hub> {
  const { config } = loaded;
  const log = options.log ?? hubLogger(config);
  const metrics = new HubMetrics();
  const processTag = options.processTag ?? `pid-${process.pid}`;
  const opened: { close(): Promise<void> }[] = [];
  try {
    const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: config.store.poolSize });
    opened.push(store);
    const applied = await migrate(store);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');

    const bus = await createEventBus(log, store);
    opened.push(bus);
    const queue = new JobQueue(
      store,
      log,
      { concurrency: options.workers === false ? 0 : config.jobs.concurrency, maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds },
      { onJobDone: (name, outcome, seconds) => metrics.jobRuns.observe({ queue: name, outcome }, seconds) },
    );
    opened.push({ close: () => queue.stop(1000) });
    metrics.countJobsWith(() => queue.counts());

    const registry = new IntegrationRegistry(options.integrations, config, {
      store,
      log,
      publicUrl: config.http.publicUrl,
      onVendorRequest: (integrationId, _method, _path, status) =>
        metrics.vendorCalls.inc({ integration: integrationId, status: status === null ? 'none' : String(status) }),
      onVendorRateLimited: (integrationId, waitMs) => {
        metrics.vendorRateLimits.inc({ integration: integrationId });
        metrics.vendorRateLimitWait.inc({ integration: integrationId }, waitMs / 1000);
      },
    });
    const routing = routingProblems(config.sync, registry.all('helpdesk').map((h) => h.integrationId));
    if (routing.length > 0) throw new ConfigError(routing);
    // Sync and the ingest/reply paths refer to each other: sync queues pushes when messages are
    // stored, and stores what it pulls through ingest() and reply().
    const fileLinks = config.http.publicUrl && config.http.linkSecret ? new FileLinks(config.http.publicUrl, config.http.linkSecret) : null;
    const clock = options.clock ?? (() => new Date());
    let ingestor: Ingestor | null = null;
    let replier: Replier | null = null;
    const sync: HelpdeskSync = createHelpdeskSync({
      store,
      queue,
      log,
      registry,
      config: config.sync,
      processTag,
      maxWebhookBytes: config.http.bodyLimitBytes,
      ingest: (m) => ingestor!.ingest(m),
      reply: (r) => replier!.reply(r),
      attachmentUrl: (id) => fileLinks?.url(id) ?? null,
      incidentUrl: (id) => (config.http.publicUrl ? `${config.http.publicUrl.replace(/\/$/, '')}/dashboard/incidents/${id}` : null),
      // Solved at the helpdesk (an agent solved the Zendesk problem): resolved here once; a repeat finds it resolved.
      resolveIncident: async (incidentId, by) => {
        try {
          await triage.incidents.resolve(incidentId, null, by);
        } catch (error) {
          if (!(error instanceof HubError && error.status === 409)) throw error;
        }
      },
    });
    ingestor = new Ingestor({
      store,
      queue,
      bus,
      log,
      followUps: [triageFollowUp, sync.followUp, ...(options.followUps ?? [])],
      onIngested: (results) => {
        for (const r of results) metrics.messagesIngested.inc({ channel: r.conversation.channel });
      },
    }, { clock });
    const mailer = createMailer(config.mail);
    opened.push({ close: async () => mailer?.close() });
    const chat = createChatChannel({
      store,
      bus,
      queue,
      log,
      chat: config.chat,
      mailer,
      ingest: (m) => ingestor.ingest(m),
      expectedReply: (zone, at, topic) => triage.acknowledger.expectedReply('normal', topic, zone, at),
      incidentBanner: () => triage.incidents.banner(),
      incidentBannerSeen: (incidentId, contactId) => triage.incidents.bannerSeen(incidentId, contactId),
      clock,
    });
    opened.push({ close: async () => chat.close() });
    const email = createEmailChannel({ store, log, mail: config.mail, mailer, ingest: (m) => ingestor.ingest(m) });
    opened.push({ close: () => email.close() });
    // Channels given by the caller (tests) stand in for the built-in one of the same kind.
    const triage = createTriageResponse({
      store,
      queue,
      log,
      config,
      registry,
      mailer,
      metrics,
      clock,
      reply: (r) => replier!.reply(r),
      pushJobs: (conversationId) => sync.jobsOnTriage(conversationId),
      incidentJobs: (incidentId) => sync.jobsOnIncident(incidentId),
      maxBodyBytes: config.http.bodyLimitBytes,
    });
    const retention = retentionSchedule({ store, queue, log, config: config.retention, clock });
    const pseudonymKey = logPseudonymKey(config);
    const privacy = createPrivacy({ store, queue, log, registry, pseudonymKey });
    const channels = new Map([chat.delivery, email.delivery, sync.helpdeskChannel, ...(options.channels ?? [])].map((c) => [c.channel, c]));
    const handlers: JobHandlers = {
      'message.deliver': deliverMessageJob({ store, bus, log, channels: [...channels.values()] }),
      'chat.unread-check': chat.unreadCheck,
      'conversation.triage': triageJob({ store, bus, queue, jobsOnTriage: (id, call) => [...sync.jobsOnTriage(id), ...triage.jobsOnTriage(id, call)] }),
      ...triage.handlers,
      ...sync.handlers,
      'privacy.retention': retention.job,
      ...privacy.handlers,
      'ops.probe': probeJob({ store, processTag, afterEffect: options.faults?.afterProbeEffect }),
    };
    await queue.start(handlers);
    const smtpPort = await email.start();
    if (smtpPort !== null) log.info({ port: smtpPort, mailbox: config.mail.inboundAddress }, 'SMTP listener ready');
    replier = new Replier({
      store,
      queue,
      bus,
      log,
      clock,
      jobsOnStore: async (tx, stored) => [
        ...stored.flatMap(({ message, conversation }) => [...(channels.get(conversation.channel)?.jobsOnStore?.(message, conversation) ?? []), ...sync.jobsOnReply(message, conversation)]),
        ...(await triage.jobsOnReplies(tx, stored)),
      ],
      deliveredOnStore: (conversation) => channels.get(conversation.channel)?.deliveredOnStore === true,
    });
    sync.start();
    opened.push({ close: () => sync.stop() });
    if (options.workers !== false) triage.start();
    opened.push({ close: async () => triage.stop() });
    if (options.workers !== false) retention.start();
    const resuming =
      options.workers === false ? Promise.resolve() : privacy.resumeUnfinished().catch((error: unknown) => log.warn({ err: error }, 'resuming unfinished erasures failed; their jobs retry'));
    opened.push({ close: () => resuming });
    opened.push({ close: () => retention.stop() });
    // The embedded store has no autovacuum of its own (src/store/embedded-vacuum.ts).
    const vacuum = options.workers === false ? null : startEmbeddedVacuum(store, log);
    opened.push({ close: async () => vacuum?.stop() });

    // The embeddable chat widget is bundled at start (milliseconds when its sources are unchanged).
    const widget = await buildWidget();
    // So is the Help Scout sidebar app's script (with Help Scout's JS SDK from npm).
    const sidebar = createSidebar({ store, registry, bus, log, config: config.sidebar, teamTimeZone: config.team.timeZone, maxBodyBytes: config.http.bodyLimitBytes, appAssets: await buildSidebarAppAssets() });
    opened.push({ close: async () => sidebar.close() });
    const dashboard = config.dashboard.enabled
      ? createDashboard({ store, bus, log, config, secretPaths: loaded.secretPaths, registry, sync, triage, queue, cards: sidebar.cards, metrics, clock, privacy, pseudonymKey })
      : null;
    if (dashboard) opened.push({ close: async () => dashboard.close() });
    let shuttingDown = false;
    const app = buildApp({
      log,
      metrics,
      bodyLimitBytes: config.http.bodyLimitBytes,
      trustProxy: config.http.trustProxy,
      // The sidebar first: it is the busiest path (every conversation an agent opens). Its routers
      // include account-data webhooks (Stripe), which must come before the helpdesk ones.
      rawBodyRouters: [...sidebar.routers, email.relayRouter, ...triage.rawBodyRouters, sync.router],
      routers: [
        healthRouter({ store, queue, bus, metrics, shuttingDown: () => shuttingDown, integrations: () => sync.health(), ...(config.admin.opsToken ? { opsToken: config.admin.opsToken } : {}) }),
        // The dashboard parses its own form bodies and renders its own error pages.
        ...(dashboard ? [dashboard.router] : []),
        adminRouter({ token: config.admin.token, store, queue, registry, privacy, syncReplay: () => replaySync({ queue, store, sync }) }),
        chat.router,
        ...triage.routers,
        ...(fileLinks ? [fileLinks.router(store)] : []),
        widgetRouter({ widgetFile: widget.file, demoAppId: config.chat.apps[0]?.id ?? null }),
      ],
    });
    let server: Server | null = null;

    const stop = async () => {
      if (shuttingDown) return;
      shuttingDown = true;
      const deadline = Date.now() + config.shutdown.timeoutMs;
      const remaining = () => Math.max(0, deadline - Date.now());
      chat.close();
      dashboard?.close();
      await email.close();
      if (server) {
        const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
        server.closeIdleConnections();
        // In-flight requests get up to half the budget; then their connections are cut.
        await Promise.race([closed, sleep(remaining() / 2)]);
        server.closeAllConnections();
      }
      await sync.stop();
      triage.stop();
      await retention.stop();
      await vacuum?.stop();
      await Promise.race([Promise.all([ingestor!.drain(), replier!.drain()]), sleep(remaining() / 3)]);
      // Running jobs finish or are handed back (failed → retried) within the budget.
      await queue.stop(Math.max(1000, remaining() - 1500)).catch((error: Error) => log.warn({ err: error }, 'job queue stop'));
      await Promise.race([resuming, sleep(remaining())]);
      await bus.close();
      mailer?.close();
      await store.close();
      log.info('hub stopped');
    };

    return {
      loaded,
      log,
      store,
      queue,
      bus,
      metrics,
      registry,
      chat,
      smtpPort,
      sync,
      sidebar,
      triage,
      privacy,
      ingest: (inbound) => ingestor!.ingest(inbound),
      reply: (outbound) => replier!.reply(outbound),
      async listen(port = config.http.port, host = config.http.host) {
        server = app.listen(port, host);
        await once(server, 'listening');
        chat.attach(server);
        // Slow clients must not hold sockets forever; keep-alive a little longer than common proxies.
        server.keepAliveTimeout = 65_000;
        server.headersTimeout = 66_000;
        server.requestTimeout = 30_000;
        return (server.address() as AddressInfo).port;
      },
      server: () => server,
      stop,
    };
  } catch (error) {
    for (const resource of opened.reverse()) await resource.close().catch(() => {});
    throw error;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
