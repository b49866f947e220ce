/**
 * `npm run user:create -- --email lee@example.com --role admin|triage|viewer [--name "Lee"]
 *   [--password-stdin] [--reset-password]`
 *
 * Creates a dashboard account. Without --password-stdin a strong password is generated and printed
 * once. While a hub holds the embedded store, through its operator API (see store-or-hub.ts).
 * Listing, disabling and role changes: `npm run users`.
 */
import { parseArgs } from 'node:util';
import { integrations } from '../../../integrations/index.js';
import { loadConfig } from '../../config.js';
import { generatePassword } from '../auth/passwords.js';
import { saveStaffUser, type StaffUserInput } from '../staff-users.js';
import { runAccountCommand, withStoreOrHub } from './store-or-hub.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: 'npm run user:create -- --email ADDRESS --role admin|triage|viewer [--name NAME] [--password-stdin] [--reset-password]',
  description: 'Creates (or updates) a dashboard account. Without --password-stdin a strong password is generated and printed once. Works on the store directly, or through a hub running on this machine.',
  options: [
    ['--email ADDRESS', 'the login'],
    ['--role ROLE', 'admin, triage or viewer'],
    ['--name NAME', 'shown in the dashboard and the audit log'],
    ['--password-stdin', 'read the password from standard input instead of generating one'],
    ['--reset-password', 'set a new password on an existing account (ends its sessions)'],
  ],
  environment: [['HUB_CONFIG', 'a JSON or YAML settings file'], ['HUB_DATA_DIR', 'the embedded store directory'], ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'], ['HUB_ADMIN_TOKEN, HUB_URL', 'a running hub’s operator API when it is not on this machine']],
});

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
  const result = await withStoreOrHub(config, (store) => saveStaffUser(store, input, 'cli:user:create'), {
    method: 'POST',
    path: '/admin/staff',
    body: input,
    answer: (json: { id: string; created: boolean }) => json,
  });
  console.log(`${result.created ? 'created' : 'updated'} ${input.role} account ${input.email}`);
  if (generated) console.log(`password (shown once): ${generated}`);
  return 0;
}

await runAccountCommand(() => main(), 'account');
