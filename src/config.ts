import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { envBoolean } from './config/env-boolean.js';
import YAML from 'yaml';
import { redact, secret, secretPaths } from './config/secrets.js';
import type { AnyIntegration } from './capabilities/integration.js';
import { chatSchema } from './channels/chat/config.js';
import { mailSchema } from './channels/email/config.js';
import { teamSchema } from './team/hours.js';
import { etaSchema } from './team/eta.js';
import { teamsSchema } from './team/teams.js';
import { oncallSchema } from './team/oncall.js';
import { syncEnv, syncSchema } from './sync/config.js';
import { sidebarEnv, sidebarSchema } from './sidebar/config.js';
import { dashboardEnv, dashboardSchema } from './dashboard/config.js';
import { acknowledgeSchema, escalationEnv, escalationSchema, incidentsSchema } from './triage/escalation/config.js';
import { retentionEnv, retentionSchema } from './privacy/retention/config.js';

/**
 * All settings (ARCHITECTURE §8). Sources, later wins: defaults → the `HUB_CONFIG` file (JSON or
 * YAML) → environment variables. Flat environment keys are shorthands for paths in this schema.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const coreSchema = z.object({
  http: z
    .object({
      port: int(0, 65535).default(3000),
      host: z.string().min(1).default('0.0.0.0'),
      /** Largest JSON/form body accepted, in bytes; bigger requests get 413. */
      bodyLimitBytes: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
      /** Trust X-Forwarded-* from a reverse proxy (needed for Secure cookies behind TLS). */
      trustProxy: envBoolean.default(false),
      publicUrl: z.url().optional(),
      /** Signs links to attachments too large for a helpdesk's upload limit (with publicUrl). */
      linkSecret: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    })
    .prefault({}),
  store: z
    .object({
      dataDir: z.string().min(1).default('./data'),
      databaseUrl: secret(
        z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL').optional(),
      ),
      poolSize: int(2, 200).default(10),
    })
    .prefault({}),
  jobs: z
    .object({
      /** Workers per queue in this process. */
      concurrency: int(1, 64).default(4),
      /** How often expired (crashed-worker) jobs are handed back; pg-boss 10 has no heartbeat. */
      maintenanceIntervalSeconds: int(1, 3600).default(15),
    })
    .prefault({}),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** Keys the pseudonyms that stand for email addresses in the logs (src/ops/log-pseudonyms.ts). */
      pseudonymKey: secret(z.string().min(16, 'must be at least 16 characters').optional()),
    })
    .prefault({}),
  shutdown: z.object({ timeoutMs: int(100, 120_000).default(10_000) }).prefault({}),
  admin: z
    .object({
      /** Bearer token for the operator API under /admin (failed jobs, replay, probes); unset = off. */
      token: secret(z.string().min(24, 'must be at least 24 characters').optional()),
      /**
       * Bearer token for `/metrics` and the integration details of `/readyz`; unset = both public
       * (restrict them at the proxy instead). `/healthz` and the readiness verdict stay public.
       */
      opsToken: secret(z.string().min(24, 'must be at least 24 characters').optional()),
    })
    .prefault({}),
  chat: chatSchema.prefault({}),
  team: teamSchema,
  /** Who is on call when (file-only: people, rotations, overrides, routes by category). */
  oncall: oncallSchema,
  /** First-response promises per urgency level (file-only; see src/team/eta.ts). */
  eta: etaSchema,
  /** Teams that answer some categories, each with its own hours and targets (file-only; src/team/teams.ts). */
  teams: teamsSchema,
  mail: mailSchema,
  sync: syncSchema,
  sidebar: sidebarSchema,
  /** Acknowledgements of new conversations (src/triage/acknowledge). */
  acknowledge: acknowledgeSchema,
  /** Escalation policies, the on-call email target and acknowledge links (src/triage/escalation). */
  escalation: escalationSchema,
  /** Clustering of outage reports into incidents. */
  incidents: incidentsSchema,
  /** The staff dashboard (logins, sessions, throttling). */
  dashboard: dashboardSchema,
  /** How long each kind of customer data is kept (src/privacy/retention). */
  retention: retentionSchema,
});

export interface EnvBinding {
  env: string;
  path: string[];
  description: string;
}

