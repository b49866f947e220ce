import { contactIdOfChatAddress } from '../capabilities/helpdesk.js';
import type { Store } from '../store/store.js';

/** Trimmed, lower-cased, de-duplicated addresses that look like addresses, in the order given. */
export function uniqueAddresses(candidates: readonly (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const address = candidate?.trim().toLowerCase();
    if (address && /^[^\s@]+@[^\s@]+$/.test(address)) seen.add(address);
  }
  return [...seen];
}

/**
 * The customer behind each address a helpdesk shows: the hub's per-contact chat address
 * (helpdeskChatAddress, which Help Scout knows in-app chat customers by) becomes the contact's own
 * email; other addresses are kept. A chat contact without an email keeps the chat address.
 */
export async function resolveChatAddresses(store: Store, addresses: readonly string[]): Promise<string[]> {
  const contactIds = addresses.map(contactIdOfChatAddress).filter((id): id is string => id !== null);
  if (contactIds.length === 0) return [...addresses];
  const rows = await store.db.selectFrom('contacts').select(['id', 'email']).where('id', 'in', contactIds).execute();
  const emails = new Map(rows.map((r) => [r.id, r.email]));
  return uniqueAddresses(addresses.map((address) => {
    const contactId = contactIdOfChatAddress(address);
    return (contactId && emails.get(contactId)) || address;
  }));
}
