/** How the card writes dates and money: unambiguous for agents anywhere, times in UTC unless a zone is given. */
import { isTimeZone, wallClock } from '../team/local-time.js';

/** `2026-03-12` (UTC). */
export function formatDay(date: Date): string {
  return wallClock(date, 'UTC').date;
}

/** `2026-03-12 14:05 UTC`, or in the given zone with its name. ISO order reads the same to every agent. */
export function formatMoment(date: Date, timeZone = 'UTC'): string {
  const clock = wallClock(date, isTimeZone(timeZone) ? timeZone : 'UTC');
  return `${clock.date} ${clock.hhmm} ${timeZone}`;
}

/** `€49.00 / month`; amounts are in the currency's minor unit, as Stripe gives them. */
export function formatPrice(amountMinor: number | null, currency: string | null, interval: string | null): string | null {
  if (amountMinor === null || !currency) return null;
  const format = moneyFormat(currency.toUpperCase());
  const amount = format ? format.format(amountMinor / 10 ** format.digits) : `${amountMinor} ${currency}`;
  return interval ? `${amount} / ${interval}` : amount;
}

// Building an Intl formatter costs ~50 µs, using one ~5 µs: kept per currency.
const moneyFormats = new Map<string, { format(value: number): string; digits: number } | null>();

function moneyFormat(currency: string): { format(value: number): string; digits: number } | null {
  let entry = moneyFormats.get(currency);
  if (entry === undefined) {
    try {
      const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
      entry = { format: (value) => format.format(value), digits: format.resolvedOptions().maximumFractionDigits ?? 2 };
    } catch {
      entry = null;
    }
    // Currency codes come from data sources; bounded anyway.
    if (moneyFormats.size >= 500) moneyFormats.clear();
    moneyFormats.set(currency, entry);
  }
  return entry;
}
