import { core } from './0001_core.js';
import { chat } from './0002_chat.js';
import { triage } from './0003_triage.js';
import { email } from './0004_email.js';
import { imap } from './0005_imap.js';
import { mailMessageRef } from './0006_mail_message_ref.js';
import { sync } from './0007_sync.js';
import { escalation } from './0008_escalation.js';
import { dashboard } from './0009_dashboard.js';
import { syncThreads } from './0010_sync_threads.js';
import { staffDevices } from './0011_staff_devices.js';
import { escalationReplied } from './0012_escalation_replied.js';
import { privacy } from './0013_privacy.js';
import { incidentBanner } from './0014_incident_banner.js';
import { teamPromises } from './0015_team_promises.js';
import { incidentLinks } from './0016_incident_links.js';
import { chatPushTokens } from './0017_chat_push_tokens.js';
import { incidentProblems } from './0018_incident_problems.js';

/**
 * Versioned migrations, applied in order at start and by `npm run migrate`. Append only: never
 * edit a migration that has shipped; add the next version instead.
 */
export interface Migration {
  version: number;
  name: string;
  /** One statement per entry (PGlite's extended protocol runs one statement per query). */
  statements: string[];
}

export const migrations: Migration[] = [core, chat, triage, email, imap, mailMessageRef, sync, escalation, dashboard, syncThreads, staffDevices, escalationReplied, privacy, incidentBanner, teamPromises, incidentLinks, chatPushTokens, incidentProblems];

export const latestVersion = Math.max(...migrations.map((m) => m.version));
