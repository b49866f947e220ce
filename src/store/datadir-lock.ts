import { closeSync, linkSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * PGlite has no cross-process lock: two processes on one data directory both open it and one's
 * writes are silently lost. The hub therefore holds `hub.lock` in the data directory, created
 * with O_EXCL. A lock whose process is gone (crash, SIGKILL, reboot) is detected and taken over,
 * so a crash never needs a human.
 */
export interface LockOwner {
  pid: number;
  hostname: string;
  bootId: string | null;
  /** Process start time in clock ticks since boot (Linux), to tell a reused pid from the owner. */
  startTicks: number | null;
  startedAt: string;
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `data directory ${dir} is in use by another hub process (pid ${owner.pid} on ${owner.hostname}, started ${owner.startedAt}); ` +
        'stop it first, or point HUB_DATA_DIR at another directory',
    );
    this.name = 'DataDirInUseError';
  }
}

export interface DataDirLock {
  path: string;
  release(): void;
}

const LOCK_FILE = 'hub.lock';
/** Locks this process holds: a pid check cannot tell "ours" from "a previous life of our pid". */
const heldHere = new Map<string, LockOwner>();

export function acquireDataDirLock(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE);
  const held = heldHere.get(path);
  if (held) throw new DataDirInUseError(dir, held);
  const me = describeProcess(process.pid);
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, me)) {
      heldHere.set(path, me);
      return {
        path,
        release: () => {
          heldHere.delete(path);
          releaseIfOurs(path, me);
        },
      };
    }
    const owner = readOwner(path);
    if (owner === 'missing') continue; // released between our create and read: try again
    if (owner !== 'unreadable' && isAlive(owner)) throw new DataDirInUseError(dir, owner);
    // Stale (or a half-written file from a crash during create): move it aside atomically, then
    // check that what we moved is still the stale lock and not a fresh one a racing process wrote.
    const aside = `${path}.stale.${process.pid}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readOwner(aside);
    if (moved !== 'missing' && moved !== 'unreadable' && isAlive(moved)) {
      try {
        linkSync(aside, path); // put the live owner's lock back (fails if someone recreated it)
      } catch {
        /* a third process holds it now; the next attempt will see that */
      }
      unlinkQuietly(aside);
      continue;
    }
    unlinkQuietly(aside);
  }
  const owner = readOwner(path);
  if (owner !== 'missing' && owner !== 'unreadable') throw new DataDirInUseError(dir, owner);
  throw new Error(`could not take the lock ${path}: it keeps changing; is another hub starting at the same time?`);
}

function tryCreate(path: string, me: LockOwner): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, JSON.stringify(me));
  } finally {
    closeSync(fd);
  }
  return true;
}

function readOwner(path: string): LockOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const owner = JSON.parse(text) as LockOwner;
    return typeof owner.pid === 'number' ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

function isAlive(owner: LockOwner): boolean {
  if (owner.hostname !== hostname()) return true; // a shared volume: we cannot check another host's pids
  if (owner.bootId && owner.bootId !== bootId()) return false; // the machine rebooted since
  if (owner.pid === process.pid) return false; // a previous life of this pid (e.g. pid 1 in a container)
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // The pid exists; if it started at another time it is an unrelated process that reused the pid.
  const ticks = startTicks(owner.pid);
  return owner.startTicks === null || ticks === null || ticks === owner.startTicks;
}

function releaseIfOurs(path: string, me: LockOwner): void {
  const owner = readOwner(path);
  if (owner !== 'missing' && owner !== 'unreadable' && owner.pid === me.pid && owner.startedAt === me.startedAt) {
    unlinkQuietly(path);
  }
}

function describeProcess(pid: number): LockOwner {
  return { pid, hostname: hostname(), bootId: bootId(), startTicks: startTicks(pid), startedAt: new Date().toISOString() };
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the command name (field 2) may contain spaces, so count after ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const value = Number(fields[19]);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
