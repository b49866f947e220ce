/**
 * `npm run users -- list`
 * `npm run users -- disable|enable EMAIL`
 * `npm run users -- role EMAIL admin|triage|viewer`
 *
 * Manages dashboard accounts after `npm run user:create`: who has access, and taking it away when
 * someone leaves (disabling ends their sessions at once). Every change lands in the audit log. The
 * last enabled admin can be neither disabled nor demoted. While a hub holds the embedded store,
 * through its operator API (see store-or-hub.ts).
 */
import { integrations } from '../../../integrations/index.js';
import { loadConfig } from '../../config.js';
import { changeStaffUser, listStaffUsers, staffChangeInput, type StaffAccount, type StaffChangeInput } from '../staff-users.js';
import { runAccountCommand, withStoreOrHub } from './store-or-hub.js';
import { exitWithUsageIfAsked } from '../../cli/usage.js';

// Before anything is read or opened: `--help` only prints the usage.
exitWithUsageIfAsked({
  synopsis: ['npm run users -- list', 'npm run users -- disable|enable EMAIL', 'npm run users -- role EMAIL admin|triage|viewer'],
  description: 'Lists dashboard accounts, disables one (ending its sessions at once), enables it again, or changes its role. Every change is audited; the last enabled admin can be neither disabled nor demoted. Works on the store directly, or through a hub running on this machine.',
  environment: [['HUB_CONFIG', 'a JSON or YAML settings file'], ['HUB_DATA_DIR', 'the embedded store directory'], ['DATABASE_URL', 'a PostgreSQL server instead of the embedded store'], ['HUB_ADMIN_TOKEN, HUB_URL', 'a running hub’s operator API when it is not on this machine']],
});

const USAGE = ['usage: npm run users -- list', '       npm run users -- disable|enable EMAIL', '       npm run users -- role EMAIL admin|triage|viewer'].join('\n');

/** Accounts as they come from the store, or as JSON from a running hub (dates as strings). */
type AccountLike = Omit<StaffAccount, 'lastSeenAt'> & { lastSeenAt: Date | string | null };

function when(value: Date | string | null): string {
  return value === null ? '-' : new Date(value).toISOString().slice(0, 16).replace('T', ' ');
}

function table(accounts: AccountLike[]): string {
  const rows = [['email', 'name', 'role', 'status', 'last seen (UTC)'], ...accounts.map((a) => [a.email, a.name ?? '', a.role, a.disabled ? 'disabled' : 'enabled', when(a.lastSeenAt)])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n');
}

function changeOf(argv: string[]): StaffChangeInput | 'list' | null {
  const [command, email, role, ...rest] = argv;
  if (rest.length > 0) return null;
  if (command === 'list' && email === undefined) return 'list';
  if ((command === 'disable' || command === 'enable') && email !== undefined && role === undefined) return { change: command, email };
  if (command === 'role' && email !== undefined && role !== undefined) return { change: 'role', email, role: role as 'admin' };
  return null;
}

async function main(argv: string[]): Promise<number> {
  const change = changeOf(argv);
  if (change === null) {
    console.error(USAGE);
    return 2;
  }
  // A malformed address or role is refused before any store or hub is touched.
  if (change !== 'list') staffChangeInput.parse(change);
  const { config } = loadConfig(integrations);
  if (change === 'list') {
    const accounts: AccountLike[] = await withStoreOrHub<AccountLike[]>(config, (store) => listStaffUsers(store), {
      method: 'GET',
      path: '/admin/staff',
      answer: (json: { accounts: AccountLike[] }) => json.accounts,
    });
    console.log(accounts.length === 0 ? 'no staff accounts yet: npm run user:create -- --email ADDRESS --role admin' : table(accounts));
    return 0;
  }
  const account = await withStoreOrHub<AccountLike>(config, (store) => changeStaffUser(store, change, { id: null, email: 'cli:users' }), {
    method: 'POST',
    path: '/admin/staff/change',
    body: change,
    answer: (json: { account: AccountLike }) => json.account,
  });
  console.log(`${account.email}: ${account.role}, ${account.disabled ? 'disabled (its sessions ended)' : 'enabled'}`);
  return 0;
}

await runAccountCommand(() => main(process.argv.slice(2)), 'change');
