import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationRef, HelpdeskWrite, WriteOutcome } from '../../src/capabilities/helpdesk.js';
import { isVendorError } from '../../src/vendors/error.js';
import { attachment, createOp, customer, message, startHarness, testStore, type Harness } from '../integrations/zendesk/support.js';
import { OpenApi3Document } from './openapi3.js';
import { recordingFetch } from './recording-fetch.js';
import { checkTraffic, formatFinding } from './traffic.js';

/**
 * Zendesk's own Support API OpenAPI document (provenance: shared/data/vendor/official/README.md,
 * "zendesk/"), read in place. Zendesk accepts every path with a `.json` suffix but documents none.
 */
const SUPPORT_OAS = fileURLToPath(new URL('../../../shared/data/vendor/official/zendesk/support-oas.yaml', import.meta.url));

/**
 * Where an operation's response schema is narrower than the same document elsewhere: the fake's
 * extra properties are then checked against the schema the document does give them, never waved
 * through. Each entry must match a finding (a stale one fails the test) and its values must
 * validate, undeclared properties included, against the named schema.
 */
interface DocumentedElsewhere {
  operation: string;
  /** Findings this entry covers: undeclared properties at these places of that operation's response. */
  covers: RegExp;
  /** The values to check instead, from each recorded response body of the operation. */
  select(body: Record<string, unknown>): unknown[];
  schema: string;
  why: string;
}

const pick = (body: Record<string, unknown>, keys: string[]) => (keys.some((k) => k in body) ? [Object.fromEntries(keys.filter((k) => k in body).map((k) => [k, body[k]]))] : []);
const items = (value: unknown) => (Array.isArray(value) ? value : []);

const DOCUMENTED_ELSEWHERE: DocumentedElsewhere[] = [
  {
    operation: 'ListTicketComments',
    covers: /^response 200#\/(meta|links)$/,
    select: (body) => pick(body, ['meta', 'links']),
    schema: 'CursorPaginationMeta',
    why: 'cursor pagination (`page[size]`, documented by the DualPaginationPage parameter) answers with the document’s CursorPaginationMeta',
  },
  {
    operation: 'ListTicketComments',
    covers: /^response 200#\/users$/,
    select: (body) => items(body['users']),
    schema: 'UserObject',
    why: '`include=users` is a documented parameter of this operation; the sideloaded users are UserObjects',
  },
  {
    operation: 'ShowTicket',
    covers: /^response 200#\/users$/,
    select: (body) => items(body['users']),
    schema: 'UserObject',
    why: '`include=users` (TicketsInclude) is a documented parameter of this operation; the sideloaded users are UserObjects',
  },
  {
    operation: 'UpdateTicket',
    covers: /^response 200#\/audit\/events\/\*\/[a-z_]+$/,
    select: (body) => (body['audit'] === undefined ? [] : [body['audit']]),
    schema: 'TicketAuditObject',
    why: 'UpdateTicket names the narrow AuditObject; the document’s TicketAuditObject (same audit, Ticket Audits API) leaves events open, citing the audit events reference, and its example shows public/attachments',
  },
  {
    operation: 'ListTickets',
    covers: /^response 200#\/(next_page|previous_page|count)$/,
    select: (body) => pick(body, ['next_page', 'previous_page', 'count']),
    schema: 'OffsetPaginationObject',
    why: 'offset pagination (the DualPaginationPage parameter) answers with the document’s OffsetPaginationObject',
  },
  {
    operation: 'ListSearchResults',
    covers: /^response 200#\/results\/\*\/[a-z_]+$/,
    // `result_type` is SearchResultObject's (checked there); the rest of a ticket result is a TicketObject.
    select: (body) =>
      items(body['results'])
        .filter((r): r is Record<string, unknown> => (r as { result_type?: unknown }).result_type === 'ticket')
        .map(({ result_type: _type, ...ticket }) => ticket),
    schema: 'TicketObject',
    why: 'a `type:ticket` search returns tickets; SearchResultObject declares only the fields every result type shares',
  },
  {
    operation: 'SearchUsers',
    covers: /^response 200#\/(next_page|previous_page|count)$/,
    select: (body) => pick(body, ['next_page', 'previous_page', 'count']),
    schema: 'OffsetPaginationObject',
    why: 'Search Users is documented as "Offset pagination only" (Page/PerPage parameters); its pages carry the document’s OffsetPaginationObject',
  },
  {
    operation: 'ListUserRequestedTickets',
    covers: /^response 200#\/(meta|links)$/,
    select: (body) => pick(body, ['meta', 'links']),
    schema: 'CursorPaginationMeta',
    why: 'cursor pagination (`page[size]`, documented by the DualPaginationPage parameter) answers with the document’s CursorPaginationMeta',
  },
  {
    operation: 'PermanentlyDeleteUser',
    covers: /^response 200#\/deleted_user\/organization_id$/,
    select: (body) => (body['deleted_user'] === undefined ? [] : [body['deleted_user']]),
    schema: 'UserObject',
    why: 'DeletedUserObject requires a non-null organization_id, yet the same user as UserObject (UserForAdmin) declares organization_id nullable: a user in no organization; the deleted user is checked as the UserObject it was',
  },
];

