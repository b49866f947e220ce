/** How the card writes dates and money: unambiguous for agents anywhere, times in UTC unless a zone is given. */

// Building an Intl formatter costs ~50 µs, using one ~5 µs: every card formats several dates, so
// formatters are kept per zone (and per currency below). Zones and currencies are few; the maps
// are bounded anyway because a zone name can come from a request.
const MAX_CACHED = 500;
const dateFormats = new Map<string, Intl.DateTimeFormat | null>();

function dateFormat(timeZone: string): Intl.DateTimeFormat | null {
  let format = dateFormats.get(timeZone);
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
    } catch {
      format = null;
    }
    if (dateFormats.size >= MAX_CACHED) dateFormats.clear();
    dateFormats.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(zone: string | undefined): zone is string {
  return Boolean(zone) && dateFormat(zone!) !== null;
}

/** The calendar fields of `date` in `timeZone`, whatever the process locale. */
function partsIn(date: Date, timeZone: string): Record<string, string> {
  const format = dateFormat(timeZone) ?? dateFormat('UTC')!;
  const parts: Record<string, string> = {};
  for (const part of format.formatToParts(date)) parts[part.type] = part.value;
  return parts;
}

/** `2026-03-12` (UTC). */
export function formatDay(date: Date): string {
  const p = partsIn(date, 'UTC');
  return `${p['year']}-${p['month']}-${p['day']}`;
}

/** `2026-03-12 14:05 UTC`, or in the given zone with its name. ISO order reads the same to every agent. */
export function formatMoment(date: Date, timeZone = 'UTC'): string {
  const p = partsIn(date, timeZone);
  return `${p['year']}-${p['month']}-${p['day']} ${p['hour']}:${p['minute']} ${timeZone}`;
}

/** `€49.00 / month`; amounts are in the currency's minor unit, as Stripe gives them. */
export function formatPrice(amountMinor: number | null, currency: string | null, interval: string | null): string | null {
  if (amountMinor === null || !currency) return null;
  const format = moneyFormat(currency.toUpperCase());
  const amount = format ? format.format(amountMinor / 10 ** format.digits) : `${amountMinor} ${currency}`;
  return interval ? `${amount} / ${interval}` : amount;
}

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
    if (moneyFormats.size >= MAX_CACHED) moneyFormats.clear();
    moneyFormats.set(currency, entry);
  }
  return entry;
}
