import type { Migration } from './index.js';

/**
 * Where IMAP polling got to, per polled folder: the folder's UIDVALIDITY and the highest UID taken
 * in under it. UIDs only mean something under the same UIDVALIDITY; a change is handled by the
 * poller (src/channels/email/imap-poller.ts), and Message-ID dedupe keeps it from storing twice.
 */
export const imap: Migration = {
  version: 5,
  name: 'imap',
  statements: [
    `CREATE TABLE imap_state (
      -- user@host:port/folder (never the password).
      account text PRIMARY KEY,
      uid_validity bigint NOT NULL,
      last_uid bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
  ],
};