/** Environment shorthands of the core sections. Integrations add their own (see composeSchema). */
export const coreEnv: EnvBinding[] = [
  { env: 'PORT', path: ['http', 'port'], description: 'HTTP listen port' },
  { env: 'HOST', path: ['http', 'host'], description: 'HTTP listen address' },
  { env: 'HTTP_BODY_LIMIT_BYTES', path: ['http', 'bodyLimitBytes'], description: 'Largest request body accepted (bytes)' },
  { env: 'TRUST_PROXY', path: ['http', 'trustProxy'], description: 'Trust X-Forwarded-* headers from a reverse proxy' },
  { env: 'HUB_PUBLIC_URL', path: ['http', 'publicUrl'], description: 'Public base URL of the hub, used in links it sends' },
  {
    env: 'HUB_LINK_SECRET',
    path: ['http', 'linkSecret'],
    description: 'Signs expiring links to attachments too large for a helpdesk (needs HUB_PUBLIC_URL); unset = such files are named, not linked',
  },
  { env: 'HUB_DATA_DIR', path: ['store', 'dataDir'], description: 'Embedded store directory (PGlite data, lock file)' },
  { env: 'DATABASE_URL', path: ['store', 'databaseUrl'], description: 'PostgreSQL server URL; unset = embedded PGlite' },
  { env: 'DATABASE_POOL_SIZE', path: ['store', 'poolSize'], description: 'PostgreSQL connections per hub process' },
  { env: 'JOBS_CONCURRENCY', path: ['jobs', 'concurrency'], description: 'Job workers per queue in this process' },
  {
    env: 'JOBS_MAINTENANCE_INTERVAL_SECONDS',
    path: ['jobs', 'maintenanceIntervalSeconds'],
    description: 'How often jobs held by a crashed process are handed back',
  },
  { env: 'LOG_LEVEL', path: ['log', 'level'], description: 'pino log level' },
  {
    env: 'LOG_PSEUDONYM_KEY',
    path: ['log', 'pseudonymKey'],
    description: 'Keys the pseudonyms that replace email addresses in the logs; set the same on every process of one install (unset = a key kept in HUB_DATA_DIR)',
  },
  { env: 'SHUTDOWN_TIMEOUT_MS', path: ['shutdown', 'timeoutMs'], description: 'Longest graceful shutdown before exit' },
  { env: 'HUB_ADMIN_TOKEN', path: ['admin', 'token'], description: 'Bearer token of the operator API under /admin; unset = off' },
  {
    env: 'HUB_OPS_TOKEN',
    path: ['admin', 'opsToken'],
    description: 'Bearer token required by `/metrics` and for the integration details of `/readyz`; unset = public (restrict at the proxy)',
  },
  { env: 'CHAT_APP_ID', path: ['chat', 'appId'], description: 'Chat app id (single-app shorthand; several apps: `chat.apps` in the file)' },
  { env: 'CHAT_IDENTITY_SECRET', path: ['chat', 'identitySecret'], description: 'Key the product’s backend signs identity tokens (JWT HS256) and `user_hash` with, for that app' },
  { env: 'CHAT_ALLOW_ANONYMOUS', path: ['chat', 'allowAnonymous'], description: 'Let visitors chat without an identity (server-issued visitor id)' },
  { env: 'CHAT_ALLOWED_ORIGINS', path: ['chat', 'allowedOrigins'], description: 'Comma-separated browser origins allowed to call the SDK API (`*` = any)' },
  { env: 'CHAT_PUSH_WEBHOOK_URL', path: ['chat', 'pushWebhookUrl'], description: "Product backend URL that receives signed 'unread reply' events for mobile pushes" },
  { env: 'CHAT_PUSH_SECRET', path: ['chat', 'pushSecret'], description: 'Signing secret of those events (default: the identity secret)' },
  { env: 'CHAT_SESSION_TTL_SECONDS', path: ['chat', 'sessionTtlSeconds'], description: 'Lifetime of an SDK session token' },
  { env: 'CHAT_UNREAD_NOTIFY_AFTER_SECONDS', path: ['chat', 'unreadNotifyAfterSeconds'], description: 'An agent reply unread this long triggers the push event' },
  { env: 'CHAT_MAX_MESSAGE_LENGTH', path: ['chat', 'maxMessageLength'], description: 'Longest chat message accepted (characters)' },
  { env: 'CHAT_ATTACHMENT_MAX_BYTES', path: ['chat', 'attachmentMaxBytes'], description: 'Largest chat attachment accepted (bytes)' },
  { env: 'CHAT_SESSION_MESSAGES_PER_MINUTE', path: ['chat', 'sessionMessagesPerMinute'], description: 'Messages one SDK session may send per minute' },
  { env: 'CHAT_APP_REQUESTS_PER_SECOND', path: ['chat', 'appRequestsPerSecond'], description: 'SDK API requests per second one session may make, and before signing in (or with a bad token) one client address (per hub process)' },
  { env: 'MAIL_SMTP_URL', path: ['mail', 'smtpUrl'], description: 'Outbound SMTP relay, e.g. `smtp://user:password@smtp.example.com:587`' },
  { env: 'MAIL_FROM', path: ['mail', 'from'], description: 'From of mail the hub sends, e.g. `Acme Support <support@acme.example>`' },
  { env: 'MAIL_DOMAIN', path: ['mail', 'domain'], description: "Domain of the hub's Message-IDs (default: the From domain)" },
  { env: 'MAIL_INBOUND_ADDRESS', path: ['mail', 'inboundAddress'], description: 'Support mailbox the hub receives mail for; unset = no inbound mail' },
  { env: 'SMTP_PORT', path: ['mail', 'smtpPort'], description: 'Port of the built-in SMTP listener for inbound mail' },
  { env: 'SMTP_HOST', path: ['mail', 'smtpHost'], description: 'Listen address of the built-in SMTP listener' },
  { env: 'MAIL_SMTP_TLS_CERT_FILE', path: ['mail', 'smtpTlsCertFile'], description: 'PEM certificate (chain) of the SMTP listener; with the key, STARTTLS is offered' },
  { env: 'MAIL_SMTP_TLS_KEY_FILE', path: ['mail', 'smtpTlsKeyFile'], description: 'PEM private key of that certificate' },
  { env: 'MAIL_MAX_MESSAGE_BYTES', path: ['mail', 'maxMessageBytes'], description: 'Largest inbound mail accepted (bytes); bigger is refused at DATA' },
  { env: 'MAIL_REPLY_SECRET', path: ['mail', 'replySecret'], description: 'Signs reply addresses (`reply+token@domain`) so replies thread and cannot be forged' },
  { env: 'MAIL_IMAP_URL', path: ['mail', 'imapUrl'], description: 'Poll this IMAP folder for inbound mail, e.g. `imaps://user:password@imap.example.com:993/INBOX`' },
  { env: 'MAIL_IMAP_POLL_SECONDS', path: ['mail', 'imapPollSeconds'], description: 'Seconds between IMAP polls' },
  { env: 'MAIL_RELAY_SECRET', path: ['mail', 'relaySecret'], description: 'Verifies raw MIME relayed to `POST /inbound/email/raw` (X-Hub-Signature)' },
  { env: 'MAIL_RELAY_BASIC_AUTH', path: ['mail', 'relayBasicAuth'], description: '`user:password` relays put in the webhook URL (Postmark; SendGrid without a security policy)' },
  { env: 'MAIL_THREAD_BY_SUBJECT', path: ['mail', 'threadBySubject'], description: 'Thread mail naming no thread by subject (same sender, 7 days); off by default' },
  { env: 'MAIL_CHECK_SENDERS', path: ['mail', 'checkSenders'], description: 'Check SPF/DKIM/DMARC of inbound mail; only a DMARC pass verifies a sender' },
  { env: 'MAILGUN_SIGNING_KEY', path: ['mail', 'mailgunSigningKey'], description: 'Verifies Mailgun routes posting to `/inbound/email/mailgun/mime` (or `/inbound/email/mailgun`)' },
  {
    env: 'SENDGRID_PARSE_PUBLIC_KEY',
    path: ['mail', 'sendgridParsePublicKey'],
    description: 'Public key of a SendGrid Inbound Parse security policy (as SendGrid returns it); set = posts to `/inbound/email/sendgrid` must be signed, unset = basic auth',
  },
  { env: 'CHAT_EMAIL_LINK_URL', path: ['chat', 'emailLinkUrl'], description: 'Link in unread-reply emails back to the app; `{conversation_id}` is filled in' },
  { env: 'TEAM_TIME_ZONE', path: ['team', 'timeZone'], description: 'Time zone of the support team (IANA name)' },
  { env: 'TEAM_BUSINESS_HOURS', path: ['team', 'businessHours'], description: 'Weekly hours, e.g. `mon-fri 09:00-17:00; sat 10:00-14:00`' },
  { env: 'TEAM_HOLIDAYS', path: ['team', 'holidays'], description: 'Comma-separated closed dates (YYYY-MM-DD)' },
  {
    env: 'TEAM_FIRST_RESPONSE_TARGET_MINUTES',
    path: ['eta', 'firstResponseTargetMinutes', 'normal'],
    description: 'First reply promised for normal-urgency conversations, in business minutes, until history says otherwise (other levels: `eta` in the config file)',
  },
  ...syncEnv,
  ...sidebarEnv,
  ...escalationEnv,
  ...dashboardEnv,
  ...retentionEnv,
];

