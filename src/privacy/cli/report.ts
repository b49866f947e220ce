import type { FootprintCounts } from '../footprint.js';
import type { ErasureReport } from '../erase.js';

const WORDS: [keyof FootprintCounts, string, string][] = [
  ['contacts', 'identity', 'identities'],
  ['conversations', 'conversation', 'conversations'],
  ['messages', 'message', 'messages'],
  ['attachments', 'attachment', 'attachments'],
  ['rawMails', 'raw email', 'raw emails'],
  ['triageResults', 'urgency call', 'urgency calls'],
  ['triageOverrides', 'staff re-classification', 'staff re-classifications'],
  ['acknowledgements', 'acknowledgement', 'acknowledgements'],
  ['incidentMemberships', 'incident membership', 'incident memberships'],
  ['escalations', 'escalation', 'escalations'],
  ['helpdeskConversations', 'helpdesk mapping', 'helpdesk mappings'],
  ['chatSessions', 'chat session with its device', 'chat sessions with their devices'],
  ['auditRows', 'audit row', 'audit rows'],
];

/** "2 conversations, 14 messages, …": the kinds with a count, in words. */
export function countsInWords(counts: Partial<FootprintCounts>): string {
  const parts = WORDS.filter(([key]) => (counts[key] ?? 0) > 0).map(([key, one, many]) => `${counts[key]} ${counts[key] === 1 ? one : many}`);
  return parts.length > 0 ? parts.join(', ') : 'nothing';
}

/** The erasure as an operator reads it: what went where, and what is left for a human. */
export function erasureInWords(report: ErasureReport): string {
  // Acknowledgements stay as anonymous counts and audit rows keep who did what: said as such.
  const { acknowledgements = 0, auditRows = 0, ...removed } = report.removed;
  const kept = [
    ...(acknowledgements > 0 ? [`${acknowledgements} ${acknowledgements === 1 ? 'acknowledgement' : 'acknowledgements'} kept as anonymous counts`] : []),
    ...(auditRows > 0 ? [`${auditRows} audit ${auditRows === 1 ? 'row' : 'rows'} kept without whom ${auditRows === 1 ? 'it was' : 'they were'} about`] : []),
  ];
  const lines = [`hub: removed ${countsInWords(removed)}${kept.length > 0 ? `; ${kept.join('; ')}` : ''}`];
  for (const step of report.helpdesks) {
    if (step.state === 'done') lines.push(`${step.integration}: ${step.done.length > 0 ? step.done.join('; ') : 'nothing of this person was there'}`);
    else if (step.state === 'pending') lines.push(`${step.integration}: not done yet${step.lastError ? ` (${step.lastError})` : ''}; retried by the hub's job`);
    else lines.push(`${step.integration}: cannot delete through its API`);
  }
  if (report.manual.length > 0) lines.push('to do by hand:', ...report.manual.map((m) => `  - ${m}`));
  lines.push(report.state === 'done' ? `erasure ${report.requestId} finished` : `erasure ${report.requestId} is waiting for the helpdesks (state: ${report.state}); see it again with --status ${report.requestId}`);
  return lines.join('\n');
}
