import type { Migration } from './index.js';

/**
 * Incidents as helpdesk problem records (issue 26, Zendesk half): one row per helpdesk and hub
 * incident — the vendor's id for its problem ticket once made, a create in flight (looked up by
 * the incident before it is sent again), when it was solved, and the lease that keeps one writer
 * per incident across processes (src/sync/problem.ts).
 */
export const incidentProblems: Migration = {
  version: 18,
  name: 'incident_problems',
  statements: [
    `CREATE TABLE sync_problems (
      integration_id text NOT NULL,
      incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
      external_id text,
      create_started_at timestamptz,
      solved_at timestamptz,
      lease_owner text,
      lease_until timestamptz,
      last_error text,
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, incident_id)
    )`,
    `CREATE UNIQUE INDEX sync_problems_external ON sync_problems (integration_id, external_id)`,
  ],
};
