import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import pino from 'pino';
import type { AnyIntegration, CapabilityName } from '../capabilities/integration.js';
import type { ConnectionCheck } from '../capabilities/helpdesk.js';
import { IntegrationRegistry } from '../capabilities/registry.js';
import type { LoadedConfig } from '../config.js';
import { parseImapUrl } from '../channels/email/imap-poller.js';
import { DataDirInUseError } from '../store/datadir-lock.js';
import { setupStatus } from './setup-status.js';
import { sidebarLines } from './doctor-sidebar.js';
import { migrate, migrationStatus } from '../store/migrate.js';
import { openStore, type Store } from '../store/store.js';

/**
 * `npm run doctor`: checks a configuration before it goes live, one line per check — the database
 * and its migrations, each configured integration's credentials and reachability (its own
 * `checkConnection`, with whatever else it learns there, such as Zendesk triggers that would mail
 * customers a second copy), webhook secrets, outbound SMTP and IMAP, and what the dashboard and
 * links need. Nothing is written to the hub's store or sent to anyone.
 */
export type DoctorOutcome = 'ok' | 'warn' | 'fail';

/**
 * One check. `fail` is something the hub needs (the run exits 1); `warn` is something optional
 * left out or degraded (printed with its fix, never failing the run). Every fail and warn has a
 * hint: a check that gives none gets a generic one here (see withFix).
 */
export interface DoctorLine {
  area: string;
  check: string;
  outcome: DoctorOutcome;
  detail: string;
  hint?: string;
}

const CHECKED: CapabilityName[] = ['helpdesk', 'accountData', 'escalation'];
const TIMEOUT_MS = 15_000;

export async function runDoctor(loaded: LoadedConfig, integrations: readonly AnyIntegration[]): Promise<DoctorLine[]> {
  const { config } = loaded;
  const lines: DoctorLine[] = [];
  const add = (line: DoctorLine) => lines.push(line);

  lines.push(...(await databaseLines(loaded)));
  let enabledIds: string[] = [];

  // Vendor calls go through a throwaway embedded store in memory (rate budgets live in the
  // database), so a check never writes to the hub's own and works while a running hub holds the
  // data directory.
  let scratch: Store | null = null;
  try {
    // In memory, nothing is written under dataDir: it only names where attachments would go.
    scratch = await openStore({ dataDir: join(tmpdir(), 'hub-doctor-scratch'), poolSize: 2, inMemory: true });
    await migrate(scratch);
    const log = pino({ level: 'silent' });
    const registry = new IntegrationRegistry(integrations, config, { store: scratch, log, publicUrl: config.http.publicUrl });
    const statuses = registry.status();
    const enabled = statuses.filter((s) => Object.values(s.capabilities).some((state) => state === 'enabled'));
    enabledIds = enabled.map((s) => s.id);
    // What is and is not set up, part by part (a missing part is a WARN: the hub runs without it).
    const helpdesks = statuses.filter((s) => s.capabilities.helpdesk === 'enabled').map((s) => s.name);
    for (const part of setupStatus(config, helpdesks)) {
      add({ area: 'hub', check: part.part, outcome: part.configured ? 'ok' : 'warn', detail: part.detail, ...(part.configured ? {} : { hint: part.howTo }) });
    }
    for (const status of enabled) {
      const integration = integrations.find((i) => i.id === status.id)!;
      for (const capability of CHECKED) {
        if (status.capabilities[capability] !== 'enabled') continue;
        const instance = registry.get(capability, status.id) as { checkConnection(signal?: AbortSignal): Promise<ConnectionCheck> } | undefined;
        if (!instance) continue;
        const check = await instance.checkConnection(AbortSignal.timeout(TIMEOUT_MS)).catch(
          (error: Error): ConnectionCheck => ({ ok: false, detail: `the check itself failed: ${describeError(error)}` }),
        );
        const section = (config.integrations[status.id] ?? {}) as Record<string, unknown>;
        add(withFix({ area: status.name, check: `${capability} connection`, outcome: check.ok ? 'ok' : 'fail', detail: check.detail, ...(check.ok || !check.hint ? {} : { hint: check.hint }) }, integration, section));
        for (const finding of check.findings ?? []) {
          add(withFix({ area: status.name, check: finding.check, outcome: finding.ok ? 'ok' : 'fail', detail: finding.detail, ...(finding.hint ? { hint: finding.hint } : {}) }, integration, section));
        }
      }
      lines.push(...webhookSecretLines(loaded, integration, status.name, status.capabilities.helpdesk === 'enabled'));
    }
  } finally {
    await scratch?.close().catch(() => {});
  }

  lines.push(...(await sidebarLines(loaded)));
  lines.push(...(await mailLines(loaded)));
  if (!config.http.publicUrl) {
    // Only webhooks from vendors and links in mail need it: with neither configured it is optional.
    const needed = needsPublicUrl(loaded, enabledIds);
    add({
      area: 'hub',
      check: 'public URL',
      outcome: needed ? 'fail' : 'warn',
      detail: 'HUB_PUBLIC_URL is not set: vendors cannot be told where to send webhooks, and notifications carry no links',
      hint: 'Set HUB_PUBLIC_URL to the https:// address the hub is reached at (behind your proxy)',
    });
  } else {
    add({ area: 'hub', check: 'public URL', outcome: 'ok', detail: `webhooks go to ${new URL('/webhooks/{integration}', config.http.publicUrl).toString().replace('%7Bintegration%7D', '{integration}')}` });
  }
  return lines;
}

