import { createHash, createHmac, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import type { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRequest } from '../../src/capabilities/webhook.js';
import type { Store } from '../../src/store/store.js';
import { isVendorError, type VendorError } from '../../src/vendors/error.js';
import { parseRateLimit } from '../../src/vendors/rate-budget.js';
import { HelpScoutClient } from '../../integrations/helpscout/client.js';
import { conversationDto, conversationInfo, conversationsPage, mailboxDto, tagNames, threadDto, threadFromDto, threadsPage, userDto } from '../../integrations/helpscout/mapper.js';
import { parseHelpScoutWebhook, verifyHelpScoutWebhook } from '../../integrations/helpscout/webhook.js';
import { customerEmails, customersPage } from '../../integrations/helpscout/erase.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { adapterFor, createOp, file, message, openTestStore, rawToken, refOf } from '../integrations/helpscout/support.js';
import { compareShapes, mergeShapes, shapeOf, showFinding, type ConformanceFinding, type Shape } from './json-shape.js';

/**
 * Help Scout conformance: our adapter and our fake held to Help Scout's own payloads, extracted
 * from its official PHP SDK (helpscout/helpscout-api-php; provenance in the "helpscout/" section
 * of shared/data/vendor/official/README.md). Read in place, never copied into the repo.
 */
const PAYLOADS = fileURLToPath(new URL('../../../shared/data/vendor/official/helpscout/payloads/', import.meta.url));
const raw = (name: string) => readFileSync(`${PAYLOADS}${name}`);
const official = (name: string): unknown => JSON.parse(raw(name).toString('utf8'));

/** Payloads of endpoints and webhooks the adapter uses (client.ts, reads.ts, helpdesk.ts, webhook.ts). */
const RELEVANT = [
  'ConversationPayloads.getConversation.json',
  'ConversationPayloads.getConversations.json',
  'ConversationPayloads.getConversations-embedThread.json',
  'ConversationPayloads.getConversations-empty.json',
  'ConversationTest.testHydratesConversationFromWebhookRequest.json',
  'CustomerPayloads.getCustomers.json',
  'CustomerPayloads.getEmails.json',
  'ErrorPayloads.internalServerError.json',
  'ErrorPayloads.rateLimitExceededError.json',
  'ErrorPayloads.validationErrors.json',
  'MailboxPayloads.getMailbox.json',
  'ThreadPayloads.getThread.json',
  'ThreadPayloads.getThreads.json',
  'UserPayloads.getUser.json',
];

const NO_CUSTOMERS = 'the adapter reads customers only to erase one (List Customers, then each one’s List Emails, both checked); it names the customer inline on create and reads primaryCustomer from the conversation';
/** Payloads of endpoints the adapter does not use, and why. */
const SKIPPED: Record<string, string> = {
  'AttachmentPayloads.getAttachmentData.json': 'attachment data endpoint: the adapter passes attachment links on (_links.web/data) and never downloads them',
  'ChatPayloads.getChat.json': 'Chat API v1: chat conversations go through the Mailbox API',
  'ChatPayloads.getEvents.json': 'Chat API v1: chat conversations go through the Mailbox API',
  'ConversationPayloads.getThreads.json': 'despite its name a customer chat-handle list (type "aim"), not threads (official README); customer sub-resources are not read',
  'CustomerPayloads.getAddress.json': NO_CUSTOMERS,
  'CustomerPayloads.getChats.json': NO_CUSTOMERS,
  'CustomerPayloads.getCustomer.json': NO_CUSTOMERS,
  'CustomerPayloads.getPhones.json': NO_CUSTOMERS,
  'CustomerPayloads.getSocialProfiles.json': NO_CUSTOMERS,
  'CustomerPayloads.getWebsites.json': NO_CUSTOMERS,
  'MailboxPayloads.getFields.json': 'mailbox custom fields are not read',
  'MailboxPayloads.getFolders.json': 'folders are not read',
  'MailboxPayloads.getMailboxes.json': 'the adapter reads only its configured mailbox (GET /mailboxes/{id})',
  'TagPayloads.getTag.json': 'tags endpoint: tags are set with PUT /conversations/{id}/tags and read from the conversation',
  'TagPayloads.getTags.json': 'tags endpoint: tags are set with PUT /conversations/{id}/tags and read from the conversation',
  'TeamPayloads.getTeam.json': 'teams are not read',
  'TeamPayloads.getTeams.json': 'teams are not read',
  'ThreadPayloads.getThreadSource.json': 'the original-source endpoint is not read',
  'UserPayloads.getUsers.json': 'the adapter reads only GET /users/me (UserPayloads.getUser)',
  'WebhookPayloads.getWebhook.json': 'webhooks are configured in Help Scout’s Webhooks app, not through the API',
  'WebhookPayloads.getWebhooks.json': 'webhooks are configured in Help Scout’s Webhooks app, not through the API',
  'WorkflowPayloads.getWebhook.json': 'workflows are not used',
  'WorkflowPayloads.getWorkflows.json': 'workflows are not used',
};

// ---- the ledger behind the summary line -------------------------------------------------------

type Finding = ConformanceFinding;
/**
 * N (artefacts): official payload files fed to at least one check. The rule for which files must be
 * checked is RELEVANT (endpoints and webhooks the adapter uses); the first test proves RELEVANT and
 * SKIPPED together cover the directory. M (validated): parser checks (one per file, all its fields)
 * + shape comparisons. K (mismatches): parser findings + shape findings + stale allowances.
 */
const checkedFiles = new Set<string>();
let validated = 0;
const parserFindings: Finding[] = [];
const shapeFindings: Finding[] = [];
const show = showFinding;

/** One official file through the adapter's own parsing: every field read differently from `expected` is a finding. */
async function parserCheck(name: string, read: (payload: unknown) => Record<string, unknown> | Promise<Record<string, unknown>>, expected: Record<string, unknown>) {
  checkedFiles.add(name);
  validated++;
  let actual: Record<string, unknown>;
  try {
    actual = await read(official(name));
  } catch (error) {
    parserFindings.push({ check: name, kind: 'rejected', where: '', expected: 'accepted', actual: (error as Error).message });
    return;
  }
  for (const [field, value] of Object.entries(expected)) {
    if (JSON.stringify(actual[field]) !== JSON.stringify(value)) {
      parserFindings.push({ check: name, kind: 'misread', where: field, expected: JSON.stringify(value), actual: JSON.stringify(actual[field]) ?? 'undefined' });
    }
  }
}

/** The fake's answer (or several, merged) against the official payload of that kind. */
function shapeCheck(label: string, name: string, candidate: Shape, allow: Record<string, string> = {}) {
  checkedFiles.add(name);
  validated++;
  // Every kind compared here is one the fake claims to return (its README's endpoint list), so keys it lacks count.
  const { findings, unusedAllowances } = compareShapes(shapeOf(official(name)), candidate, { reportMissing: true, allow });
  const check = `fake ${label} vs ${name}`;
  shapeFindings.push(...findings.map((f) => ({ check, ...f })));
  shapeFindings.push(...unusedAllowances.map((where) => ({ check, kind: 'stale-allowance', where, expected: 'an extra key this allowance covers', actual: 'none' })));
}

// ---- allowances: fields the fake adds that Help Scout documents but the SDK fixture lacks -----

const GET_CONVERSATION_DOC = 'developer.helpscout.com/mailbox-api/endpoints/conversations/get/ response example';
const LIST_THREADS_DOC = 'developer.helpscout.com/mailbox-api/endpoints/conversations/threads/list/ response example';
const ERRORS_DOC = 'developer.helpscout.com/mailbox-api/overview/errors example';

// ---- allowances: keys the SDK fixture has and the fake lacks, with why --------------------------

const UNASSIGNED = 'the fake never assigns a conversation (no assign endpoint is used); the SDK fixture shows an assigned one, and nothing documents what an unassigned one carries';
const SDK_NEXT_LINK = 'shared/data/vendor/official/README.md: the SDK fixtures always carry a `next` link ("next link is always present, as in the SDK"); the docs\' single-page examples have none';
const SDK_ERROR_LINKS = `the SDK's error fixtures use \`links[{rel, href}]\`; ${'developer.helpscout.com/mailbox-api/overview/errors'} documents \`_links.about\`, which the fake sends`;

const conversationAllowances = (at: string): Record<string, string> => ({
  [`${at}/assignee`]: UNASSIGNED,
  [`${at}/_links/assignee`]: UNASSIGNED,
  [`${at}/primaryCustomer/type`]: `${GET_CONVERSATION_DOC}: primaryCustomer {id, type, first, last, email}; the SDK fixture has only its id`,
  [`${at}/primaryCustomer/first`]: `${GET_CONVERSATION_DOC}: primaryCustomer.first`,
  [`${at}/primaryCustomer/last`]: `${GET_CONVERSATION_DOC}: primaryCustomer.last`,
  [`${at}/primaryCustomer/email`]: `${GET_CONVERSATION_DOC}: primaryCustomer.email`,
  [`${at}/_links/web`]: `${GET_CONVERSATION_DOC} and its Resource Links table: "web" opens the conversation in the web app`,
});
const THREAD = '/_embedded/threads/*';
const threadAllowances: Record<string, string> = {
  [`${THREAD}/customer/first`]: `${LIST_THREADS_DOC}: customer {id, first, last, photoUrl, email}`,
  [`${THREAD}/customer/last`]: `${LIST_THREADS_DOC}: customer.last`,
  [`${THREAD}/createdBy/first`]: `${LIST_THREADS_DOC}: createdBy {id, type, first, last, photoUrl, email}`,
  [`${THREAD}/createdBy/last`]: `${LIST_THREADS_DOC}: createdBy.last`,
  [`${THREAD}/createdBy/email`]: `${LIST_THREADS_DOC}: createdBy.email`,
  [`${THREAD}/action/associatedEntities`]: `${LIST_THREADS_DOC} and field table: action.associatedEntities (an object of entity ids)`,
  [`${THREAD}/_embedded`]: `${LIST_THREADS_DOC} and field table: _embedded.attachments`,
  [`${THREAD}/_links`]: `${LIST_THREADS_DOC}: _links {assignedTo, createdByCustomer, customer}; createdByUser in ConversationPayloads.getConversations-embedThread.json`,
  [`${THREAD}/assignedTo`]: UNASSIGNED,
};
const errorAllowances: Record<string, string> = { '/_links': `${ERRORS_DOC}: top-level _links.about`, '/links': SDK_ERROR_LINKS };
const validationAllowances: Record<string, string> = {
  ...errorAllowances,
  '/_embedded/errors/*/links': SDK_ERROR_LINKS,
  '/_embedded/errors/*/_links': `${ERRORS_DOC}: each error has _links.about`,
  '/_embedded/errors/*/source': `${ERRORS_DOC}: each error has source "JSON"`,
};

// ---- the run ----------------------------------------------------------------------------------

let store: Store;
let closeStore: () => Promise<void>;
beforeAll(async () => {
  ({ store, close: closeStore } = await openTestStore());
});
afterAll(async () => {
  await closeStore();
});

describe('Help Scout conformance', () => {
  it('accounts for every official payload: checked when it concerns an endpoint or webhook we use, else skipped with a reason', () => {
    const files = readdirSync(PAYLOADS).filter((f) => f.endsWith('.json')).sort();
    const listed = [...RELEVANT, ...Object.keys(SKIPPED)].sort();
    expect(listed).toEqual(files);
  });

  it('our parsers accept every official payload we could receive', async () => {
    await parsedPayloads();
    expect(parserFindings.map(show)).toEqual([]);
  });

  it('the fake answers in the official shape', async () => {
    await fakeAnswers();
    expect(shapeFindings.map(show)).toEqual([]);
  });

  it('summary: every relevant official payload checked, no mismatches', () => {
    const findings = [...parserFindings, ...shapeFindings];
    // N counts official files fed to a check; RELEVANT is the rule for which files that must be.
    process.stdout.write(`conformance vendor=helpscout artefacts=${checkedFiles.size} validated=${validated} mismatches=${findings.length}\n`);
    expect(findings.map(show)).toEqual([]);
    expect([...checkedFiles].sort()).toEqual([...RELEVANT].sort());
  });
});

// ---- our parsers -------------------------------------------------------------------------------

/** The adapter's schema applied as parseVendor applies it, but a refusal names the path (parseVendor keeps only the first message). */
function parseStrict<T>(schema: z.ZodType<T>, payload: unknown, what: string): T {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  throw new Error(`${what} refused: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
}

async function parsedPayloads(): Promise<void> {
  await parserCheck(
    'ConversationPayloads.getConversation.json',
    (payload) => {
      const dto = parseStrict(conversationDto, payload, 'conversation');
      const info = conversationInfo(dto);
      return { ...info, createdAt: info.createdAt.toISOString(), tags: tagNames(dto.tags), primaryCustomerId: dto.primaryCustomer?.id };
    },
    // The SDK's conversation names its primary customer by id only: there is no email or name to read.
    { externalId: '1', hubConversationId: null, subject: 'Need Help', status: 'closed', customer: { email: null, name: null }, createdAt: '2017-04-21T14:39:56.000Z', tags: ['vip'], primaryCustomerId: 238604 },
  );
  await parserCheck(
    'ConversationPayloads.getConversations.json',
    (payload) => {
      const page = parseStrict(conversationsPage, payload, 'conversation list');
      const conversations = page._embedded?.conversations ?? [];
      return { count: conversations.length, statuses: [...new Set(conversations.map((c) => conversationInfo(c).status))], updatedAt: conversations[0]?.modifiedAt ?? conversations[0]?.userUpdatedAt, page: page.page };
    },
    { count: 10, statuses: ['closed'], updatedAt: '2017-04-21T14:43:24Z', page: { number: 1, totalPages: 1 } },
  );
  await parserCheck(
    'ConversationPayloads.getConversations-embedThread.json',
    (payload) => {
      // The adapter never asks a list for embedded threads, so it does not read them: a thread the
      // page embeds (this one with its createdAt inside createdBy, an SDK fixture quirk) cannot
      // make the conversations unreadable.
      const page = parseStrict(conversationsPage, payload, 'conversation list');
      const conversation = page._embedded?.conversations[0];
      return { conversationId: conversation?.id, status: conversation ? conversationInfo(conversation).status : null, page: page.page };
    },
    { conversationId: 1, status: 'closed', page: { number: 1, totalPages: 1 } },
  );
  await parserCheck(
    'ConversationPayloads.getConversations-empty.json',
    (payload) => {
      const page = parseStrict(conversationsPage, payload, 'conversation list');
      return { conversations: page._embedded?.conversations ?? [], page: page.page, lastPage: !page.page || page.page.number >= page.page.totalPages };
    },
    { conversations: [], page: { number: 1, totalPages: 0 }, lastPage: true },
  );
  await parserCheck(
    'ThreadPayloads.getThread.json',
    (payload) => {
      const dto = parseStrict(threadDto, payload, 'thread');
      const thread = threadFromDto(dto, null);
      return { ...thread, createdAt: thread.createdAt.toISOString(), sourceType: dto.source?.type, createdBy: dto.createdBy?.type, customerId: dto.customer?.id };
    },
    { id: '1', kind: 'customer', public: true, byHub: false, authorName: null, text: 'Need Help', createdAt: '2017-04-21T14:39:56.000Z', attachments: [], sourceType: 'email', createdBy: 'customer', customerId: 256 },
  );
  await parserCheck(
    'ThreadPayloads.getThreads.json',
    (payload) => {
      const page = parseStrict(threadsPage, payload, 'thread list');
      const threads = (page._embedded?.threads ?? []).map((t) => threadFromDto(t, null));
      return { count: threads.length, kinds: [...new Set(threads.map((t) => t.kind))], byHub: threads.some((t) => t.byHub), page: page.page };
    },
    { count: 10, kinds: ['customer'], byHub: false, page: { number: 1, totalPages: 1 } },
  );
  await parserCheck(
    'CustomerPayloads.getCustomers.json',
    (payload) => {
      const page = parseStrict(customersPage, payload, 'customer list');
      return { ids: (page._embedded?.customers ?? []).map((c) => c.id), page: page.page };
    },
    { ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], page: { number: 1, totalPages: 1 } },
  );
  await parserCheck('CustomerPayloads.getEmails.json', (payload) => ({ values: (parseStrict(customerEmails, payload, 'customer email list')._embedded?.emails ?? []).map((e) => e.value) }), {
    values: ['bigbird@sesamestreet.com'],
  });
  await parserCheck('MailboxPayloads.getMailbox.json', (payload) => parseStrict(mailboxDto, payload, 'mailbox'), { id: 1, name: 'ACME Support', email: 'support@acme.com' });
  await parserCheck('UserPayloads.getUser.json', (payload) => parseStrict(userDto, payload, 'user'), { id: 1 });

  const webhook = 'ConversationTest.testHydratesConversationFromWebhookRequest.json';
  await parserCheck(
    webhook,
    () => {
      // Signed over the file's own bytes, as Help Scout signs the raw body it sends.
      const secret = 'conformance-secret';
      const bytes = createHash('sha256').update(raw(webhook)).digest('hex').slice(0, 32);
      const replied = parseHelpScoutWebhook(signedWebhook('convo.customer.reply.created', raw(webhook), secret));
      const status = parseHelpScoutWebhook(signedWebhook('convo.status', raw(webhook), secret));
      return {
        verified: verifyHelpScoutWebhook(secret, signedWebhook('convo.status', raw(webhook), secret)).ok,
        replied: replied.events,
        repliedDeliveryId: replied.deliveryId === `convo.customer.reply.created:4934923493:${bytes}`,
        status: status.events,
        statusDeliveryId: status.deliveryId === `convo.status:4934923493:${bytes}`,
      };
    },
    {
      verified: true,
      // The top-level `threads` the fixture carries are reported as hints (the hub skips the pull if it knows them all).
      replied: [{ kind: 'customer.replied', externalId: '4934923493', hubConversationId: null, threadIds: ['2198262392'] }],
      // A delivery is event + conversation + the digest of its bytes: only documented, certain parts.
      repliedDeliveryId: true,
      status: [{ kind: 'status.changed', externalId: '4934923493', hubConversationId: null, status: 'open', threadIds: ['2198262392'] }],
      statusDeliveryId: true,
    },
  );

  await parserCheck('ErrorPayloads.validationErrors.json', async () => errorAsRead(await vendorErrorFor(400, 'ErrorPayloads.validationErrors.json', 'POST')), {
    kind: 'rejected',
    status: 400,
    namesMessage: true,
  });
  await parserCheck('ErrorPayloads.rateLimitExceededError.json', async () => errorAsRead(await vendorErrorFor(429, 'ErrorPayloads.rateLimitExceededError.json', 'GET')), {
    kind: 'rate_limited',
    status: 429,
  });
  await parserCheck('ErrorPayloads.internalServerError.json', async () => errorAsRead(await vendorErrorFor(500, 'ErrorPayloads.internalServerError.json', 'POST')), {
    kind: 'unavailable',
    status: 500,
    outcomeUnknown: true,
    namesMessage: true,
  });
}

function signedWebhook(event: string, rawBody: Buffer, secret: string): RawRequest {
  const signature = createHmac('sha1', secret).update(rawBody).digest('base64');
  return { rawBody, url: '/webhooks/helpscout', headers: { 'content-type': 'application/json', 'x-helpscout-event': event, 'x-helpscout-signature': signature } };
}

/** The error the adapter's client makes of an official error body served with `status`. */
async function vendorErrorFor(status: number, name: string, method: 'GET' | 'POST'): Promise<{ error: VendorError; message: string }> {
  const body = official(name) as { message?: unknown };
  const stub = async (input: string | URL | Request): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    if (url.endsWith('/oauth2/token')) return Response.json({ token_type: 'bearer', access_token: 'conformance', expires_in: 7200 });
    return new Response(raw(name), { status, headers: { 'content-type': 'application/json' } });
  };
  const client = new HelpScoutClient({
    // Its own budget key, so the pause a 429 records stays with this client.
    clientId: `conformance-${randomUUID()}`,
    clientSecret: 'conformance',
    apiBase: 'http://helpscout.invalid/v2',
    rateLimit: parseRateLimit('400/60'),
    store,
    log: pino({ level: 'silent' }),
    fetch: stub as typeof fetch,
    maxRateWaitMs: 1,
  });
  try {
    await client.request({ method, path: '/conversations', idempotent: false, ...(method === 'POST' ? { json: {} } : {}) });
  } catch (error) {
    if (isVendorError(error)) return { error, message: String(body.message ?? '') };
    throw error;
  }
  throw new Error(`the client accepted a ${status} answer`);
}

const errorAsRead = ({ error, message }: { error: VendorError; message: string }) => ({
  kind: error.kind,
  status: error.status,
  outcomeUnknown: error.outcomeUnknown,
  // The vendor's own words reach our logs.
  namesMessage: message.length > 0 && error.message.includes(message),
});

// ---- the fake ----------------------------------------------------------------------------------

async function fakeAnswers(): Promise<void> {
  // Webhook bodies with their threads, as the SDK's fixture has them (the fake's default leaves them
  // out: Help Scout does not promise them, and the hub must cope either way).
  const fake = await startFakeHelpScout({ webhookThreads: 'top-level' });
  const limited = await startFakeHelpScout({ rateLimit: { limit: 1, windowMs: 60_000 } });
  const hooks = await webhookReceiver();
  try {
    fake.setWebhookTarget(hooks.url);
    const { adapter } = adapterFor(fake, store);
    const op = createOp({ messages: [message('The export button does nothing', [file('screenshot.png', Buffer.from('not really a png'))])] });
    const created = await adapter.write(op);
    const ref = refOf(op, created.externalId!, created.metadata ?? {});
    await adapter.write({ kind: 'append', ref, channel: 'email', customer: op.customer, messages: [message('Also sent by mail')] });
    await adapter.write({ kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message('Still there?')] });
    await adapter.write({ kind: 'note', ref, key: randomUUID(), text: 'Device: Pixel 8' });
    await fake.agentReply(ref.externalId, 'We are on it');
    // Closed, like the official conversation: closedBy/closedAt and a line item appear.
    await fake.setStatus(ref.externalId, 'closed');
    await fake.flushWebhooks();

    const token = await rawToken(fake);
    const get = (path: string) => call(fake, token, 'GET', path);
    const conversation = await get(`/conversations/${ref.externalId}`);
    const threads = await get(`/conversations/${ref.externalId}/threads`);
    const list = await get(`/conversations?mailbox=${fake.env['HELPSCOUT_MAILBOX_ID']}&status=all`);
    const empty = await get(`/conversations?mailbox=${fake.env['HELPSCOUT_MAILBOX_ID']}&status=all&tag=no-such-tag`);
    const mailbox = await get(`/mailboxes/${fake.env['HELPSCOUT_MAILBOX_ID']}`);
    const customers = await get(`/customers?query=${encodeURIComponent(`(email:"${op.customer.email}")`)}`);
    const emails = await get(`/customers/${String(ref.metadata['customerId'])}/emails`);
    const me = await get('/users/me');
    const invalid = await call(fake, token, 'POST', '/conversations', { subject: '', mailboxId: Number(fake.env['HELPSCOUT_MAILBOX_ID']), type: 'email', status: 'active', customer: {}, threads: [] });
    fake.setFaults({ errorRate: 1 });
    const failed = await get('/users/me');
    fake.setFaults({ errorRate: 0 });
    const limitedToken = await rawToken(limited);
    await call(limited, limitedToken, 'GET', '/users/me');
    const refused = await call(limited, limitedToken, 'GET', '/users/me');

    expect([conversation, threads, list, empty, mailbox, me, customers, emails].map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200]);
    expect([invalid.status, failed.status >= 500, refused.status]).toEqual([400, true, 429]);
    expect(hooks.bodies.length).toBeGreaterThan(0);

    shapeCheck('GET /conversations/{id}', 'ConversationPayloads.getConversation.json', shapeOf(conversation.body), conversationAllowances(''));
    shapeCheck('GET /conversations', 'ConversationPayloads.getConversations.json', shapeOf(list.body), { ...conversationAllowances('/_embedded/conversations/*'), '/_links/next': SDK_NEXT_LINK });
    shapeCheck('GET /conversations (no results)', 'ConversationPayloads.getConversations-empty.json', shapeOf(empty.body), { '/_links/next': SDK_NEXT_LINK });
    shapeCheck('GET /conversations/{id}/threads', 'ThreadPayloads.getThreads.json', shapeOf(threads.body), { ...threadAllowances, '/_links/next': SDK_NEXT_LINK });
    // The adapter never reads one thread alone; compared only if the fake starts serving it.
    const firstThread = (threads.body as { _embedded: { threads: { id: number }[] } })._embedded.threads[0]!;
    const single = await get(`/conversations/${ref.externalId}/threads/${firstThread.id}`);
    if (single.status === 200) shapeCheck('GET /conversations/{id}/threads/{id}', 'ThreadPayloads.getThread.json', shapeOf(single.body), unprefixed(threadAllowances, THREAD));
    shapeCheck('GET /mailboxes/{id}', 'MailboxPayloads.getMailbox.json', shapeOf(mailbox.body));
    shapeCheck('GET /customers?query=', 'CustomerPayloads.getCustomers.json', shapeOf(customers.body), { '/_links/next': SDK_NEXT_LINK });
    shapeCheck('GET /customers/{id}/emails', 'CustomerPayloads.getEmails.json', shapeOf(emails.body));
    shapeCheck('GET /users/me', 'UserPayloads.getUser.json', shapeOf(me.body));
    shapeCheck('400 validation error', 'ErrorPayloads.validationErrors.json', shapeOf(invalid.body), validationAllowances);
    shapeCheck(`${failed.status} error`, 'ErrorPayloads.internalServerError.json', shapeOf(failed.body), errorAllowances);
    shapeCheck('429', 'ErrorPayloads.rateLimitExceededError.json', shapeOf(refused.body));
    // Every webhook the scenario caused (created, replies, note, status), merged into one shape.
    const webhookShape = hooks.bodies.map((body) => shapeOf(JSON.parse(body))).reduce((a, b) => mergeShapes(a, b));
    shapeCheck(`webhook bodies (${hooks.events().length} events, merged)`, 'ConversationTest.testHydratesConversationFromWebhookRequest.json', webhookShape);
  } finally {
    await fake.close();
    await limited.close();
    await hooks.close();
  }
}

const unprefixed = (allow: Record<string, string>, prefix: string) => Object.fromEntries(Object.entries(allow).map(([at, why]) => [at.slice(prefix.length), why]));

async function call(fake: FakeHelpScout, token: string, method: string, path: string, json?: unknown): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
}

/** A local endpoint for the fake's webhooks: keeps each body as sent. */
async function webhookReceiver(): Promise<{ url: string; bodies: string[]; events(): string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const events: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      events.push(String(req.headers['x-helpscout-event']));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/helpscout`,
    bodies,
    events: () => [...new Set(events)],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
