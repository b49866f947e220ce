import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HelpdeskWrite } from '../../../src/capabilities/helpdesk.js';
import type { Store } from '../../../src/store/store.js';
import { isVendorError, type VendorError } from '../../../src/vendors/error.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { adapterFor, createOp, message, openTestStore, refOf } from './support.js';

/**
 * A write whose answer was lost (Help Scout committed it, the socket died) is found again by
 * findWrite instead of being sent twice; one that never landed is reported as not found.
 */
let db: Awaited<ReturnType<typeof openTestStore>>;
let store: Store;
let fake: FakeHelpScout;
let adapter: ReturnType<typeof adapterFor>['adapter'];
beforeAll(async () => {
  db = await openTestStore();
  store = db.store;
  fake = await startFakeHelpScout();
  adapter = adapterFor(fake, store, { searchLagSeconds: '60' }).adapter;
});
afterEach(() => fake.setFaults({ lostResponseRate: 0, errorRate: 0, searchLagMs: 0 }));
afterAll(async () => {
  await fake?.close();
  await db?.close();
});

/**
 * Sends `op` with the fake answering nothing (lost) or a 5xx without doing anything (failed).
 * `lastStep` loses only the response to the POST matching it (a triage sets tags first).
 */
async function unknownOutcome(op: HelpdeskWrite, how: 'lost' | 'failed', lastStep?: RegExp): Promise<VendorError> {
  if (lastStep) fake.loseNextResponse((method, path) => method === 'POST' && lastStep.test(path));
  else fake.setFaults(how === 'lost' ? { lostResponseRate: 1 } : { errorRate: 1 });
  try {
    await adapter.write(op);
  } catch (error) {
    if (isVendorError(error)) return error;
    throw error;
  } finally {
    fake.setFaults({ lostResponseRate: 0, errorRate: 0 });
  }
  throw new Error('the write was expected to fail');
}

async function created() {
  const op = createOp();
  const outcome = await adapter.write(op);
  return { op, ref: refOf(op, outcome.externalId!, outcome.metadata), threadIds: outcome.threadIds };
}

describe('findWrite: create', () => {
  it('the trait tells the engine how long search may lag (HELPSCOUT_SEARCH_LAG_SECONDS)', () => {
    expect(adapter.traits.searchLagMs).toBe(60_000);
  });

  it('a lost create is not found while search lags, and is found (with its thread ids) once the lag has passed', async () => {
    fake.setFaults({ searchLagMs: 30_000 });
    const op = createOp({ messages: [message('first'), message('second')] });
    const error = await unknownOutcome(op, 'lost');
    expect(error).toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
    const remote = fake.conversations().filter((c) => c.hubConversationId === op.conversationId);
    expect(remote).toHaveLength(1);
    expect(await adapter.findWrite(op, new Set())).toBeNull();
    fake.advanceTime(31_000);
    const found = await adapter.findWrite(op, new Set());
    expect(found).toEqual({ externalId: remote[0]!.id, threadIds: remote[0]!.threads.map((t) => t.id), metadata: { customerId: expect.any(Number) } });
  });

  it('a create that never landed (5xx) is not found, even after the lag', async () => {
    const op = createOp();
    const error = await unknownOutcome(op, 'failed');
    expect(error).toMatchObject({ kind: 'unavailable', outcomeUnknown: true });
    fake.advanceTime(120_000);
    expect(await adapter.findWrite(op, new Set())).toBeNull();
    expect(fake.conversations().filter((c) => c.hubConversationId === op.conversationId)).toEqual([]);
  });
});

describe('findWrite: threads', () => {
  it('append: finds the lost thread, not an earlier one with the same text that is already recorded', async () => {
    const { op, ref, threadIds } = await created();
    const again = (): HelpdeskWrite => ({ kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message('ok'), message('thanks')] });
    const earlier = await adapter.write(again());
    await fake.agentReply(ref.externalId, 'anything else?');
    expect(await unknownOutcome(again(), 'lost')).toMatchObject({ outcomeUnknown: true });
    const lost = fake.conversation(ref.externalId)!.threads.at(-1)!;
    expect(lost.text).toBe('ok\n\nthanks');
    const known = new Set([...threadIds, ...earlier.threadIds]);
    expect(await adapter.findWrite(again(), known)).toEqual({ threadIds: [lost.id] });
    expect(await adapter.findWrite(again(), new Set([...known, lost.id]))).toBeNull();
  });

  it('append: nothing found when it never landed, and a different text is not mistaken for it', async () => {
    const { op, ref, threadIds } = await created();
    await adapter.write({ kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message('something else')] });
    const missing: HelpdeskWrite = { kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message('never arrived')] };
    await unknownOutcome(missing, 'failed');
    expect(await adapter.findWrite(missing, new Set(threadIds))).toBeNull();
  });

  it('a message over Help Scout’s request-size limit is cut to fit (no 413), the same way on every attempt, so it is still found', async () => {
    const { op, ref, threadIds } = await created();
    const long = (): HelpdeskWrite => ({ kind: 'append', ref, channel: 'chat', customer: op.customer, messages: [message(`${'log line & <tag>\n'.repeat(12_000)}the end`)] });
    expect(await unknownOutcome(long(), 'lost')).toMatchObject({ outcomeUnknown: true });
    const stored = fake.conversation(ref.externalId)!.threads.at(-1)!;
    expect(stored.text.startsWith('log line & <tag>\nlog line')).toBe(true);
    expect(stored.text).toMatch(/truncated by Support Hub/);
    expect(await adapter.findWrite(long(), new Set(threadIds))).toEqual({ threadIds: [stored.id] });
  });

  it('note, triage and reply: each found by its own text among the threads', async () => {
    const { ref, threadIds } = await created();
    const note: HelpdeskWrite = { kind: 'note', ref, key: 'n1', text: 'Sent to the customer by Support Hub:\n\n<ack>' };
    const triage: HelpdeskWrite = { kind: 'triage', ref, key: 't1', level: 'high', tags: ['urgency-high'], note: 'Support Hub triage: HIGH' };
    const reply: HelpdeskWrite = { kind: 'reply', ref, key: 'r1', text: 'We are looking into it.' };
    const found: Record<string, string> = {};
    for (const op of [note, triage, reply]) {
      expect(await unknownOutcome(op, 'lost', /\/(notes|reply)$/)).toMatchObject({ outcomeUnknown: true });
      const outcome = await adapter.findWrite(op, new Set(threadIds));
      expect(outcome, op.kind).not.toBeNull();
      found[op.kind] = outcome!.threadIds[0]!;
    }
    const threads = fake.conversation(ref.externalId)!.threads;
    const byId = (id: string) => threads.find((t) => t.id === id)!;
    expect([byId(found['note']!).kind, byId(found['note']!).text]).toEqual(['note', 'Sent to the customer by Support Hub:\n\n<ack>']);
    expect([byId(found['triage']!).kind, byId(found['triage']!).text]).toEqual(['note', 'Support Hub triage: HIGH']);
    expect([byId(found['reply']!).kind, byId(found['reply']!).public]).toEqual(['agent', true]);
    // The triage tags went on before the note: a found note means the tags are there.
    expect(fake.conversation(ref.externalId)!.tags).toContain('urgency-high');
  });
});
