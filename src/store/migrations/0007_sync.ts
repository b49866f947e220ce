import type { Migration } from './index.js';

/**
 * Helpdesk sync (src/sync): per-conversation sync state with its lease and the write in flight,
 * what has been pushed, vendor rate budgets shared by every hub process, and each
 * integration's health (the re-auth breaker) and reconciliation cursor.
 */
export const sync: Migration = {
  version: 7,
  name: 'sync',
  statements: [
    `CREATE TABLE integration_state (
      integration_id text PRIMARY KEY,
      status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reauth')),
      auth_failures integer NOT NULL DEFAULT 0,
      reason text,
      changed_at timestamptz NOT NULL DEFAULT now(),
      reconciled_through timestamptz,
      next_reconcile_at timestamptz NOT NULL DEFAULT now()
    )`,
    // A token bucket per vendor account (and per endpoint class where the vendor limits one):
    // every hub process takes from the same row, so together they stay under the vendor's limit.
    `CREATE TABLE rate_buckets (
      key text PRIMARY KEY,
      tokens double precision NOT NULL,
      updated_at timestamptz NOT NULL
    )`,
    `CREATE TABLE sync_conversations (
      integration_id text NOT NULL,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      external_id text,
      metadata jsonb NOT NULL DEFAULT '{}',
      -- Work may be pending (set when a push starts or cannot run, cleared when a push finds nothing left).
      dirty boolean NOT NULL DEFAULT true,
      lease_owner text,
      lease_until timestamptz,
      -- The write whose outcome is not known yet: looked up at the vendor before anything is retried.
      pending_write jsonb,
      triage_pushed text,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, conversation_id),
      CONSTRAINT sync_conversations_external_key UNIQUE (integration_id, external_id)
    )`,
    `CREATE INDEX sync_conversations_dirty_idx ON sync_conversations (integration_id) WHERE dirty`,
    // One row per pushed item (a message id, or a note/triage key) with the vendor thread that
    // carries it; several messages combined into one thread share its id.
    `CREATE TABLE sync_pushed (
      integration_id text NOT NULL,
      item_id text NOT NULL,
      conversation_id uuid NOT NULL,
      thread_id text,
      pushed_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (integration_id, item_id)
    )`,
    `CREATE INDEX sync_pushed_conversation_idx ON sync_pushed (integration_id, conversation_id)`,
  ],
};