/** Vendors post webhooks to it and mail carries links to it; with neither configured it can wait. */
function needsPublicUrl(loaded: LoadedConfig, enabledIntegrationIds: readonly string[]): boolean {
  const { mail, chat } = loaded.config;
  return enabledIntegrationIds.length > 0 || Boolean(mail.smtpUrl) || Boolean(mail.inboundAddress) || chat.apps.length > 0;
}

const NETWORK_CODE = /\b(E[A-Z]{3,}[A-Z_]*|UND_ERR_[A-Z_]+)\b/;

/**
 * Every FAIL and WARN gets a fix line. A check that gave none gets one here: for a network error
 * (a code such as ECONNREFUSED or ENOTFOUND in its detail) the host it tried and what to check on
 * the way there; otherwise the integration's settings to look at.
 */
function withFix(line: DoctorLine, integration: AnyIntegration, section: Record<string, unknown>): DoctorLine {
  if (line.outcome === 'ok' || line.hint) return line;
  const host = apiHost(section);
  const code = NETWORK_CODE.exec(line.detail)?.[1];
  const settings = integration.env.map((e) => e.env).join(', ');
  if (code) {
    return {
      ...line,
      hint:
        `The connection to ${host ?? `${integration.name}'s API`} failed with ${code}: check the host name and port (${apiBaseEnv(integration) ?? settings}), ` +
        'that DNS resolves it from this machine, and that no firewall or outbound proxy (HTTPS_PROXY) blocks it',
    };
  }
  return { ...line, hint: `Check the ${integration.name} settings (${settings})${host ? ` and that ${host} is reachable from this machine` : ''}` };
}

/** host:port of the integration's API, from its `apiBase` setting (or its default). */
function apiHost(section: Record<string, unknown>): string | null {
  const base = section['apiBase'];
  if (typeof base !== 'string') return null;
  try {
    const url = new URL(base);
    return `${url.hostname}:${url.port || (url.protocol === 'http:' ? '80' : '443')}`;
  } catch {
    return null;
  }
}

function apiBaseEnv(integration: AnyIntegration): string | null {
  return integration.env.find((e) => e.key === 'apiBase')?.env ?? null;
}

/** An error's message with the code of its innermost cause (fetch hides ECONNREFUSED there). */
function describeError(error: Error): string {
  let code: string | undefined;
  for (let cause: unknown = error; cause instanceof Error && !code; cause = cause.cause) code = (cause as NodeJS.ErrnoException).code;
  return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

/** The database answers and its schema is at (or can be brought to) this code's version; someone can log in. */
async function databaseLines(loaded: LoadedConfig): Promise<DoctorLine[]> {
  const { store: settings } = loaded.config;
  const where = settings.databaseUrl ? `PostgreSQL ${redactedUrl(settings.databaseUrl)}` : `embedded store in ${settings.dataDir}`;
  let store: Store;
  try {
    store = await openStore({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl, poolSize: 2 });
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      return [{ area: 'database', check: 'reachable', outcome: 'ok', detail: `${where}: held by the running hub (pid ${error.owner.pid}), which migrated it at start` }];
    }
    return [{ area: 'database', check: 'reachable', outcome: 'fail', detail: `${where}: ${(error as Error).message}`, hint: settings.databaseUrl ? 'Check DATABASE_URL (host, port, user, password, database) and that the server accepts this host' : 'Check HUB_DATA_DIR is writable' }];
  }
  try {
    const lines: DoctorLine[] = [{ area: 'database', check: 'reachable', outcome: 'ok', detail: where }];
    const status = await migrationStatus(store);
    if (status.current > status.latest) {
      lines.push({ area: 'database', check: 'migrations', outcome: 'fail', detail: `schema version ${status.current} is newer than this code's ${status.latest}`, hint: 'This hub is older than the database: deploy the newer version (downgrades are not supported)' });
    } else {
      lines.push({
        area: 'database',
        check: 'migrations',
        outcome: 'ok',
        detail: status.current === status.latest ? `schema at version ${status.latest}` : `schema at version ${status.current}; ${status.latest - status.current} migration(s) are applied at the next start (or: npm run migrate)`,
      });
    }
    if (status.current >= 9 && loaded.config.dashboard.enabled) {
      const admins = await store.db.selectFrom('staff_users').select('email').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
      lines.push(
        admins.length > 0
          ? { area: 'dashboard', check: 'admin account', outcome: 'ok', detail: `${admins.length} admin account(s)` }
          : { area: 'dashboard', check: 'admin account', outcome: 'fail', detail: 'nobody can log in to /dashboard yet', hint: 'npm run user:create -- --email you@example.com --role admin' },
      );
    }
    return lines;
  } finally {
    await store.close();
  }
}

