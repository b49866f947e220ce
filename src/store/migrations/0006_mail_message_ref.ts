import type { Migration } from './index.js';

/** Which of our messages an outbound Message-ID carried, so a bounce can be recorded against it. */
export const mailMessageRef: Migration = {
  version: 6,
  name: 'mail_message_ref',
  statements: [`ALTER TABLE mail_message_ids ADD COLUMN hub_message_id uuid REFERENCES messages (id)`],
};
