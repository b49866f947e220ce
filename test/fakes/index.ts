import type { FakeFaults, FakeHelpdesk } from './helpdesk-fake.js';
import { startFakeHelpScout } from './helpscout/server.js';
import { startFakeZendesk } from './zendesk/server.js';

export type FakeVendor = 'helpscout' | 'zendesk';

/** Starts either fake helpdesk with the same options (chaos test, bench:sync, contract kit). */
export async function startFakeHelpdesk(
  vendor: FakeVendor,
  options: { faults?: Partial<FakeFaults>; rateLimit?: { limit: number; windowMs: number } | null; seed?: number } = {},
): Promise<FakeHelpdesk> {
  if (vendor === 'helpscout') return startFakeHelpScout({ ...options });
  // Zendesk's Update Ticket limit is a separate budget; the shared shape under test is the account's.
  return startFakeZendesk({ ...options, updateTicketLimit: null });
}
