import type { Migration } from './index.js';

/**
 * Devices a staff account has logged in from (a long-lived cookie; only its hash is stored): a
 * login from a known device is throttled on its own, so nobody can lock a real user out by
 * failing logins for their account from elsewhere (OWASP: device cookies).
 */
export const staffDevices: Migration = {
  version: 11,
  name: 'staff_devices',
  statements: [
    `CREATE TABLE staff_devices (
      token_hash text PRIMARY KEY,
      user_id uuid NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX staff_devices_user_idx ON staff_devices (user_id)`,
  ],
};
