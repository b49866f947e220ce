/**
 * `npm run user:create -- --email lee@example.com --role admin|triage|viewer [--name "Lee"]
 *   [--password-stdin] [--reset-password]`
 *
 * Creates a dashboard account. Without --password-stdin a strong password is generated and printed
 * once. On the embedded store a running hub holds the data directory; then the account is created
 * through the running hub's operator API (needs HUB_ADMIN_TOKEN, and HUB_URL if the hub is not on
 * http://127.0.0.1:$PORT).
 */
import { parseArgs } from 'node:util';
import { integrations } from '../../../integrations/index.js';
import { ConfigError, loadConfig } from '../../config.js';
import { HubError } from '../../errors.js';
import { DataDirInUseError } from '../../store/datadir-lock.js';
import { migrate } from '../../store/migrate.js';
import { openStore } from '../../store/store.js';
import { generatePassword } from '../auth/passwords.js';
import { saveStaffUser, type StaffUserInput } from '../staff-users.js';

const USAGE = 'usage: npm run user:create -- --email ADDRESS --role admin|triage|viewer [--name NAME] [--password-stdin] [--reset-password]';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      email: { type: 'string' },
      role: { type: 'string' },
      name: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
      'reset-password': { type: 'boolean', default: false },
    },
  });
  if (!values.email || !values.role) {
    console.error(USAGE);
    return 2;
  }
  const generated = values['password-stdin'] ? null : generatePassword();
  const input: StaffUserInput = {
    email: values.email,
    role: values.role as StaffUserInput['role'],
    name: values.name ?? null,
    password: generated ?? (await readStdin()),
    resetPassword: values['reset-password'],
  };
  const { config } = loadConfig(integrations);
  let result: { created: boolean };
  try {
    const store = await openStore({ dataDir: config.store.dataDir, databaseUrl: config.store.databaseUrl, poolSize: 2 });
    try {
      await migrate(store);
      result = await saveStaffUser(store, input, 'cli:user:create');
    } finally {
      await store.close();
    }
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    if (!config.admin.token) {
      console.error(`${error.message}\nor set HUB_ADMIN_TOKEN (the running hub's too) to create the account through it`);
      return 1;
    }
    const hubUrl = process.env['HUB_URL'] ?? `http://127.0.0.1:${config.http.port}`;
    const response = await fetch(new URL('/admin/staff', hubUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${config.admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input),
    });
    const body = (await response.json().catch(() => ({}))) as { created?: boolean; error?: { message?: string } };
    if (!response.ok) throw new HubError(response.status, 'admin_api', `the running hub at ${hubUrl} refused: ${body.error?.message ?? response.statusText}`);
    result = { created: body.created === true };
  }
  console.log(`${result.created ? 'created' : 'updated'} ${input.role} account ${input.email}`);
  if (generated) console.log(`password (shown once): ${generated}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  if (error instanceof ConfigError || error instanceof HubError) {
    console.error(error.message);
    process.exitCode = error instanceof ConfigError ? 2 : 1;
  } else if (error instanceof Error && 'issues' in error) {
    console.error(`invalid account: ${(error as { issues: { path: PropertyKey[]; message: string }[] }).issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    process.exitCode = 2;
  } else {
    throw error;
  }
}