/**
 * A missing webhook secret is a FAIL for a helpdesk (agents' replies would reach customers only at
 * the next reconciliation round) and a WARN for the others, which work without their webhooks:
 * Stripe cards refresh when their cache entry expires, GitHub and PagerDuty escalations still page
 * and are acknowledged through the hub's own link.
 */
function webhookSecretLines(loaded: LoadedConfig, integration: AnyIntegration, name: string, isHelpdesk: boolean): DoctorLine[] {
  const env = integration.env.find((e) => e.key === 'webhookSecret');
  if (!env) return [];
  const section = (loaded.config.integrations[integration.id] ?? {}) as Record<string, unknown>;
  const url = loaded.config.http.publicUrl ? new URL(`/webhooks/${integration.id}`, loaded.config.http.publicUrl).toString() : `/webhooks/${integration.id}`;
  return section['webhookSecret']
    ? [{ area: name, check: 'webhook secret', outcome: 'ok', detail: `webhooks to ${url} are verified` }]
    : [{ area: name, check: 'webhook secret', outcome: isHelpdesk ? 'fail' : 'warn', detail: `${env.env} is not set: webhooks to ${url} are refused`, hint: `${env.description}; set ${env.env} to the same value` }];
}

async function mailLines(loaded: LoadedConfig): Promise<DoctorLine[]> {
  const { mail } = loaded.config;
  const lines: DoctorLine[] = [];
  if (mail.smtpUrl) {
    const transport = nodemailer.createTransport(`${mail.smtpUrl}${mail.smtpUrl.includes('?') ? '&' : '?'}connectionTimeout=${TIMEOUT_MS}&greetingTimeout=${TIMEOUT_MS}&socketTimeout=${TIMEOUT_MS}`);
    try {
      await transport.verify();
      lines.push({ area: 'email', check: 'outbound SMTP', outcome: 'ok', detail: `${redactedUrl(mail.smtpUrl)} accepts the hub's login` });
    } catch (error) {
      const auth = /auth|535|534|credentials/i.test((error as Error).message);
      lines.push({
        area: 'email',
        check: 'outbound SMTP',
        outcome: 'fail',
        detail: `${redactedUrl(mail.smtpUrl)}: ${(error as Error).message}`,
        hint: auth ? 'Check the user and password in MAIL_SMTP_URL (an app password, for providers that require one)' : 'Check the host and port in MAIL_SMTP_URL (587 with STARTTLS, or smtps:// on 465) and that this host may connect',
      });
    } finally {
      transport.close();
    }
  } else if (mail.inboundAddress) {
    lines.push({ area: 'email', check: 'outbound SMTP', outcome: 'fail', detail: `mail to ${mail.inboundAddress} is received but replies and acknowledgements cannot be sent`, hint: 'Set MAIL_SMTP_URL and MAIL_FROM' });
  }
  if (mail.imapUrl) lines.push(await imapLine(mail.imapUrl));
  return lines;
}

async function imapLine(url: string): Promise<DoctorLine> {
  const target = parseImapUrl(url);
  const client = new ImapFlow({ host: target.host, port: target.port, secure: target.secure, auth: { user: target.user, pass: target.password }, logger: false, connectionTimeout: TIMEOUT_MS, greetingTimeout: TIMEOUT_MS, socketTimeout: TIMEOUT_MS });
  client.on('error', () => {});
  try {
    await client.connect();
    const box = await client.mailboxOpen(target.folder, { readOnly: true });
    return { area: 'email', check: 'IMAP', outcome: 'ok', detail: `${target.user}@${target.host}: folder ${target.folder} has ${box.exists} message(s)` };
  } catch (error) {
    const text = (error as { responseText?: string }).responseText ?? (error as Error).message;
    const auth = (error as { authenticationFailed?: boolean }).authenticationFailed === true;
    return {
      area: 'email',
      check: 'IMAP',
      outcome: 'fail',
      detail: `${target.user}@${target.host}:${target.port} ${target.folder}: ${text}`,
      hint: auth ? 'Check the user and password in MAIL_IMAP_URL' : `Check the host, port and folder in MAIL_IMAP_URL (imaps:// on 993; the folder is the URL's path)`,
    };
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** A URL without its password, for printing. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable URL)';
  }
}
