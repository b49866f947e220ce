import type { Migration } from './index.js';

/**
 * Device push tokens (issue 28): an app registers its FCM/APNs token with `PUT /v1/push-token`, and
 * the `chat.reply.unread` push webhook carries the tokens of that person's devices, so the product's
 * backend can notify them without keeping its own user → device table. A token identifies one app
 * install, so it belongs to whoever signed in there last (one row per app and token); revoking the
 * session that registered it removes it (the device signed out), erasing the person removes all.
 */
export const chatPushTokens: Migration = {
  version: 17,
  name: 'chat_push_tokens',
  statements: [
    `CREATE TABLE chat_push_tokens (
      app_id text NOT NULL,
      token text NOT NULL,
      platform text NOT NULL,
      contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
      session_id uuid NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (app_id, token)
    )`,
    `CREATE INDEX chat_push_tokens_contact ON chat_push_tokens (contact_id)`,
    `CREATE INDEX chat_push_tokens_session ON chat_push_tokens (session_id)`,
  ],
};
