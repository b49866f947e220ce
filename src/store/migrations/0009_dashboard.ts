import type { Migration } from './index.js';

/**
 * The triage dashboard: staff accounts and their sessions, the login throttle, staff overrides of
 * the classifier's urgency calls (its feedback), and the audit log of every staff action.
 */
export const dashboard: Migration = {
  version: 9,
  name: 'dashboard',
  statements: [
    `CREATE TABLE staff_users (
      id uuid PRIMARY KEY,
      email text NOT NULL,
      name text,
      role text NOT NULL CHECK (role IN ('admin', 'triage', 'viewer')),
      -- scrypt$N$r$p$salt$hash (base64): the parameters travel with the hash, so they can be raised later.
      password_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      disabled_at timestamptz
    )`,
    `CREATE UNIQUE INDEX staff_users_email_idx ON staff_users (lower(email))`,
    // Only the SHA-256 of a session id is stored: a leaked table cannot be replayed as cookies.
    // Anonymous sessions (user_id null) carry the login form's CSRF token.
    `CREATE TABLE staff_sessions (
      id_hash text PRIMARY KEY,
      user_id uuid REFERENCES staff_users (id) ON DELETE CASCADE,
      csrf_token text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_seen_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL
    )`,
    `CREATE INDEX staff_sessions_expiry_idx ON staff_sessions (expires_at)`,
    `CREATE INDEX staff_sessions_user_idx ON staff_sessions (user_id)`,
    // Failed logins per account and per client address, in a sliding window.
    `CREATE TABLE login_throttle (
      key text PRIMARY KEY,
      failures integer NOT NULL,
      window_started_at timestamptz NOT NULL,
      locked_until timestamptz
    )`,
    // A staff correction of an urgency call: what the classifier read and said, what staff say, why.
    `CREATE TABLE triage_overrides (
      id uuid PRIMARY KEY,
      -- Order of writing: the latest correction wins even when two share a timestamp.
      seq bigserial NOT NULL,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      from_level text NOT NULL CHECK (from_level IN ('urgent', 'high', 'normal', 'low')),
      to_level text NOT NULL CHECK (to_level IN ('urgent', 'high', 'normal', 'low')),
      reason text NOT NULL,
      classified_text text NOT NULL,
      evidence jsonb NOT NULL,
      staff_user_id uuid REFERENCES staff_users (id),
      staff_email text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX triage_overrides_conversation_idx ON triage_overrides (conversation_id, seq DESC)`,
    `CREATE INDEX triage_overrides_time_idx ON triage_overrides (created_at)`,
    `CREATE TABLE audit_log (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      staff_user_id uuid,
      staff_email text,
      action text NOT NULL,
      subject_kind text,
      subject_id text,
      detail jsonb NOT NULL DEFAULT '{}'::jsonb,
      ip text
    )`,
    `CREATE INDEX audit_log_at_idx ON audit_log (at DESC)`,
    // The dashboard finds a conversation's helpdesk (queue rows, filters, the conversation page).
    `CREATE INDEX sync_conversations_conversation_idx ON sync_conversations (conversation_id)`,
  ],
};
