import type { Migration } from './index.js';

/**
 * Helpdesk threads are recognised as the hub's own by the ids recorded when it wrote them (never
 * by a field the vendor does not promise): webhook ingress looks thread ids up by value.
 */
export const syncThreads: Migration = {
  version: 10,
  name: 'sync_threads',
  statements: [`CREATE INDEX sync_pushed_thread_idx ON sync_pushed (integration_id, thread_id)`],
};
