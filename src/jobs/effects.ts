import type { Store, Tx } from '../store/store.js';

/**
 * Makes a job's local side effect happen once although jobs are delivered at least once: the
 * effect and its key are committed together, so a retry after a crash finds the key and skips.
 * (Effects at a vendor cannot share our transaction; those use idempotency keys or
 * look-up-before-retry in their adapter.) Returns false when the effect already exists.
 */
export async function effectOnce(
  store: Store,
  key: string,
  jobName: string,
  effect: (tx: Tx) => Promise<void>,
): Promise<boolean> {
  return store.transaction(async (tx) => {
    const claimed = await tx
      .insertInto('job_effects')
      .values({ key, job_name: jobName })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) return false;
    await effect(tx);
    return true;
  });
}
