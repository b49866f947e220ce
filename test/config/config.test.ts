import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, envBindings, loadConfig } from '../../src/config.js';
import { defineIntegration } from '../../src/capabilities/integration.js';
import { IntegrationRegistry } from '../../src/capabilities/registry.js';
import { secret, REDACTED } from '../../src/config/secrets.js';
import type { SidebarCapability } from '../../src/capabilities/sidebar.js';

const sidebar: SidebarCapability = {
  verify: () => ({ ok: true }),
  subject: () => ({ email: null, emails: [], name: null, externalConversationId: null, mailboxId: null }),
  respond: (html) => ({ status: 200, contentType: 'application/json', body: JSON.stringify({ html }) }),
};

// A helpdesk-shaped integration: its sidebar needs one secret, its API three keys.
const deskly = defineIntegration({
  id: 'deskly',
  name: 'Deskly',
  configSchema: z.object({
    clientId: z.string().optional(),
    clientSecret: secret(z.string().optional()),
    mailboxId: z.coerce.number().int().positive().optional(),
    sidebarSecret: secret(z.string().optional()),
  }),
  env: [
    { env: 'DESKLY_CLIENT_ID', key: 'clientId', description: 'OAuth client id' },
    { env: 'DESKLY_CLIENT_SECRET', key: 'clientSecret', description: 'OAuth client secret' },
    { env: 'DESKLY_MAILBOX_ID', key: 'mailboxId', description: 'Mailbox' },
    { env: 'DESKLY_SIDEBAR_SECRET', key: 'sidebarSecret', description: 'Sidebar signing secret' },
  ],
  capabilities: {
    sidebar: { requires: ['sidebarSecret'], create: () => sidebar },
    helpdesk: {
      requires: ['clientId', 'clientSecret', 'mailboxId'],
      create: () => {
        throw new Error('not used in this test');
      },
    },
  },
});

