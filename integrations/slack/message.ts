import type { ContextBlock, HeaderBlock, SectionBlock } from '@slack/types';
import type { IncomingWebhookSendArguments } from '@slack/webhook';
import type { EscalationChange, EscalationRecipient, EscalationRequest } from '../../src/capabilities/escalation.js';
import { escapeMrkdwn, escapeTruncated, mrkdwnLink, truncatePlain } from './mrkdwn.js';

/**
 * The messages the hub posts to a Slack incoming webhook: Block Kit `blocks` plus a `text`
 * fallback (used for notifications and clients without blocks). Limits from Slack's Block Kit
 * reference (and the doc comments of `@slack/types`): header text 150 characters, section text
 * 3,000. Every block and message is checked against Slack's own SDK types (`@slack/types`,
 * `@slack/webhook`, type-only imports) with `satisfies`: a field Slack does not define fails to
 * compile.
 */

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: true } }
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

const HEADER_MAX = 150;
const SECTION_MAX = 3000;

const LEVELS: Record<EscalationRequest['level'], { label: string; emoji: string }> = {
  urgent: { label: 'Urgent', emoji: ':rotating_light:' },
  high: { label: 'High', emoji: ':warning:' },
  normal: { label: 'Normal', emoji: ':large_blue_circle:' },
  low: { label: 'Low', emoji: ':white_circle:' },
};

export type SlackMessageKind = 'opened' | EscalationChange['kind'];

/**
 * The last line of every message names the escalation and what the message is about. Follow-ups
 * cannot be threaded under the first message (an incoming webhook returns no message `ts`), so
 * this line is what ties them together for people searching the channel.
 */
export function escalationLine(escalationId: string, kind: SlackMessageKind): SlackBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: `Support Hub escalation ${escapeMrkdwn(escalationId)} · ${kind}` }] } satisfies ContextBlock;
}

/**
 * How a recipient is mentioned. A member id becomes `<@U…>`, which Slack renders as the person
 * and notifies them. An `@handle` stays plain text: incoming webhooks cannot resolve handles
 * (Slack retired name-based `link_names` mentions), so it reads as a name but pings nobody —
 * configure member ids on the on-call schedule for people who must be notified.
 */
export function mention(recipient: EscalationRecipient): string {
  const slack = recipient.slack;
  if (slack && /^[UW][A-Z0-9]+$/.test(slack)) return `<@${slack}>`;
  if (slack) return `${escapeMrkdwn(slack)} (${escapeMrkdwn(recipient.name)})`;
  return escapeMrkdwn(recipient.name);
}

/** Whole mentions only (a cut `<@U…` would break the block), then "and N more". */
function mentions(recipients: readonly EscalationRecipient[], max: number): string {
  let line = '';
  for (const [i, recipient] of recipients.entries()) {
    const next = `${line ? `${line}, ` : ''}${mention(recipient)}`;
    if (next.length > max - 20) return `${line} and ${recipients.length - i} more`;
    line = next;
  }
  return line;
}

export function openMessage(request: EscalationRequest): SlackMessage {
  const level = LEVELS[request.level];
  const facts = [
    `*Level:* ${level.label}`,
    `*Category:* ${request.category === null ? 'none' : escapeMrkdwn(request.category)}`,
    `*Conversations:* ${request.conversations}`,
  ].join('   ');
  const onCall = request.recipients.length > 0 ? `\n*On call:* ${mentions(request.recipients, SECTION_MAX - facts.length - 20)}` : '';
  const evidence = request.evidence.map((e) => `“${e.phrase}” (${e.category})`).join(', ');
  const links = [
    request.link ? mrkdwnLink(request.link, 'Open in Support Hub') : null,
    request.acknowledgeUrl ? mrkdwnLink(request.acknowledgeUrl, 'Acknowledge') : null,
  ].filter((link): link is string => link !== null);

  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncatePlain(`${level.emoji} ${request.title}`, HEADER_MAX), emoji: true } } satisfies HeaderBlock,
    section(`${facts}${onCall}`),
    section(escapeTruncated(request.summary, SECTION_MAX)),
  ];
  if (evidence) blocks.push(section(`*Evidence:* ${escapeTruncated(evidence, SECTION_MAX - 14)}`));
  if (links.length > 0) blocks.push(section(links.join('   ·   ')));
  blocks.push(escalationLine(request.escalationId, 'opened'));
  return { text: `${level.label} escalation: ${escapeTruncated(request.title, SECTION_MAX)}`, blocks } satisfies IncomingWebhookSendArguments;
}

export function followUpMessage(escalationId: string, change: EscalationChange): SlackMessage {
  const text = followUpText(change);
  return { text, blocks: [section(text), escalationLine(escalationId, change.kind)] } satisfies IncomingWebhookSendArguments;
}

function followUpText(change: EscalationChange): string {
  const by = (who: string | null) => (who ? ` by ${escapeMrkdwn(who)}` : '');
  switch (change.kind) {
    case 'acknowledged':
      return `:eyes: Acknowledged${by(change.by)}`;
    case 'resolved': {
      const head = `:white_check_mark: Resolved${by(change.by)}`;
      const text = change.text.trim();
      // The engine's text when staff wrote none is "Resolved by …." itself: not said twice.
      return text && !/^resolved\b/i.test(text) ? `${head}: ${escapeTruncated(text, SECTION_MAX - head.length - 2)}` : head;
    }
    case 'comment':
      return `:speech_balloon: ${escapeTruncated(change.text, SECTION_MAX - 20)}`;
  }
}

function section(text: string): SlackBlock {
  return { type: 'section', text: { type: 'mrkdwn', text } } satisfies SectionBlock;
}