/** Small enough that one test file is over it and becomes a link line instead of an upload. */
const MAX_ATTACHMENT_BYTES = 1024;

describe('Zendesk conformance: the adapter and the fake against Zendesk Support API OpenAPI', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  let h: Harness;
  const recorder = recordingFetch();

  beforeAll(async () => {
    db = await testStore();
    h = await startHarness(db.store, { overrides: { fetch: recorder.fetch, maxAttachmentBytes: MAX_ATTACHMENT_BYTES, erasureTiming: { jobPollMs: 50, jobWaitMs: 5_000 } } });
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });

  /** A write whose answer is lost (committed, no reply): the engine's next step is findWrite. */
  async function lostWrite(op: HelpdeskWrite, only: { method: string; path?: string }): Promise<void> {
    h.fake.loseNextResponses(1, only);
    try {
      await h.zendesk.write(op);
    } catch (error) {
      if (!isVendorError(error) || !error.outcomeUnknown) throw error;
    }
  }

  const refOf = (conversationId: string, outcome: WriteOutcome): ConversationRef => ({ conversationId, externalId: outcome.externalId!, metadata: outcome.metadata ?? {} });

  it('every call the adapter makes, and every answer the fake gives, is what Zendesk documents', async () => {
    const { zendesk, fake } = h;

    // checkConnection: Show Self, then the triggers.
    expect((await zendesk.checkConnection()).ok).toBe(true);

    // create, without and with attachments (one uploaded, one over the limit → a link line).
    const plainCreate = createOp(randomUUID(), ['I cannot log in.', 'Tried twice.']);
    const plain = refOf(plainCreate.conversationId, await zendesk.write(plainCreate));
    const withFiles = createOp(randomUUID(), [], {
      messages: [message('Screenshots attached', [attachment('small.txt', Buffer.from('error 42')), attachment('huge.log', Buffer.alloc(MAX_ATTACHMENT_BYTES * 4, 'x'), 'https://hub.example/files/huge.log')])],
    });
    const files = refOf(withFiles.conversationId, await zendesk.write(withFiles));
    const first = fake.ticket(files.externalId)!.comments[0]!;
    expect(first.attachments.map((a) => a.file_name)).toEqual(['small.txt']);
    expect(first.body).toContain('huge.log');

    // append (with an upload), note, triage, reply.
    const known = new Set<string>();
    const writes: HelpdeskWrite[] = [
      { kind: 'append', ref: plain, channel: 'chat', customer, messages: [message('More detail', [attachment('trace.txt', Buffer.from('at line 3'))])] },
      { kind: 'note', ref: plain, key: 'note-1', text: 'Device: iPhone 15, iOS 17' },
      { kind: 'triage', ref: plain, key: 'triage-1', level: 'high', tags: ['billing'], note: 'Support Hub triage: HIGH (payment failing)' },
      { kind: 'reply', ref: plain, key: 'reply-1', text: 'Thanks, we are looking into it.' },
    ];
    for (const op of writes) {
      const outcome = await zendesk.write(op);
      outcome.threadIds.forEach((id) => known.add(id));
      // As the engine does: what a write reports (the ticket stamp for the next safe update) is kept on the ref.
      Object.assign(plain.metadata, outcome.metadata);
    }

    // Agents work the ticket in Zendesk: their comments and status change show up in what the fake returns.
    await fake.agentReply(plain.externalId, 'Hi Dana, could you try again now?', { agentName: 'Ana Agent' });
    await fake.agentNote(plain.externalId, 'Escalated to billing');
    await fake.setStatus(plain.externalId, 'pending');

    // findWrite for each kind, after a write whose answer was lost.
    const lostCreate = createOp(randomUUID(), ['Lost in transit']);
    await lostWrite(lostCreate, { method: 'POST', path: '/api/v2/tickets' });
    expect(await zendesk.findWrite(lostCreate, new Set())).toMatchObject({ externalId: expect.any(String) });
    const lostOps: HelpdeskWrite[] = [
      { kind: 'append', ref: plain, channel: 'chat', customer, messages: [message('Still failing', [attachment('again.txt', Buffer.from('error 43'))])] },
      { kind: 'note', ref: plain, key: 'note-2', text: 'Device: Android 14' },
      { kind: 'triage', ref: plain, key: 'triage-2', level: 'urgent', tags: ['outage'], note: 'Support Hub triage: URGENT' },
      { kind: 'reply', ref: plain, key: 'reply-2', text: 'An engineer is on it.' },
    ];
    for (const op of lostOps) {
      await lostWrite(op, { method: 'PUT' });
      const found = await zendesk.findWrite(op, known);
      expect(found, `findWrite(${op.kind})`).not.toBeNull();
      found!.threadIds.forEach((id) => known.add(id));
    }

    // Incidents as problem tickets: open (and find it again by the incident), link a member with a
    // note, a lost link looked up, unlink, solve (assigning the API user), solving twice is nothing.
    const incidentId = randomUUID();
    const problemId = await zendesk.problems.open({ incidentId, number: 7, title: 'Service outage', body: 'Support Hub incident #7: Service outage.' });
    expect(await zendesk.problems.find(incidentId)).toBe(problemId);
    const link = { id: incidentId, number: 7, title: 'Service outage', url: null, problemId };
    await zendesk.write({ kind: 'incident', ref: files, key: `incident:${files.conversationId}:${incidentId}`, incident: link, note: 'Support Hub: this conversation is part of incident #7' });
    const lostLink: HelpdeskWrite = { kind: 'incident', ref: plain, key: `incident:${plain.conversationId}:${incidentId}`, incident: link, note: 'Support Hub: this conversation is part of incident #7' };
    await lostWrite(lostLink, { method: 'PUT' });
    expect((await zendesk.findWrite(lostLink, known))?.threadIds).toHaveLength(1);
    expect(fake.incidentsOf(problemId).map((t) => String(t.id)).sort()).toEqual([files.externalId, plain.externalId].sort());
    await zendesk.write({ kind: 'incident', ref: files, key: `incident:${files.conversationId}:none`, incident: null, note: null });
    expect(fake.ticket(files.externalId)).toMatchObject({ type: null, problem_id: null });
    await zendesk.problems.solve(problemId, 'Support Hub: the incident was resolved.');
    await zendesk.problems.solve(problemId, 'Support Hub: the incident was resolved.');
    expect(fake.ticket(problemId)).toMatchObject({ status: 'solved', assignee_id: fake.apiUserId });
    expect(await zendesk.conversation(problemId)).toMatchObject({ hubConversationId: null, hubIncidentId: incidentId });

    // Reads: threads, conversation (found and not found), the reconciliation poll.
    const threads = await zendesk.threads(plain.externalId);
    expect(threads.some((t) => t.kind === 'agent' && !t.byHub)).toBe(true);
    expect(await zendesk.conversation(plain.externalId)).toMatchObject({ hubConversationId: plain.conversationId });
    expect(await zendesk.conversation('987654321')).toBeNull();
    const changed = await zendesk.changedSince(new Date(Date.now() - 60 * 60 * 1000));
    expect(changed.map((c) => c.externalId)).toContain(plain.externalId);

    // Endpoints the fake serves that this run of the adapter does not call.
    const auth = `Basic ${Buffer.from(`${fake.env['ZENDESK_EMAIL']}/token:${fake.env['ZENDESK_API_TOKEN']}`).toString('base64')}`;
    const get = (path: string) => recorder.fetch(new URL(path, fake.url), { headers: { authorization: auth, accept: 'application/json' } });
    expect((await get(`/api/v2/search?query=${encodeURIComponent(`type:ticket external_id:${plain.conversationId}`)}`)).status).toBe(200);
    expect((await get(`/api/v2/users/${String(files.metadata['requesterId'])}`)).status).toBe(200);

    // GDPR erasure of the customer: user search, requested tickets, ticket and user deletion (soft, then permanent), job status.
    await fake.customerWrites({ email: 'dana@customer.example', subject: 'Straight to Zendesk', text: 'Mail from Dana' });
    const erasure = await zendesk.erasePerson!({ emails: ['dana@customer.example'], conversations: [plain, files] });
    expect(erasure.done).toContain('4 tickets permanently deleted');
    expect(fake.remnantsOf('dana@customer.example')).toEqual({ users: [], tickets: [], deletedTickets: [] });

    const doc = OpenApi3Document.load(SUPPORT_OAS, { ignorePathSuffix: '.json' });
    const tally = checkTraffic(doc, recorder.exchanges);
    // Counting rule (traffic.ts): artefacts = this one document + each documented operation used;
    // validated = per exchange its path, its query set, its JSON request body, its documented
    // response; mismatches = distinct findings.
    const artefacts = 1 + tally.operations.size;
    // Findings the same document answers elsewhere are replaced by a check against that schema.
    const findings = [...tally.findings.values()].filter(({ finding }) => !DOCUMENTED_ELSEWHERE.some((e) => finding.operation.includes(`(${e.operation})`) && e.covers.test(finding.where)));
    let elsewhere = 0;
    for (const entry of DOCUMENTED_ELSEWHERE) {
      const covered = [...tally.findings.values()].some(({ finding }) => finding.operation.includes(`(${entry.operation})`) && entry.covers.test(finding.where));
      if (!covered) findings.push({ finding: { kind: 'response-schema', operation: entry.operation, where: entry.schema, message: `stale DOCUMENTED_ELSEWHERE entry: nothing it covers was found (${entry.why})` }, times: 1 });
      for (const exchange of recorder.exchanges) {
        const body = exchange.response?.json;
        if (!exchange.response || exchange.response.status >= 300 || !body || typeof body !== 'object' || Array.isArray(body)) continue;
        if (!doc.operation(exchange.method, exchange.path)?.label.includes(`(${entry.operation})`)) continue;
        for (const value of entry.select(body as Record<string, unknown>)) {
          elsewhere++;
          for (const finding of doc.validateComponent(entry.schema, value, `${entry.operation} → ${entry.schema}`)) findings.push({ finding, times: 1 });
        }
      }
    }
    process.stdout.write(`conformance vendor=zendesk artefacts=${artefacts} validated=${tally.validated + elsewhere} mismatches=${findings.length}\n`);
    if (tally.undocumented.size > 0 || doc.ignored.length > 0) {
      process.stderr.write(`zendesk conformance notes: statuses the document does not describe: ${[...tally.undocumented].join('; ') || 'none'}; not validated: ${doc.ignored.join(', ') || 'nothing'}\n`);
    }
    expect(findings.map(formatFinding), `${findings.length} mismatches with ${SUPPORT_OAS}`).toEqual([]);
  });
});
