import type { Migration } from './index.js';

/**
 * Incidents in the helpdesk (issue 26, part 1): which hub incident a conversation's helpdesk copy
 * is marked with, so the sync engine re-marks it when staff merge or split incidents, the way
 * `triage_pushed` follows the urgency.
 */
export const incidentLinks: Migration = {
  version: 16,
  name: 'incident_links',
  statements: [`ALTER TABLE sync_conversations ADD COLUMN incident_pushed uuid`],
};
