import type { Migration } from './index.js';

/**
 * In-app chat: SDK sessions (tokens stored hashed) and uploaded attachments. Attachment bytes live
 * in the database so any hub process sharing a server can serve them.
 */
export const chat: Migration = {
  version: 2,
  name: 'chat',
  statements: [
    `CREATE TABLE chat_sessions (
      id uuid PRIMARY KEY,
      token_hash text NOT NULL UNIQUE,
      app_id text NOT NULL,
      user_kind text NOT NULL CHECK (user_kind IN ('identified', 'anonymous')),
      user_id text NOT NULL,
      contact_id uuid NOT NULL REFERENCES contacts (id),
      device jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz
    )`,
    `CREATE INDEX chat_sessions_contact_idx ON chat_sessions (contact_id)`,
    `CREATE TABLE attachments (
      id uuid PRIMARY KEY,
      contact_id uuid NOT NULL REFERENCES contacts (id),
      filename text NOT NULL,
      content_type text NOT NULL,
      size integer NOT NULL,
      sha256 text NOT NULL,
      content bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
};
