/** Trimmed, lower-cased, de-duplicated addresses that look like addresses, in the order given. */
export function uniqueAddresses(candidates: readonly (string | null | undefined)[]): string[] {
  const seen = new Set<string>();
  for (const candidate of candidates) {
    const address = candidate?.trim().toLowerCase();
    if (address && /^[^\s@]+@[^\s@]+$/.test(address)) seen.add(address);
  }
  return [...seen];
}
