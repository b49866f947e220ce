import type { Migration } from './index.js';

/**
 * Acknowledgements with their promises, incidents (clusters of conversations about one outage),
 * escalations with their scheduled steps and what each target holds, single-use acknowledge
 * links, and private notes for the helpdesk (e.g. "the GitHub issue was closed").
 */
export const escalation: Migration = {
  version: 8,
  name: 'escalation',
  statements: [
    // One row per conversation: the acknowledgement sent (or why none was), and its promise.
    `CREATE TABLE acknowledgements (
      conversation_id uuid PRIMARY KEY REFERENCES conversations (id),
      contact_id uuid NOT NULL REFERENCES contacts (id),
      decision text NOT NULL CHECK (decision IN ('sent', 'skipped')),
      reason text,
      message_id uuid REFERENCES messages (id),
      level text NOT NULL CHECK (level IN ('urgent', 'high', 'normal', 'low')),
      basis text,
      received_at timestamptz NOT NULL,
      due_at timestamptz,
      promise text,
      promise_for_agents text,
      -- The message as composed, so a retry after a crash sends exactly this.
      text text,
      incident_id uuid,
      first_reply_at timestamptz,
      -- Business minutes from received_at to the first agent reply: the history later ETAs rest on.
      first_reply_business_minutes real,
      kept boolean,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX acknowledgements_history_idx ON acknowledgements (level, received_at) WHERE decision = 'sent'`,
    `CREATE TABLE incidents (
      id uuid PRIMARY KEY,
      number serial UNIQUE,
      category text NOT NULL,
      title text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'resolved', 'merged')),
      merged_into uuid REFERENCES incidents (id),
      opened_at timestamptz NOT NULL,
      last_seen_at timestamptz NOT NULL,
      next_update_at timestamptz,
      updates_sent integer NOT NULL DEFAULT 0,
      resolved_at timestamptz,
      resolution text
    )`,
    `CREATE INDEX incidents_open_idx ON incidents (category, last_seen_at) WHERE status = 'open'`,
    `CREATE TABLE incident_conversations (
      conversation_id uuid PRIMARY KEY REFERENCES conversations (id),
      incident_id uuid NOT NULL REFERENCES incidents (id),
      added_at timestamptz NOT NULL,
      added_by text NOT NULL
    )`,
    `CREATE INDEX incident_conversations_incident_idx ON incident_conversations (incident_id)`,
    // One escalation per conversation, or per incident for the conversations clustered into it.
    `CREATE TABLE escalations (
      id uuid PRIMARY KEY,
      conversation_id uuid UNIQUE REFERENCES conversations (id),
      incident_id uuid UNIQUE REFERENCES incidents (id),
      policy text NOT NULL,
      level text NOT NULL CHECK (level IN ('urgent', 'high', 'normal', 'low')),
      category text,
      title text NOT NULL,
      status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
      opened_at timestamptz NOT NULL,
      acknowledged_at timestamptz,
      acknowledged_by text,
      resolved_at timestamptz,
      resolved_by text,
      CHECK ((conversation_id IS NULL) <> (incident_id IS NULL))
    )`,
    `CREATE INDEX escalations_status_idx ON escalations (status, opened_at DESC)`,
    // The policy's steps, copied at opening, so a restart or a config edit never changes a running schedule.
    `CREATE TABLE escalation_steps (
      escalation_id uuid NOT NULL REFERENCES escalations (id),
      step integer NOT NULL,
      due_at timestamptz NOT NULL,
      targets jsonb NOT NULL,
      until text NOT NULL,
      status text NOT NULL CHECK (status IN ('scheduled', 'queued', 'done', 'cancelled')),
      ran_at timestamptz,
      PRIMARY KEY (escalation_id, step)
    )`,
    `CREATE INDEX escalation_steps_due_idx ON escalation_steps (due_at) WHERE status = 'scheduled'`,
    // What each target holds for an escalation (the GitHub issue, the page): looked up before a retry.
    `CREATE TABLE escalation_targets (
      escalation_id uuid NOT NULL REFERENCES escalations (id),
      step integer NOT NULL,
      target text NOT NULL,
      state text NOT NULL CHECK (state IN ('pending', 'opened', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      external_id text,
      url text,
      last_error text,
      opened_at timestamptz,
      PRIMARY KEY (escalation_id, step, target)
    )`,
    `CREATE INDEX escalation_targets_external_idx ON escalation_targets (target, external_id)`,
    `CREATE TABLE escalation_events (
      id uuid PRIMARY KEY,
      escalation_id uuid NOT NULL REFERENCES escalations (id),
      at timestamptz NOT NULL,
      kind text NOT NULL,
      detail jsonb NOT NULL DEFAULT '{}'
    )`,
    `CREATE INDEX escalation_events_escalation_idx ON escalation_events (escalation_id, at)`,
    // Acknowledge links are single use: the link's id is recorded when it is used.
    `CREATE TABLE used_links (
      link_id text PRIMARY KEY,
      used_at timestamptz NOT NULL DEFAULT now()
    )`,
    // Private notes for the conversation's helpdesk, pushed by sync after the conversation exists.
    `CREATE TABLE helpdesk_notes (
      id uuid PRIMARY KEY,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      key text NOT NULL UNIQUE,
      text text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX helpdesk_notes_conversation_idx ON helpdesk_notes (conversation_id, created_at)`,
  ],
};
