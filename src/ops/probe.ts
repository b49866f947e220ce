import type { JobHandler } from '../jobs/catalog.js';
import { effectOnce } from '../jobs/effects.js';
import type { Store } from '../store/store.js';

/**
 * `ops.probe`: writes one row naming the process that ran it, exactly once however often the job
 * is delivered. `afterEffect` is a fault-injection seam: tests kill the process there, between
 * the effect and the job's completion, to prove a retry duplicates nothing.
 */
export function probeJob(deps: {
  store: Store;
  processTag: string;
  afterEffect?: (probeId: string) => void | Promise<void>;
}): JobHandler<'ops.probe'> {
  return async ({ probeId }) => {
    await effectOnce(deps.store, `ops.probe:${probeId}`, 'ops.probe', async (tx) => {
      await tx.insertInto('ops_probes').values({ probe_id: probeId, handled_by: deps.processTag }).execute();
    });
    await deps.afterEffect?.(probeId);
  };
}
