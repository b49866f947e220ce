/**
 * What `npm run privacy:export` and `privacy:erase` share: naming the person on the command line,
 * and the hub's privacy service on a store this process opened (a stopped hub's, or a PostgreSQL
 * server's) — with the helpdesks configured, so an erasure reaches them too.
 */
import type { Logger } from 'pino';
import { integrations } from '../../../integrations/index.js';
import { IntegrationRegistry } from '../../capabilities/registry.js';
import type { HubConfig } from '../../config.js';
import { HubError } from '../../errors.js';
import { JobQueue } from '../../jobs/queue.js';
import { hubLogger } from '../../log.js';
import { logPseudonymKey } from '../../ops/log-pseudonyms.js';
import type { Store } from '../../store/store.js';
import { createPrivacy, personQuerySchema, type PersonQuery, type PrivacyService } from '../index.js';

export const PERSON_OPTIONS = {
  email: { type: 'string' },
  'chat-user': { type: 'string' },
  helpdesk: { type: 'string' },
  'customer-id': { type: 'string' },
} as const;

export const PERSON_HELP: [string, string][] = [
  ['--email ADDRESS', 'the person by an address they wrote from (all their identities with that address are included)'],
  ['--chat-user APP:USER', 'the person by the id the chat SDK signed them in with'],
  ['--helpdesk ID --customer-id N', 'the person by the helpdesk’s own customer id (e.g. --helpdesk zendesk --customer-id 123)'],
];

/** Exactly one way of naming the person, else a usage error (exit 2). */
export function personFrom(values: { email?: string | undefined; 'chat-user'?: string | undefined; helpdesk?: string | undefined; 'customer-id'?: string | undefined }): PersonQuery {
  const given = [values.email !== undefined, values['chat-user'] !== undefined, values.helpdesk !== undefined || values['customer-id'] !== undefined].filter(Boolean).length;
  if (given !== 1) throw new UsageError('name the person one way: --email ADDRESS, --chat-user APP:USER, or --helpdesk ID --customer-id N');
  const raw = values.email !== undefined ? { email: values.email.trim() } : values['chat-user'] !== undefined ? { chatUser: values['chat-user'] } : { helpdesk: values.helpdesk ?? '', customerId: values['customer-id'] ?? '' };
  const parsed = personQuerySchema.safeParse(raw);
  if (!parsed.success) throw new UsageError(`invalid person: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The privacy service on an open store, with an enqueue-only job queue; `close` before the store. */
export async function localPrivacy(store: Store, config: HubConfig, log: Logger = hubLogger(config)): Promise<{ privacy: PrivacyService; close(): Promise<void> }> {
  const queue = new JobQueue(store, log, { concurrency: 0, maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds });
  await queue.start(null);
  const registry = new IntegrationRegistry(integrations, config, { store, log, publicUrl: config.http.publicUrl });
  return { privacy: createPrivacy({ store, queue, log, registry, pseudonymKey: logPseudonymKey(config) }), close: () => queue.stop(1000) };
}

/** A refusal from the service, as the account commands print them (exit 1). */
export function isRefusal(error: unknown): error is HubError {
  return error instanceof HubError;
}
