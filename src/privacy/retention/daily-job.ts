import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { JobHandler } from '../../jobs/catalog.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { Store } from '../../store/store.js';
import type { RetentionConfig } from './config.js';
import { runRetention } from './run.js';

const CHECK_EVERY_MS = 60 * 60_000;
export const RETENTION_JOB_ACTOR = 'hub:retention-job';

/** The next time the daily run is due: today at the configured hour (UTC) if still ahead, else tomorrow. */
export function nextRetentionRun(now: Date, runHourUtc: number): Date {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), runHourUtc));
  return today > now ? today : new Date(today.getTime() + 86_400_000);
}

export interface RetentionScheduleDeps {
  store: Store;
  queue: JobQueue;
  log: Logger;
  config: RetentionConfig;
  clock: () => Date;
}

/**
 * The daily retention run as a durable job. Each hub process checks hourly that the next day's
 * job exists; a key in job_effects, written in the transaction that enqueues it, makes it one job
 * per day however many processes check (pg-boss 10's singletonKey does not deduplicate). The job
 * is due at a fixed hour, never at start, so a restart does not run it again; a hub that was down
 * at that hour finds the job overdue and runs it when it starts.
 */
export function retentionSchedule(deps: RetentionScheduleDeps) {
  const anythingToDo = deps.config.rawMimeDays + deps.config.attachmentDays + deps.config.closedConversationBodyDays + deps.config.auditDays > 0;
  let timer: NodeJS.Timeout | null = null;
  let checking: Promise<void> | null = null;

  async function scheduleNext(): Promise<void> {
    const due = nextRetentionRun(deps.clock(), deps.config.runHourUtc);
    const day = due.toISOString().slice(0, 10);
    await deps.store.transaction(async (tx) => {
      const fresh = await sql`
        INSERT INTO job_effects (key, job_name) VALUES (${`privacy.retention:scheduled:${day}`}, 'privacy.retention')
        ON CONFLICT (key) DO NOTHING`.execute(tx);
      if (Number(fresh.numAffectedRows ?? 0) > 0) await deps.queue.enqueueIn(tx, [{ name: 'privacy.retention', data: { day }, startAfter: due }]);
    });
  }

  const job: JobHandler<'privacy.retention'> = async ({ day }) => {
    // A redelivery after the run finished does nothing; one after a crash mid-run carries on
    // (every batch already committed stays removed, and the rest is found again).
    const doneKey = `privacy.retention:ran:${day}`;
    const done = await deps.store.db.selectFrom('job_effects').select('key').where('key', '=', doneKey).executeTakeFirst();
    if (done) return;
    const run = await runRetention(deps.store, deps.config, {
      dryRun: false,
      actor: RETENTION_JOB_ACTOR,
      clock: deps.clock,
      alsoWithAudit: async (tx) => {
        await tx.insertInto('job_effects').values({ key: doneKey, job_name: 'privacy.retention' }).onConflict((oc) => oc.column('key').doNothing()).execute();
      },
    });
    deps.log.info({ day, durationMs: run.durationMs, removed: Object.fromEntries(run.outcomes.map((o) => [o.kind, o.items])) }, 'retention run finished');
  };

  return {
    job,
    scheduleNext,
    start(): void {
      if (!anythingToDo) return;
      const check = () => {
        checking ??= scheduleNext()
          .catch((error: Error) => deps.log.warn({ err: error }, 'could not schedule the daily retention run'))
          .finally(() => (checking = null));
      };
      check();
      timer = setInterval(check, CHECK_EVERY_MS);
      timer.unref();
    },
    /** Stops checking; waits for a check in flight so it never outlives the store. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await checking;
    },
  };
}
