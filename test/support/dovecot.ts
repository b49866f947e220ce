import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freePort } from './free-port.js';
import { waitFor } from './hub.js';

/** Debian's dovecot-imapd (`.ci/run` installs it); suites using it skip where it is missing. */
export const DOVECOT = '/usr/sbin/dovecot';
/** Every user of the throwaway dovecot logs in with this password. */
export const PASSWORD = 'imap-test-password';


/** A throwaway dovecot (maildir under a temp dir, any user with PASSWORD), run in the foreground. */
export async function startDovecot() {
  const dir = mkdtempSync(join(tmpdir(), 'hub-dovecot-'));
  chmodSync(dir, 0o755);
  const mail = join(dir, 'mail');
  mkdirSync(mail, { mode: 0o777 });
  chmodSync(mail, 0o777);
  // Mail processes may not run as root: use our own uid, or nobody's when we are root.
  const root = process.getuid?.() === 0;
  const uid = root ? Number(execFileSync('id', ['-u', 'nobody']).toString()) : process.getuid!();
  const gid = root ? Number(execFileSync('id', ['-g', 'nobody']).toString()) : process.getgid!();
  const port = await freePort();
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:${mail}/%u
passdb {
  driver = static
  args = password=${PASSWORD}
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${mail}/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`,
  );
  const child: ChildProcess = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const log = () => `${stderr}${existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''}`;
  await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`dovecot exited with ${child.exitCode}: ${log()}`);
      return new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.once('data', (data) => {
          socket.destroy();
          resolve(data.toString().startsWith('* OK'));
        });
        socket.once('error', () => resolve(false));
      });
    },
    15_000,
    'dovecot to greet',
  );
  return {
    port,
    url: (user: string, folder: string, query = '') => `imap://${user}:${PASSWORD}@127.0.0.1:${port}/${folder}${query}`,
    /** A client of our own, as a mail server delivering into the mailbox would be. */
    async client(user: string): Promise<ImapFlow> {
      const client = new ImapFlow({ host: '127.0.0.1', port, secure: false, auth: { user, pass: PASSWORD }, logger: false });
      client.on('error', () => undefined);
      await client.connect();
      return client;
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