export function composeSchema(integrations: readonly AnyIntegration[]) {
  const sections: Record<string, z.ZodType> = {};
  for (const integration of integrations) sections[integration.id] = integration.configSchema.prefault({});
  return coreSchema.extend({ integrations: z.object(sections).prefault({}) });
}

export type CoreConfig = z.infer<typeof coreSchema>;
export type HubConfig = CoreConfig & { integrations: Record<string, Record<string, unknown>> };

export function envBindings(integrations: readonly AnyIntegration[]): EnvBinding[] {
  return [
    ...coreEnv,
    ...integrations.flatMap((integration) =>
      integration.env.map((shorthand: { env: string; key: string; description: string }) => ({
        env: shorthand.env,
        path: ['integrations', integration.id, shorthand.key],
        description: shorthand.description,
      })),
    ),
  ];
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: HubConfig;
  /** Dotted paths of secrets, for redaction. */
  secretPaths: string[][];
  redacted(): HubConfig;
}

export function loadConfig(
  integrations: readonly AnyIntegration[],
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const schema = composeSchema(integrations);
  const bindings = envBindings(integrations);
  const fromFile = readConfigFile(env['HUB_CONFIG']);
  const fromEnv: Record<string, unknown> = {};
  const envPathOwner = new Map<string, string>();
  for (const binding of bindings) {
    const value = env[binding.env];
    if (value === undefined || value === '') continue;
    setPath(fromEnv, binding.path, value);
    envPathOwner.set(binding.path.join('.'), binding.env);
  }
  const bindingByPath = new Map(bindings.map((b) => [b.path.join('.'), b.env]));
  const merged = deepMerge(fromFile, fromEnv);
  const result = schema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const key = issue.path.map(String).join('.');
        // A list item's problem belongs to the setting that holds the list.
        const prefixes = issue.path.map((_, i) => issue.path.slice(0, issue.path.length - i).map(String).join('.'));
        const owner = prefixes.map((p) => envPathOwner.get(p)).find(Boolean);
        const binding = prefixes.map((p) => bindingByPath.get(p)).find(Boolean);
        const where = owner
          ? `${owner} (${key})`
          : `${key}${env['HUB_CONFIG'] ? ` in ${env['HUB_CONFIG']}` : ''}${binding ? ` (or ${binding})` : ''}`;
        return `${where}: ${issue.message}`;
      }),
    );
  }
  const config = result.data as HubConfig;
  const problems = capabilityProblems(integrations, config, envPathOwner);
  if (problems.length > 0) throw new ConfigError(problems);
  const paths = secretPaths(schema);
  return { config, secretPaths: paths, redacted: () => redact(config, paths) };
}

