/**
 * The device and app a chat customer wrote from (the SDK's `device`, stored on each inbound
 * message as `metadata.device`), as labelled lines for people: the helpdesk note and the sidebar
 * card show the same fields in the same order. It lives in the canonical model, not in the chat
 * channel, because sync, the sidebar and the dashboard render it (channels are not imported by
 * the core, ARCHITECTURE §3).
 */
const DEVICE_LABELS: readonly [field: string, label: string][] = [
  ['platform', 'Platform'],
  ['osVersion', 'OS version'],
  ['model', 'Device'],
  ['appVersion', 'App version'],
  ['sdkVersion', 'SDK version'],
  ['locale', 'Locale'],
  ['timeZone', 'Time zone'],
  ['network', 'Network'],
];

/** The known, non-empty text fields of a stored device, labelled, in display order. */
export function deviceFacts(device: Record<string, unknown>): { label: string; value: string }[] {
  return DEVICE_LABELS.flatMap(([field, label]) => {
    const value = device[field];
    return typeof value === 'string' && value !== '' ? [{ label, value }] : [];
  });
}
