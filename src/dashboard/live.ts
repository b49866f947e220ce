import type { Response } from 'express';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { EventBus } from '../conversations/events.js';
import type { Store } from '../store/store.js';

/**
 * Server-sent events for open dashboards: "the escalations changed". One watcher per hub process
 * runs only while someone is watching; it compares a cheap summary of the escalation tables every
 * `everyMs`, and at once when this process's event bus reports a triage call — so a change made
 * by any hub process on the same database reaches every open page, PGlite or PostgreSQL.
 */
export class LiveFeed {
  private readonly clients = new Set<Response>();
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private last: string | null = null;
  private checking = false;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly deps: { store: Store; bus: EventBus; log: Logger; everyMs?: number },
  ) {}

  add(res: Response): void {
    res.status(200).set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.flushHeaders();
    res.write('retry: 5000\n\n');
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.pause();
    });
    if (!this.timer) this.resume();
  }

  private resume(): void {
    this.timer = setInterval(() => void this.check(), this.deps.everyMs ?? 2000);
    this.timer.unref();
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), 25_000);
    this.heartbeat.unref();
    this.unsubscribe = this.deps.bus.subscribe((event) => {
      if (event.type === 'triage.updated') setTimeout(() => void this.check(), 300).unref();
    });
    void this.check();
  }

  private pause(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.unsubscribe?.();
    this.timer = this.heartbeat = null;
    this.unsubscribe = null;
  }

  private async check(): Promise<void> {
    if (this.checking || this.clients.size === 0) return;
    this.checking = true;
    try {
      const row = await sql<{ version: string; waiting: number | string }>`
        SELECT concat_ws('/', count(*), max(opened_at), max(acknowledged_at), max(resolved_at), max(replied_at),
                 (SELECT count(*) FROM triage_overrides), (SELECT count(*) FROM incidents)) AS version,
               count(*) FILTER (WHERE status = 'open') AS waiting
        FROM escalations`.execute(this.deps.store.db);
      const { version, waiting } = row.rows[0]!;
      if (this.last !== null && version !== this.last) this.broadcast(`event: escalations\ndata: ${JSON.stringify({ waiting: Number(waiting) })}\n\n`);
      this.last = version;
    } catch (error) {
      this.deps.log.warn({ err: error }, 'dashboard live check failed; the next one retries');
    } finally {
      this.checking = false;
    }
  }

  private broadcast(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }

  close(): void {
    this.pause();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
