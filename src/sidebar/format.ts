/** How the card writes dates and money: unambiguous for agents anywhere, times in UTC unless a zone is given. */

export function isTimeZone(zone: string | undefined): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The calendar fields of `date` in `timeZone`, whatever the process locale. */
function partsIn(date: Date, timeZone: string): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-US', { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone });
  return Object.fromEntries(format.formatToParts(date).map((p) => [p.type, p.value]));
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
  let amount: string;
  try {
    const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
    amount = format.format(amountMinor / 10 ** digits);
  } catch {
    amount = `${amountMinor} ${currency}`;
  }
  return interval ? `${amount} / ${interval}` : amount;
}
