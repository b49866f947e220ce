import type { RetentionKindName } from './kind.js';
import type { RetentionOutcome, RetentionRun } from './run.js';

const LABEL: Record<RetentionKindName, { name: string; setting: string; since: string }> = {
  rawMime: { name: 'raw MIME', setting: 'RETENTION_RAW_MIME_DAYS', since: 'received before' },
  attachments: { name: 'attachment bytes', setting: 'RETENTION_ATTACHMENT_DAYS', since: 'stored before' },
  bodies: { name: 'message bodies', setting: 'RETENTION_CLOSED_BODY_DAYS', since: 'closed, unchanged since before' },
  auditRows: { name: 'audit rows', setting: 'RETENTION_AUDIT_DAYS', since: 'written before' },
};

const number = (n: number) => n.toLocaleString('en-US');
const utc = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function line(outcome: RetentionOutcome): string {
  const label = LABEL[outcome.kind];
  const name = label.name.padEnd(18);
  if (!outcome.cutoff) return `  ${name}kept forever (${label.setting} is off)`;
  const what = `${number(outcome.items)} ${outcome.unit}${outcome.conversations !== undefined ? ` in ${number(outcome.conversations)} conversations` : ''}`;
  return `  ${name}${what.padEnd(34)} ${label.since} ${utc(outcome.cutoff)} (${outcome.days} days)`;
}

/** What `npm run privacy:retention` prints: one line per kind, then the total and the runtime. */
export function retentionReport(run: RetentionRun, store: string): string {
  const total = run.outcomes.reduce((sum, o) => sum + o.items, 0);
  const seconds = (run.durationMs / 1000).toFixed(2);
  return [
    run.dryRun ? `Retention dry run on ${store}: nothing was changed. Would remove:` : `Retention run on ${store}. Removed:`,
    ...run.outcomes.map(line),
    run.dryRun ? `would remove ${number(total)} items; runtime ${seconds} s` : `removed ${number(total)} items; runtime ${seconds} s; counts recorded in the audit log (privacy.retention)`,
  ].join('\n');
}
