/**
 * What Slack checks in an incoming webhook's body, and what a posted message would do to people.
 * Error strings are the plain-text bodies Slack answers with
 * (api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks, plus `no_text`
 * and `too_many_attachments`, which Slack answers for a message without content / with more
 * than 100 attachments); the Block Kit limits are from the block reference.
 */

export class SlackHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status} ${body}`);
  }
}

export interface SlackPayload {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  [field: string]: unknown;
}

/** The message as JSON, from a JSON body or the legacy `payload=` form field. */
export function parsePayload(contentType: string | undefined, body: Buffer): SlackPayload {
  let json: string;
  if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(body.toString('utf8')).get('payload');
    if (payload === null) throw new SlackHttpError(400, 'invalid_payload');
    json = payload;
  } else {
    json = body.toString('utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new SlackHttpError(400, 'invalid_payload');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SlackHttpError(400, 'invalid_payload');
  return parsed as SlackPayload;
}

const LIMITS = { blocks: 50, header: 150, section: 3000, field: 2000, fields: 10, contextElements: 10, attachments: 100 };

export function validatePayload(payload: SlackPayload): void {
  const { text, blocks, attachments } = payload;
  if (text !== undefined && typeof text !== 'string') throw new SlackHttpError(400, 'invalid_payload');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new SlackHttpError(400, 'invalid_blocks_format');
  if (attachments !== undefined && !Array.isArray(attachments)) throw new SlackHttpError(400, 'invalid_attachments');
  if (!text?.trim() && !(blocks && blocks.length > 0) && !(attachments && attachments.length > 0)) throw new SlackHttpError(400, 'no_text');
  if (attachments && attachments.length > LIMITS.attachments) throw new SlackHttpError(400, 'too_many_attachments');
  if (blocks) {
    if (blocks.length > LIMITS.blocks || !blocks.every(validBlock)) throw new SlackHttpError(400, 'invalid_blocks');
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

function textObject(value: unknown, max: number, types: readonly string[] = ['plain_text', 'mrkdwn']): boolean {
  return isObject(value) && types.includes(String(value['type'])) && typeof value['text'] === 'string' && value['text'].length > 0 && value['text'].length <= max;
}

function validBlock(block: unknown): boolean {
  if (!isObject(block)) return false;
  switch (block['type']) {
    case 'header':
      return textObject(block['text'], LIMITS.header, ['plain_text']);
    case 'section': {
      const fields = block['fields'];
      const hasText = block['text'] !== undefined;
      if (hasText && !textObject(block['text'], LIMITS.section)) return false;
      if (fields !== undefined && (!Array.isArray(fields) || fields.length > LIMITS.fields || !fields.every((f) => textObject(f, LIMITS.field)))) return false;
      return hasText || Array.isArray(fields);
    }
    case 'context': {
      const elements = block['elements'];
      return Array.isArray(elements) && elements.length > 0 && elements.length <= LIMITS.contextElements && elements.every((e) => textObject(e, LIMITS.section) || (isObject(e) && e['type'] === 'image'));
    }
    case 'divider':
      return true;
    case 'actions':
      return Array.isArray(block['elements']) && block['elements'].length > 0;
    default:
      return false;
  }
}

/** Every mrkdwn string in the message: where Slack looks for mentions. Plain text is never parsed. */
export function mrkdwnTexts(payload: SlackPayload): string[] {
  const texts: string[] = [];
  // Top-level text is mrkdwn unless `mrkdwn: false`.
  if (typeof payload.text === 'string' && payload['mrkdwn'] !== false) texts.push(payload.text);
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!isObject(node)) return;
    if (node['type'] === 'mrkdwn' && typeof node['text'] === 'string') texts.push(node['text']);
    for (const [key, value] of Object.entries(node)) if (key !== 'text' || isObject(value)) visit(value);
  };
  visit(payload.blocks ?? []);
  return texts;
}

/**
 * The notifications a message causes, the way Slack's mrkdwn parser finds them
 * (docs.slack.dev/messaging/formatting-message-text): `<@U…>` notifies a member,
 * `<!channel>` / `<!here>` / `<!everyone>` the channel, `<!subteam^S…>` a user group. Escaped
 * `&lt;!channel&gt;` is just text.
 */
export function mentionsIn(texts: readonly string[]): string[] {
  const mentions = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(/<([@!#][^>|]*)(?:\|[^>]*)?>/g)) {
      const inner = match[1]!;
      if (/^@[UW][A-Z0-9]+$/.test(inner)) mentions.add(inner.slice(1));
      else if (/^!(channel|here|everyone)$/.test(inner)) mentions.add(inner.slice(1));
      else if (/^!subteam\^/.test(inner)) mentions.add(inner.slice(1));
    }
  }
  return [...mentions];
}
