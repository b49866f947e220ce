import type { Migration } from './index.js';

/**
 * An escalation remembers the first public agent reply to its customer after it opened (who,
 * when): policies run `until: replied` by default, and the queue shows "answered 23:42 by Jo"
 * instead of a clock still running.
 */
export const escalationReplied: Migration = {
  version: 12,
  name: 'escalation_replied',
  statements: [`ALTER TABLE escalations ADD COLUMN replied_at timestamptz`, `ALTER TABLE escalations ADD COLUMN replied_by text`],
};
