import type { FakeFaults, FakeHelpdesk } from './helpdesk-fake.js';
import { startFakeHelpScout } from './helpscout/server.js';
import { startFakeZendesk } from './zendesk/server.js';

export type FakeVendor = 'helpscout' | 'zendesk';

/**
 * Where a vendor's material is silent, each fake plays the unfriendly reading by default (its
 * README, "assumed"); `friendly` switches every such reading to the convenient one, so a run can
 * show the hub holds in both.
 */
export type FakeReading = 'unfriendly' | 'friendly';

/** Starts either fake helpdesk with the same options (chaos test, bench:sync, contract kit). */
export async function startFakeHelpdesk(
  vendor: FakeVendor,
  options: { faults?: Partial<FakeFaults>; rateLimit?: { limit: number; windowMs: number } | null; seed?: number; reading?: FakeReading } = {},
): Promise<FakeHelpdesk> {
  const { reading = 'unfriendly', ...common } = options;
  const friendly = reading === 'friendly';
  if (vendor === 'helpscout') {
    return startFakeHelpScout({ ...common, ...(friendly ? { webhookThreads: 'top-level', apiThreadSource: 'api', importedSilencesAgentReplies: true } : {}) });
  }
  // Zendesk's Update Ticket limit is a separate budget; the shared shape under test is the account's.
  return startFakeZendesk({ ...common, updateTicketLimit: null, ...(friendly ? { requesterNeedsEmail: false } : {}) });
}
