import type { Migration } from './index.js';

/** The urgency call for each conversation, with the evidence staff see. */
export const triage: Migration = {
  version: 3,
  name: 'triage',
  statements: [
    `CREATE TABLE triage_results (
      conversation_id uuid PRIMARY KEY REFERENCES conversations (id),
      message_id uuid NOT NULL REFERENCES messages (id),
      level text NOT NULL CHECK (level IN ('urgent', 'high', 'normal', 'low')),
      score real NOT NULL,
      confidence text NOT NULL CHECK (confidence IN ('high', 'medium', 'low')),
      evidence jsonb NOT NULL,
      classified_text text NOT NULL,
      classified_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX triage_results_level_idx ON triage_results (level, classified_at DESC)`,
  ],
};
