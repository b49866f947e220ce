import type { Migration } from './index.js';

/**
 * Customer data rights (src/privacy): an erasure request is a durable record worked through by a
 * job — the hub's own copy first (one transaction), then one step per connected helpdesk, each
 * retried through outages like any vendor write and reported in words.
 *
 * An erased person's acknowledgements stay as anonymous rows (level, times, whether the promise
 * was kept): the promise-keeping report and the ETA history are counts over them, and a customer's
 * erasure must not rewrite last quarter's figures. Their ids are replaced by fresh random ones that
 * name nothing, so the foreign keys to conversations and contacts go (message_id keeps its key and
 * is nulled).
 */
export const privacy: Migration = {
  version: 13,
  name: 'privacy',
  statements: [
    `CREATE TABLE privacy_requests (
      id uuid PRIMARY KEY,
      kind text NOT NULL CHECK (kind IN ('erase')),
      state text NOT NULL CHECK (state IN ('pending', 'helpdesks', 'done')),
      -- The address being erased while the request runs; its log pseudonym once done.
      subject text NOT NULL,
      reason text NOT NULL,
      requested_by text NOT NULL,
      requested_at timestamptz NOT NULL DEFAULT now(),
      hub_erased_at timestamptz,
      finished_at timestamptz,
      -- What was removed (counts only), and what a human must still do (links, vendor leftovers).
      report jsonb NOT NULL DEFAULT '{}'
    )`,
    `CREATE TABLE privacy_helpdesk_steps (
      request_id uuid NOT NULL REFERENCES privacy_requests (id),
      integration_id text NOT NULL,
      -- Who to delete there (HelpdeskPerson); cleared once the step is done.
      person jsonb,
      state text NOT NULL CHECK (state IN ('pending', 'done', 'unsupported')),
      attempts integer NOT NULL DEFAULT 0,
      done jsonb NOT NULL DEFAULT '[]',
      manual jsonb NOT NULL DEFAULT '[]',
      last_error text,
      finished_at timestamptz,
      PRIMARY KEY (request_id, integration_id)
    )`,
    `ALTER TABLE acknowledgements DROP CONSTRAINT acknowledgements_conversation_id_fkey`,
    `ALTER TABLE acknowledgements DROP CONSTRAINT acknowledgements_contact_id_fkey`,
  ],
};