function errorOf(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('runs with no configuration at all: embedded store in ./data on port 3000', () => {
    const { config } = loadConfig([], {});
    expect(config.http.port).toBe(3000);
    expect(config.store.dataDir).toBe('./data');
    expect(config.store.databaseUrl).toBeUndefined();
    expect(config.shutdown.timeoutMs).toBe(10_000);
  });

  it('reads a YAML file named by HUB_CONFIG, and the environment wins over it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'http:\n  port: 4100\n  host: 127.0.0.1\njobs:\n  concurrency: 2\n');
    const { config } = loadConfig([], { HUB_CONFIG: file, PORT: '4200' });
    expect(config.http.port).toBe(4200);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.jobs.concurrency).toBe(2);
  });

  it('reads a JSON file too', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify({ integrations: { deskly: { sidebarSecret: 'from-file' } } }));
    const { config } = loadConfig([deskly], { HUB_CONFIG: file });
    expect(config.integrations['deskly']?.['sidebarSecret']).toBe('from-file');
  });

  it('names the environment variable and the reason when a value is bad', () => {
    const error = errorOf(() => loadConfig([], { PORT: 'eighty' }));
    expect(error.message).toContain('PORT (http.port)');
    expect(error.problems).toHaveLength(1);
    expect(errorOf(() => loadConfig([], { DATABASE_URL: 'mysql://x' })).message).toMatch(/DATABASE_URL .*postgres:\/\//);
  });

  it('names the file key when the bad value came from HUB_CONFIG', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    const file = join(dir, 'hub.yaml');
    writeFileSync(file, 'jobs:\n  concurrency: lots\n');
    expect(errorOf(() => loadConfig([], { HUB_CONFIG: file })).message).toContain(`jobs.concurrency in ${file}`);
  });

  it('reads the on-call schedule from HUB_CONFIG and refuses a malformed one at start-up, naming the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(
      good,
      [
        'oncall:',
        '  people:',
        '    sam: { name: Sam, timeZone: America/New_York, contacts: { email: sam@acme.example } }',
        '  rotations:',
        '    engineering: { members: [sam], timeZone: America/New_York }',
        '  routes: { outage: engineering, default: sam }',
      ].join('\n'),
    );
    expect(Object.keys(loadConfig([], { HUB_CONFIG: good }).config.oncall.people)).toEqual(['sam']);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'oncall:\n  people:\n    sam: { name: Sam, timeZone: Mars/Olympus, contacts: { email: sam@acme.example } }\n');
    expect(errorOf(() => loadConfig([], { HUB_CONFIG: bad })).message).toContain(`oncall.people.sam.timeZone in ${bad}`);
  });

  it('refuses an unreadable or non-object config file with a clear message', () => {
    expect(errorOf(() => loadConfig([], { HUB_CONFIG: '/nonexistent/hub.yaml' })).message).toContain('cannot read');
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    const file = join(dir, 'list.yaml');
    writeFileSync(file, '- 1\n- 2\n');
    expect(errorOf(() => loadConfig([], { HUB_CONFIG: file })).message).toContain('must hold an object');
  });

  it('never echoes a secret value, even a bad one', () => {
    const error = errorOf(() => loadConfig([], { HUB_ADMIN_TOKEN: 'short-secret-value' }));
    expect(error.message).toContain('HUB_ADMIN_TOKEN');
    expect(error.message).not.toContain('short-secret-value');
  });

  it('redacts every secret marked in any schema, core or integration', () => {
    const loaded = loadConfig([deskly], {
      DATABASE_URL: 'postgres://hub:pw@db/hub',
      HUB_ADMIN_TOKEN: 'a'.repeat(32),
      DESKLY_SIDEBAR_SECRET: 'sidebar-secret-value',
      DESKLY_CLIENT_ID: 'visible-client-id',
      DESKLY_CLIENT_SECRET: 'client-secret-value',
      DESKLY_MAILBOX_ID: '7',
    });
    const text = JSON.stringify(loaded.redacted());
    for (const secretValue of ['postgres://hub:pw@db/hub', 'a'.repeat(32), 'sidebar-secret-value', 'client-secret-value']) {
      expect(text).not.toContain(secretValue);
    }
    expect(text).toContain('visible-client-id');
    expect(loaded.redacted().integrations['deskly']?.['clientSecret']).toBe(REDACTED);
    // The live config keeps the real values.
    expect(loaded.config.integrations['deskly']?.['clientSecret']).toBe('client-secret-value');
  });

  it('enables each capability by its own keys: a sidebar secret alone enables only the sidebar', () => {
    const { config } = loadConfig([deskly], { DESKLY_SIDEBAR_SECRET: 's' });
    const registry = new IntegrationRegistry([deskly], config, { store: null as never, log: null as never, publicUrl: undefined });
    expect(registry.status()).toEqual([{ id: 'deskly', name: 'Deskly', capabilities: { sidebar: 'enabled', helpdesk: 'not configured' } }]);
    expect(registry.all('sidebar')).toHaveLength(1);
    expect(registry.all('helpdesk')).toHaveLength(0);
  });

  it('reports an unconfigured integration as "not configured" rather than failing', () => {
    const { config } = loadConfig([deskly], {});
    const registry = new IntegrationRegistry([deskly], config, { store: null as never, log: null as never, publicUrl: undefined });
    expect(registry.status()[0]?.capabilities).toEqual({ sidebar: 'not configured', helpdesk: 'not configured' });
  });

  it('fails at boot when a capability is half configured, naming what is missing', () => {
    const error = errorOf(() => loadConfig([deskly], { DESKLY_CLIENT_ID: 'id' }));
    expect(error.message).toContain('Deskly helpdesk: DESKLY_CLIENT_ID is set but DESKLY_CLIENT_SECRET, DESKLY_MAILBOX_ID are missing');
  });

  it('validates integration sections with their own schema', () => {
    expect(errorOf(() => loadConfig([deskly], { DESKLY_MAILBOX_ID: '-3' })).message).toContain('DESKLY_MAILBOX_ID (integrations.deskly.mailboxId)');
  });

  it('lists every environment key once, core and integrations together', () => {
    const names = envBindings([deskly]).map((b) => b.env);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['PORT', 'HOST', 'HUB_DATA_DIR', 'DATABASE_URL', 'DESKLY_SIDEBAR_SECRET']));
  });

  it('rejects an integration whose capability requires a key its schema lacks', () => {
    expect(() =>
      defineIntegration({
        id: 'broken',
        name: 'Broken',
        configSchema: z.object({ token: z.string().optional() }),
        env: [],
        capabilities: { sidebar: { requires: ['tokne' as 'token'], create: () => sidebar } },
      }),
    ).toThrow(/unknown config key "tokne"/);
  });
});
