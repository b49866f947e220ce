import { mkdtempSync, rmSync } from 'node:fs';
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
import { migrate, migrationStatus } from '../store/migrate.js';
import { openStore, type Store } from '../store/store.js';

/**
 * `npm run doctor`: checks a configuration before it goes live, one line per check — the database
 * and its migrations, each configured integration's credentials and reachability (its own
 * `checkConnection`, with whatever else it learns there, such as Zendesk triggers that would mail
 * customers a second copy), webhook secrets, outbound SMTP and IMAP, and what the dashboard and
 * links need. Nothing is written to the hub's store or sent to anyone.
 */
export interface DoctorLine {
  area: string;
  check: string;
  ok: boolean;
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

  // Vendor calls go through a throwaway embedded store (rate budgets live in the database), so a
  // check never writes to the hub's own and works while a running hub holds the data directory.
  const scratchDir = mkdtempSync(join(tmpdir(), 'hub-doctor-'));
  let scratch: Store | null = null;
  try {
    scratch = await openStore({ dataDir: scratchDir, poolSize: 2 });
    await migrate(scratch);
    const log = pino({ level: 'silent' });
    const registry = new IntegrationRegistry(integrations, config, { store: scratch, log, publicUrl: config.http.publicUrl });
    const enabled = registry.status().filter((s) => Object.values(s.capabilities).some((state) => state === 'enabled'));
    if (enabled.length === 0) add({ area: 'integrations', check: 'configured', ok: true, detail: 'none configured (the hub runs on its own: chat, email, dashboard)' });
    for (const status of enabled) {
      for (const capability of CHECKED) {
        if (status.capabilities[capability] !== 'enabled') continue;
        const instance = registry.get(capability, status.id) as { checkConnection(signal?: AbortSignal): Promise<ConnectionCheck> } | undefined;
        if (!instance) continue;
        const check = await instance.checkConnection(AbortSignal.timeout(TIMEOUT_MS)).catch(
          (error: Error): ConnectionCheck => ({ ok: false, detail: `the check itself failed: ${error.message}`, hint: 'See the log line above; is the vendor reachable from here?' }),
        );
        add({ area: status.name, check: `${capability} connection`, ok: check.ok, detail: check.detail, ...(check.ok || !check.hint ? {} : { hint: check.hint }) });
        for (const finding of check.findings ?? []) add({ area: status.name, check: finding.check, ok: finding.ok, detail: finding.detail, ...(finding.hint ? { hint: finding.hint } : {}) });
      }
      lines.push(...webhookSecretLines(loaded, integrations.find((i) => i.id === status.id)!, status.name));
    }
  } finally {
    await scratch?.close().catch(() => {});
    rmSync(scratchDir, { recursive: true, force: true });
  }

  lines.push(...(await mailLines(loaded)));
  if (!config.http.publicUrl) {
    add({
      area: 'hub',
      check: 'public URL',
      ok: false,
      detail: 'HUB_PUBLIC_URL is not set: vendors cannot be told where to send webhooks, and notifications carry no links',
      hint: 'Set HUB_PUBLIC_URL to the https:// address the hub is reached at (behind your proxy)',
    });
  } else {
    add({ area: 'hub', check: 'public URL', ok: true, detail: `webhooks go to ${new URL('/webhooks/{integration}', config.http.publicUrl).toString().replace('%7Bintegration%7D', '{integration}')}` });
  }
  return lines;
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
      return [{ area: 'database', check: 'reachable', ok: true, detail: `${where}: held by the running hub (pid ${error.owner.pid}), which migrated it at start` }];
    }
    return [{ area: 'database', check: 'reachable', ok: false, detail: `${where}: ${(error as Error).message}`, hint: settings.databaseUrl ? 'Check DATABASE_URL (host, port, user, password, database) and that the server accepts this host' : 'Check HUB_DATA_DIR is writable' }];
  }
  try {
    const lines: DoctorLine[] = [{ area: 'database', check: 'reachable', ok: true, detail: where }];
    const status = await migrationStatus(store);
    if (status.current > status.latest) {
      lines.push({ area: 'database', check: 'migrations', ok: false, detail: `schema version ${status.current} is newer than this code's ${status.latest}`, hint: 'This hub is older than the database: deploy the newer version (downgrades are not supported)' });
    } else {
      lines.push({
        area: 'database',
        check: 'migrations',
        ok: true,
        detail: status.current === status.latest ? `schema at version ${status.latest}` : `schema at version ${status.current}; ${status.latest - status.current} migration(s) are applied at the next start (or: npm run migrate)`,
      });
    }
    if (status.current >= 9 && loaded.config.dashboard.enabled) {
      const admins = await store.db.selectFrom('staff_users').select('email').where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
      lines.push(
        admins.length > 0
          ? { area: 'dashboard', check: 'admin account', ok: true, detail: `${admins.length} admin account(s)` }
          : { area: 'dashboard', check: 'admin account', ok: false, detail: 'nobody can log in to /dashboard yet', hint: 'npm run user:create -- --email you@example.com --role admin' },
      );
    }
    return lines;
  } finally {
    await store.close();
  }
}

