import type { ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from '@slack/types';
import { IncomingWebhook, IncomingWebhookHTTPError, type IncomingWebhookSendArguments } from '@slack/webhook';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVendorError } from '../../src/vendors/error.js';
import { createSlackEscalation, slackConfigSchema } from '../../integrations/slack/index.js';
import { followUpMessage, openMessage, type SlackBlock, type SlackMessage } from '../../integrations/slack/message.js';
import { escalationRequest } from '../contract/escalation.js';
import { startFakeSlack, type FakeSlack } from '../fakes/slack/index.js';
import { targetContext } from '../support/escalation-target.js';
import { recordingFetch, type RecordedExchange } from './recording-fetch.js';

/**
 * Slack publishes no OpenAPI document for incoming webhooks; its own Node SDK is the reference:
 * `@slack/types` (Block Kit types, with the limits in their doc comments) and `@slack/webhook`
 * (`IncomingWebhookSendArguments`, and `IncomingWebhook`, Slack's client for these URLs). MIT,
 * versions pinned in package.json.
 *
 * - Our payloads are typed by the SDK: `integrations/slack/message.ts` builds every block and
 *   message with `satisfies HeaderBlock | SectionBlock | ContextBlock | IncomingWebhookSendArguments`,
 *   and the assignments below make the compiler prove our `SlackMessage` is an SDK message.
 * - Every request our adapter sends (open, each follow-up, long text, and the failures it maps)
 *   is recorded; its body must be exactly what the SDK-typed builders make, and within the limits
 *   the SDK documents (header text ≤ 150, section text 1–3,000, context ≤ 10 elements).
 * - Slack's own client sends the same messages to the fake: the fake must answer what the SDK
 *   understands (`ok`, or an error body it reports as `IncomingWebhookHTTPError`), and the SDK's
 *   request body must equal ours.
 */

// Compile-time: our types are the SDK's (tsc -p . fails otherwise).
const asSdkMessage = (message: SlackMessage): IncomingWebhookSendArguments => message;
const asSdkBlock = (block: SlackBlock): KnownBlock => block;

const HEADER_MAX = 150; // HeaderBlock.text: "Maximum length for the text in this field is 150 characters."
const SECTION_MAX = 3000; // SectionBlock.text: "minimum length … is 1 and maximum length is 3000 characters."
const CONTEXT_ELEMENTS_MAX = 10; // ContextBlock.elements: "Maximum number of items is 10."

const findings: string[] = [];
const kinds = new Set<string>();
let validated = 0;
let artefacts = 0;

/** One block against the SDK's documented limits. */
function checkBlock(block: KnownBlock, where: string): void {
  kinds.add(block.type);
  switch (block.type) {
    case 'header': {
      const header: HeaderBlock = block;
      if (header.text.type !== 'plain_text' || header.text.text.length === 0 || header.text.text.length > HEADER_MAX) findings.push(`${where}: header text must be plain_text of 1–${HEADER_MAX} characters`);
      break;
    }
    case 'section': {
      const section: SectionBlock = block;
      const length = section.text?.text.length ?? 0;
      if (length < 1 || length > SECTION_MAX) findings.push(`${where}: section text is ${length} characters (1–${SECTION_MAX})`);
      break;
    }
    case 'context': {
      const context: ContextBlock = block;
      if (context.elements.length === 0 || context.elements.length > CONTEXT_ELEMENTS_MAX) findings.push(`${where}: context has ${context.elements.length} elements (1–${CONTEXT_ELEMENTS_MAX})`);
      break;
    }
    default:
      findings.push(`${where}: block type ${block.type} is not one the adapter builds`);
  }
}

