import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirInUseError } from '../../src/store/datadir-lock.js';

const dir = () => mkdtempSync(join(tmpdir(), 'hub-lock-'));
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const ticksOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
const lockOf = (pid: number, startTicks: number | null) =>
  JSON.stringify({ pid, hostname: hostname(), bootId: bootId(), startTicks, startedAt: '2026-01-01T00:00:00.000Z' });

const sleeper = spawn('sleep', ['60']);
afterAll(() => sleeper.kill('SIGKILL'));

describe('data directory lock', () => {
  it('is exclusive within one process too', () => {
    const d = dir();
    const lock = acquireDataDirLock(d);
    expect(() => acquireDataDirLock(d)).toThrow(DataDirInUseError);
    lock.release();
    acquireDataDirLock(d).release();
  });

  it('refuses a directory held by a live process and names its pid', () => {
    const d = dir();
    writeFileSync(join(d, 'hub.lock'), lockOf(sleeper.pid!, ticksOf(sleeper.pid!)));
    expect(() => acquireDataDirLock(d)).toThrow(`pid ${sleeper.pid}`);
  });

  it('takes over a lock whose process is gone (crash, SIGKILL)', () => {
    const d = dir();
    const gone = spawnSync('true').pid!;
    writeFileSync(join(d, 'hub.lock'), lockOf(gone, 1));
    const lock = acquireDataDirLock(d);
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(existsSync(join(d, 'hub.lock'))).toBe(false);
  });

  it('takes over a lock whose pid now belongs to an unrelated process (pid reuse)', () => {
    const d = dir();
    writeFileSync(join(d, 'hub.lock'), lockOf(sleeper.pid!, ticksOf(sleeper.pid!) - 1000));
    acquireDataDirLock(d).release();
  });

  it('takes over a lock left before a reboot', () => {
    const d = dir();
    writeFileSync(join(d, 'hub.lock'), JSON.stringify({ ...JSON.parse(lockOf(sleeper.pid!, ticksOf(sleeper.pid!))), bootId: 'another-boot' }));
    acquireDataDirLock(d).release();
  });

  it('takes over a half-written lock file', () => {
    const d = dir();
    writeFileSync(join(d, 'hub.lock'), '{"pid": 12');
    acquireDataDirLock(d).release();
  });

  it('does not treat a lock from another host as stale (shared volume)', () => {
    const d = dir();
    writeFileSync(join(d, 'hub.lock'), JSON.stringify({ ...JSON.parse(lockOf(999_999, null)), hostname: 'other-host' }));
    expect(() => acquireDataDirLock(d)).toThrow('on other-host');
  });
});