function webhookSecretLines(loaded: LoadedConfig, integration: AnyIntegration, name: string): DoctorLine[] {
  const env = integration.env.find((e) => e.key === 'webhookSecret');
  if (!env) return [];
  const section = (loaded.config.integrations[integration.id] ?? {}) as Record<string, unknown>;
  const url = loaded.config.http.publicUrl ? new URL(`/webhooks/${integration.id}`, loaded.config.http.publicUrl).toString() : `/webhooks/${integration.id}`;
  return section['webhookSecret']
    ? [{ area: name, check: 'webhook secret', ok: true, detail: `webhooks to ${url} are verified` }]
    : [{ area: name, check: 'webhook secret', ok: false, detail: `${env.env} is not set: webhooks to ${url} are refused`, hint: `${env.description}; set ${env.env} to the same value` }];
}

async function mailLines(loaded: LoadedConfig): Promise<DoctorLine[]> {
  const { mail } = loaded.config;
  const lines: DoctorLine[] = [];
  if (mail.smtpUrl) {
    const transport = nodemailer.createTransport(`${mail.smtpUrl}${mail.smtpUrl.includes('?') ? '&' : '?'}connectionTimeout=${TIMEOUT_MS}&greetingTimeout=${TIMEOUT_MS}&socketTimeout=${TIMEOUT_MS}`);
    try {
      await transport.verify();
      lines.push({ area: 'email', check: 'outbound SMTP', ok: true, detail: `${redactedUrl(mail.smtpUrl)} accepts the hub's login` });
    } catch (error) {
      const auth = /auth|535|534|credentials/i.test((error as Error).message);
      lines.push({
        area: 'email',
        check: 'outbound SMTP',
        ok: false,
        detail: `${redactedUrl(mail.smtpUrl)}: ${(error as Error).message}`,
        hint: auth ? 'Check the user and password in MAIL_SMTP_URL (an app password, for providers that require one)' : 'Check the host and port in MAIL_SMTP_URL (587 with STARTTLS, or smtps:// on 465) and that this host may connect',
      });
    } finally {
      transport.close();
    }
  } else if (mail.inboundAddress) {
    lines.push({ area: 'email', check: 'outbound SMTP', ok: false, detail: `mail to ${mail.inboundAddress} is received but replies and acknowledgements cannot be sent`, hint: 'Set MAIL_SMTP_URL and MAIL_FROM' });
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
    return { area: 'email', check: 'IMAP', ok: true, detail: `${target.user}@${target.host}: folder ${target.folder} has ${box.exists} message(s)` };
  } catch (error) {
    const text = (error as { responseText?: string }).responseText ?? (error as Error).message;
    const auth = (error as { authenticationFailed?: boolean }).authenticationFailed === true;
    return {
      area: 'email',
      check: 'IMAP',
      ok: false,
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