describe('Slack conformance: the adapter and the fake against Slack’s own SDK', () => {
  let fake: FakeSlack;
  const ours = recordingFetch();
  const sdk = recordingFetch();

  beforeAll(async () => {
    fake = await startFakeSlack({ rateLimit: null });
  });
  afterAll(() => fake?.close());

  it('every message the adapter sends is exactly an SDK-typed message, within the limits the SDK documents', async () => {
    const target = createSlackEscalation(slackConfigSchema.parse({ webhookUrl: fake.webhookUrl }), targetContext, { fetch: ours.fetch, maxRateWaitMs: 0 });
    const requests = [
      escalationRequest(),
      escalationRequest({ title: 'x'.repeat(400), summary: '<'.repeat(5000), recipients: [{ name: 'Ravi', slack: 'U024BE7LH' }], category: null, link: null, acknowledgeUrl: null }),
    ];
    const expected: SlackMessage[] = [];
    for (const request of requests) {
      const receipt = await target.open(request);
      expected.push(openMessage(request));
      for (const change of [{ kind: 'acknowledged', by: 'Ravi Ops' }, { kind: 'comment', text: 'Looking at <!channel> it' }, { kind: 'resolved', by: null, text: 'Fixed.'.repeat(700) }] as const) {
        await target.update(receipt, change);
        expected.push(followUpMessage(receipt.externalId, change));
      }
    }
    // The answers the adapter maps: rate limit, refused payload, revoked webhook, archived channel, outage, lost answer.
    const failing = escalationRequest();
    for (const status of [429, 400, 403, 404, 410, 500]) {
      fake.failNext(status, { retryAfterSeconds: 30 });
      const error = await target.open(failing).then(() => null, (e: unknown) => e);
      expect(isVendorError(error), `${status}`).toBe(true);
      expected.push(openMessage(failing));
    }
    fake.dropNextResponse();
    await target.open(failing).catch(() => null);
    expected.push(openMessage(failing));

    expect(ours.exchanges).toHaveLength(expected.length);
    for (const [i, exchange] of ours.exchanges.entries()) {
      validated++;
      const where = `request ${i} (${exchange.response?.status ?? 'no answer'})`;
      if (exchange.method !== 'POST' || !/^application\/json\b/.test(exchange.request.contentType ?? '')) findings.push(`${where}: ${exchange.method} ${exchange.request.contentType ?? 'no content type'}`);
      if (JSON.stringify(exchange.request.json) !== JSON.stringify(asSdkMessage(expected[i]!))) findings.push(`${where}: the body is not the SDK-typed message the builder made`);
      for (const [b, block] of expected[i]!.blocks.entries()) checkBlock(asSdkBlock(block), `${where} block ${b}`);
    }
    // Artefacts: the SDK's message type and each Block Kit block type our messages use.
    artefacts += 1 + kinds.size;
    expect(findings).toEqual([]);
  });

  it('Slack’s own client, sending the same messages to the fake, gets answers it understands and sends what we send', async () => {
    const webhook = new IncomingWebhook(fake.webhookUrl, { fetch: (url, init) => sdk.fetch(url, init), timeout: 5_000 });
    artefacts++; // the SDK client
    const message = openMessage(escalationRequest());
    const sent = await webhook.send(message);
    validated++;
    if (sent.text !== 'ok') findings.push(`SDK send: result text ${JSON.stringify(sent.text)}, expected "ok"`);
    validated++;
    const ourBody = ours.exchanges.find((e) => e.response?.status === 200)!.request.json as { blocks: unknown[] };
    const sdkBody = sdk.exchanges[0]!.request.json as { blocks: unknown[] };
    if (Object.keys(sdkBody).sort().join() !== Object.keys(ourBody).sort().join()) findings.push(`SDK body keys ${Object.keys(sdkBody).join()} vs ours ${Object.keys(ourBody).join()}`);
    // Every error the fake answers reaches the SDK as an HTTP error carrying Slack's plain-text code.
    for (const [status, code] of [[400, 'invalid_payload'], [403, 'invalid_token'], [404, 'no_service'], [410, 'channel_is_archived'], [429, 'rate_limited'], [500, 'rollup_error']] as const) {
      fake.failNext(status, { retryAfterSeconds: 30 });
      validated++;
      const error = await webhook.send(message).then(() => null, (e: unknown) => e);
      if (!(error instanceof IncomingWebhookHTTPError) || error.statusCode !== status || error.body !== code) findings.push(`SDK on a ${status}: ${String(error)} (body ${error instanceof IncomingWebhookHTTPError ? error.body : 'n/a'}), expected "${code}"`);
    }
    const retryAfter = sdk.exchanges.find((e: RecordedExchange) => e.response?.status === 429)?.response?.headers['retry-after'];
    validated++;
    if (retryAfter !== '30') findings.push(`429 Retry-After ${String(retryAfter)}, expected "30"`);
    artefacts += 6; // each error answer the SDK read
    expect(findings).toEqual([]);
  });

  it('summary: one line, no mismatches', () => {
    // Counting rule: artefacts = the SDK's message type (1) + each Block Kit block type our
    // messages use + Slack's client (1) + each error answer of the fake read by that client.
    // validated = per request the adapter sent (its body is the SDK-typed message, each block
    // within the SDK's documented limits) + the SDK's send and its result + the SDK's body beside
    // ours + each error through the SDK + the 429's Retry-After. mismatches = every finding.
    process.stdout.write(`conformance vendor=slack artefacts=${artefacts} validated=${validated} mismatches=${findings.length}\n`);
    expect(findings).toEqual([]);
  });
});
