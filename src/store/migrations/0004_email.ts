import type { Migration } from './index.js';

/**
 * Every Message-ID the hub received or sent, per mailbox, with its conversation: what a reply's
 * In-Reply-To / References are looked up in (threading rule 2) — and the full original MIME of
 * what we received.
 */
export const email: Migration = {
  version: 4,
  name: 'email',
  statements: [
    `CREATE TABLE mail_message_ids (
      mailbox text NOT NULL,
      message_id text NOT NULL,
      conversation_id uuid NOT NULL REFERENCES conversations (id),
      direction text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
      -- The original MIME of inbound mail, kept whole (the message text is a stripped rendering).
      raw bytea,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (mailbox, message_id)
    )`,
    `CREATE INDEX mail_message_ids_conversation_idx ON mail_message_ids (conversation_id, created_at)`,
  ],
};
