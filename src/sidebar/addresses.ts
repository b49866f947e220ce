import { contactIdOfChatAddress } from '../capabilities/helpdesk.js';

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
 * The hub contacts a helpdesk names by the hub's per-contact chat address (helpdeskChatAddress:
 * Help Scout knows every in-app chat customer by it, Zendesk a chat customer whose email is not
 * proven). A card about such an address is about that contact and nobody else: its own email, its
 * own proof — never another contact's that happens to share the address.
 */
export function chatContactIds(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map(contactIdOfChatAddress).filter((id): id is string => id !== null))];
}
