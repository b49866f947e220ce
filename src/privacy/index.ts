import { z } from 'zod';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { HelpdeskCapability } from '../capabilities/helpdesk.js';
import type { IntegrationRegistry } from '../capabilities/registry.js';
import type { JobHandler } from '../jobs/catalog.js';
import type { JobQueue } from '../jobs/queue.js';
import type { Store } from '../store/store.js';
import { erasureReport, requestErasure, runErasure, type ErasureDeps, type ErasureInput, type ErasureReport } from './erase.js';
import { exportPerson, type ExportSummary } from './export.js';
import { audit } from '../dashboard/audit.js';
import { pseudonymOf } from '../ops/log-pseudonyms.js';
import { describeQuery, findPerson, type Footprint, type PersonQuery } from './footprint.js';

/**
 * Customer data rights (issue 27): find one person, export what the hub holds about them, erase it
 * here and at the helpdesks. Used by the operator API (and so `npm run privacy:*` while a hub
 * runs), by the same commands against a stopped store, and by the dashboard.
 */
export interface ExportActor {
  id: string | null;
  email: string | null;
  ip?: string | undefined;
}

export interface PrivacyService {
  find(query: PersonQuery): Promise<Footprint>;
  /** Writes the zip of what `find` found (find first, so an unknown person is refused before any byte). */
  export(footprint: Footprint, query: PersonQuery, out: Writable, actor: ExportActor): Promise<ExportSummary>;
  requestErasure(input: ErasureInput): Promise<{ requestId: string; footprint: Footprint }>;
  /** Works the request now, as far as it goes (the job does the same; both are idempotent). */
  runErasure(requestId: string): Promise<ErasureReport>;
  erasure(requestId: string): Promise<ErasureReport>;
  /**
   * At start: works every unfinished erasure once more. pg-boss 10 has no heartbeat, so a job held
   * by a SIGKILLed hub would wait out its expiry (minutes) before its retry; the request is the
   * durable record, and working it again is harmless, so a restart resumes it at once.
   */
  resumeUnfinished(): Promise<void>;
  handlers: { 'privacy.erase': JobHandler<'privacy.erase'> };
}

export function createPrivacy(deps: { store: Store; queue: Pick<JobQueue, 'enqueueIn'>; log: Logger; registry: IntegrationRegistry; pseudonymKey: Buffer }): PrivacyService {
  const helpdesks = new Map<string, HelpdeskCapability>(deps.registry.all('helpdesk').map((h) => [h.integrationId, h.instance]));
  const erasure: ErasureDeps = { store: deps.store, queue: deps.queue, log: deps.log, helpdesks, pseudonymKey: deps.pseudonymKey };
  return {
    find: (query) => findPerson(deps.store.db, query, helpdesks),
    async export(footprint, query, out, actor) {
      // Audited before the first byte: who took whose data (by pseudonym), and how much.
      const person = footprint.emails[0] ? pseudonymOf(footprint.emails[0], deps.pseudonymKey) : 'no address';
      await audit(deps.store.db, { actor: { id: actor.id, email: actor.email }, action: 'privacy.export', subject: { kind: 'person', id: person }, detail: { counts: footprint.counts }, ip: actor.ip });
      return exportPerson(deps.store.db, footprint, out, { handle: describeQuery(query) });
    },
    requestErasure: (input) => requestErasure(erasure, input),
    runErasure: (requestId) => runErasure(erasure, requestId),
    erasure: (requestId) => erasureReport(deps.store.db, requestId),
    async resumeUnfinished() {
      const unfinished = await deps.store.db.selectFrom('privacy_requests').select('id').where('state', '!=', 'done').orderBy('requested_at').execute();
      for (const { id } of unfinished) {
        await runErasure(erasure, id).then(
          () => deps.log.info({ requestId: id }, 'unfinished erasure resumed and finished'),
          (error: unknown) => deps.log.warn({ err: error, requestId: id }, 'unfinished erasure resumed; still waiting (its job retries)'),
        );
      }
    },
    handlers: {
      'privacy.erase': async ({ requestId }) => {
        await runErasure(erasure, requestId);
      },
    },
  };
}

/** A person as the operator API and the commands name them: exactly one handle. */
export const personQuerySchema = z.union([
  z.strictObject({ email: z.email().max(320) }),
  z.strictObject({ chatUser: z.string().min(3).max(400).regex(/^[^:]+:.+$/, 'chat users are named "<app id>:<user id>"') }),
  z.strictObject({ helpdesk: z.string().min(1).max(100), customerId: z.string().min(1).max(200) }),
]);

export type { PersonQuery, Footprint, ErasureReport, ExportSummary };
