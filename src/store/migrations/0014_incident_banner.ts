import type { Migration } from './index.js';

/**
 * The status banner (issue 26): an open incident, once published, is shown in the widget and in
 * `GET /v1/availability` to customers who have not written yet. Staff may publish it before the
 * automatic threshold, edit what it says or take it down; once they decided (`banner_set_by`), the
 * threshold no longer publishes it. Each contact whose widget showed the banner is recorded once
 * per incident, so "opened the widget, saw the banner and did not write" can be counted.
 */
export const incidentBanner: Migration = {
  version: 14,
  name: 'incident_banner',
  statements: [
    `ALTER TABLE incidents ADD COLUMN published_at timestamptz`,
    `ALTER TABLE incidents ADD COLUMN banner_set_by text`,
    `ALTER TABLE incidents ADD COLUMN public_title text`,
    `ALTER TABLE incidents ADD COLUMN public_message text`,
    `ALTER TABLE incidents ADD COLUMN public_updated_at timestamptz`,
    `CREATE TABLE incident_banner_views (
      incident_id uuid NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
      contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
      seen_at timestamptz NOT NULL,
      PRIMARY KEY (incident_id, contact_id)
    )`,
    `CREATE INDEX incidents_published_open ON incidents (public_updated_at DESC) WHERE status = 'open' AND published_at IS NOT NULL`,
  ],
};
