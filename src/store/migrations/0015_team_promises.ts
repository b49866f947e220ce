import type { Migration } from './index.js';

/**
 * ETAs per team (issue 26): each acknowledgement records the team whose time it promised, so the
 * history a team's later promises rest on is its own, and promise keeping is reported per team.
 * Rows from before (team unset) were the default team's.
 */
export const teamPromises: Migration = {
  version: 15,
  name: 'team_promises',
  statements: [
    `ALTER TABLE acknowledgements ADD COLUMN team text`,
    `CREATE INDEX acknowledgements_team_history_idx ON acknowledgements ((coalesce(team, 'default')), level, received_at) WHERE decision = 'sent'`,
  ],
};