/**
 * A capability with some but not all of its keys set is a typo or a half-finished setup: fail at
 * boot naming the missing keys rather than run "not configured" and surprise the operator later.
 */
function capabilityProblems(
  integrations: readonly AnyIntegration[],
  config: HubConfig,
  envPathOwner: Map<string, string>,
): string[] {
  const problems: string[] = [];
  for (const integration of integrations) {
    const section = config.integrations[integration.id] ?? {};
    for (const [capability, factory] of Object.entries(integration.capabilities)) {
      const requires: readonly string[] = factory?.requires ?? [];
      const present = requires.filter((key) => isSet(section[key]));
      if (present.length === 0 || present.length === requires.length) continue;
      const name = (key: string) => {
        const binding = integration.env.find((b: { key: string }) => b.key === key);
        return binding ? binding.env : `integrations.${integration.id}.${key}`;
      };
      const missing = requires.filter((key) => !isSet(section[key])).map(name);
      const given = present.map((key) => envPathOwner.get(`integrations.${integration.id}.${key}`) ?? name(key));
      problems.push(
        `${integration.name} ${capability}: ${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} set but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing`,
      );
    }
  }
  return problems;
}

export function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`HUB_CONFIG: cannot read ${path}: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    // YAML is a superset of JSON, so one parser reads both.
    parsed = YAML.parse(text);
  } catch (error) {
    throw new ConfigError([`HUB_CONFIG: ${path} is not valid JSON or YAML: ${(error as Error).message}`]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError([`HUB_CONFIG: ${path} must hold an object of settings`]);
  }
  return parsed as Record<string, unknown>;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] =
      isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
