import type { EscalationChange, EscalationRequest } from '../../src/capabilities/escalation.js';
import { codeSpan, fencedBlock, inlineText, link, plainLine, quote } from './markdown.js';

/**
 * What an escalation looks like as a GitHub issue, and the comments updates add. Everything the
 * customer wrote goes through markdown.ts: it is shown, never acted on.
 */

/** On every issue the hub opens; the webhook acts only on issues carrying it (or the marker). */
export const HUB_LABEL = 'support-hub';

// docs.github.com (Create an issue): titles are at most 256 characters, bodies and comments 65,536.
const MAX_TITLE = 256;
const MAX_BODY = 65_536;
const MAX_EVIDENCE = 20;

/**
 * A hidden HTML comment on the body's first line: how a retried `open` recognises the issue an
 * earlier attempt created. Only our ids go in it, percent-encoded so nothing can end the comment.
 */
export function escalationMarker(escalationId: string): string {
  const safe = escalationId.replace(/[^A-Za-z0-9_.-]|-(?=-)/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `<!-- support-hub:escalation:${safe} -->`;
}

/**
 * The marker must open the body: customer text quoted further down may contain a marker-like
 * line (it is shown as text inside a code block), and must not make the issue look like another
 * escalation's.
 */
export function hasMarker(body: string | null | undefined, escalationId?: string): boolean {
  if (!body) return false;
  const first = body.split('\n', 1)[0]!.trim();
  return escalationId === undefined ? /^<!-- support-hub:escalation:\S+ -->$/.test(first) : first === escalationMarker(escalationId);
}

export interface EscalationIssue {
  title: string;
  body: string;
  labels: string[];
}

export function escalationLabels(request: Pick<EscalationRequest, 'level' | 'category'>, configured: readonly string[]): string[] {
  const labels = [HUB_LABEL, ...configured, `urgency-${request.level}`];
  if (request.category) labels.push(`category-${request.category}`);
  // GitHub label names are at most 50 characters; a longer category is cut rather than refused.
  return [...new Set(labels.map((label) => plainLine(label).slice(0, 50)).filter(Boolean))];
}

export function escalationIssue(request: EscalationRequest, configuredLabels: readonly string[]): EscalationIssue {
  const title = plainLine(request.title).slice(0, MAX_TITLE) || 'Support escalation';
  const facts = [
    `**Urgency:** ${request.level}`,
    `**Category:** ${request.category ? codeSpan(request.category) : 'none'}`,
    `**Conversations:** ${request.conversations}`,
  ].join(' · ');
  const evidence = request.evidence.slice(0, MAX_EVIDENCE).map((item) => `- ${codeSpan(item.phrase)} (${codeSpan(item.category)})`);
  if (request.evidence.length > MAX_EVIDENCE) evidence.push(`- … and ${request.evidence.length - MAX_EVIDENCE} more`);
  const links = [request.link ? link('Open in Support Hub', request.link) : null, request.acknowledgeUrl ? link('Acknowledge', request.acknowledgeUrl) : null].filter(
    (line): line is string => line !== null,
  );
  const recipients = request.recipients.map((recipient) => inlineText(recipient.name)).filter(Boolean);

  const before = [escalationMarker(request.escalationId), facts, '', '**What the customer wrote, and why it was escalated:**', ''];
  const after = [
    '',
    '**Evidence:**',
    ...(evidence.length > 0 ? evidence : ['- none recorded']),
    ...(recipients.length > 0 ? ['', `**On call:** ${recipients.join(', ')}`] : []),
    ...(links.length > 0 ? ['', links.join(' · ')] : []),
    '',
    '<sub>Opened by Support Hub. Assigning this issue acknowledges the escalation; closing it resolves it.</sub>',
  ];
  const frame = before.join('\n').length + after.join('\n').length + 2;
  return { title, body: [...before, fencedBlock(fitSummary(request.summary, MAX_BODY - frame)), ...after].join('\n'), labels: escalationLabels(request, configuredLabels) };
}

/** Cuts the summary so the body stays within GitHub's limit (escaping and the fence add a little). */
function fitSummary(summary: string, room: number): string {
  if (fencedBlock(summary).length <= room) return summary;
  const note = '\n… (cut: the full text is in Support Hub)';
  let keep = room - note.length - 200;
  while (keep > 0 && fencedBlock(summary.slice(0, keep) + note).length > room) keep -= 1000;
  return summary.slice(0, Math.max(0, keep)) + note;
}

/** The comment an update adds (resolved also closes the issue). */
export function changeComment(change: EscalationChange): string {
  switch (change.kind) {
    case 'acknowledged':
      return `Acknowledged${change.by ? ` by ${inlineText(change.by)}` : ''} via Support Hub.`;
    case 'resolved': {
      const heading = `Resolved${change.by ? ` by ${inlineText(change.by)}` : ''} via Support Hub`;
      return change.text.trim() ? `${heading}:\n\n${quote(clip(change.text))}` : `${heading}.`;
    }
    case 'comment':
      return `Support Hub:\n\n${quote(clip(change.text))}`;
  }
}

function clip(text: string): string {
  // Escaping can double the length; half of GitHub's limit always fits.
  return text.length > MAX_BODY / 2 - 200 ? `${text.slice(0, MAX_BODY / 2 - 260)}\n… (cut)` : text;
}
