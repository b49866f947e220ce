import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { zendesk } from '../../integrations/zendesk/index.js';
import { ZENDESK_TEST_SECRET } from '../../integrations/zendesk/webhook.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';
import { startFakeZendesk } from '../fakes/zendesk/server.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';

/** How each vendor signs a webhook (ARCHITECTURE §7), so the test can send valid and invalid ones. */
const signers = {
  helpscout: (secret: string, body: string) => ({
    'x-helpscout-signature': createHmac('sha1', secret).update(body).digest('base64'),
    'x-helpscout-event': 'convo.agent.reply.created',
  }),
  zendesk: (secret: string, body: string, at = new Date()) => {
    const timestamp = at.toISOString();
    return {
      'x-zendesk-webhook-signature': createHmac('sha256', secret).update(timestamp + body).digest('base64'),
      'x-zendesk-webhook-signature-timestamp': timestamp,
    };
  },
};

/** A plausible event about a conversation nobody knows. */
const unknownEvent = {
  helpscout: () => JSON.stringify({ id: 987654321, number: 1, type: 'email', status: 'active', subject: 'x', mailboxId: 1, tags: [], _embedded: { threads: [{ id: Date.now(), type: 'message', body: 'hi' }] } }),
  zendesk: () =>
    JSON.stringify({
      type: 'zen:event-type:ticket.comment_added',
      account_id: 1,
      id: randomUUID(),
      time: new Date().toISOString(),
      zendesk_event_version: '2022-11-06',
      subject: 'zen:ticket:987654321',
      detail: { id: '987654321', external_id: null, status: 'OPEN', tags: [] },
      event: { comment: { id: '1', body: 'hi', is_public: true, author: { id: '2', is_staff: true, name: 'A' } } },
    }),
};

describe('helpdesk webhooks: bad ones change nothing, none causes a 5xx', () => {
  let t: TestHub;
  let fakes: { helpscout: FakeHelpdesk; zendesk: FakeHelpdesk };
  let base: string;
  beforeAll(async () => {
    fakes = { helpscout: await startFakeHelpScout(), zendesk: await startFakeZendesk() };
    t = await startTestHub('pglite', { integrations: [helpscout, zendesk], env: { ...fakes.helpscout.env, ...fakes.zendesk.env, SYNC_HELPDESK: 'helpscout' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
    await fakes?.helpscout.close();
    await fakes?.zendesk.close();
  });

  const secretOf = (vendor: 'helpscout' | 'zendesk') => (vendor === 'helpscout' ? fakes.helpscout.env['HELPSCOUT_WEBHOOK_SECRET']! : fakes.zendesk.env['ZENDESK_WEBHOOK_SECRET']!);
  const post = (vendor: string, body: string, headers: Record<string, string>) =>
    fetch(`${base}/webhooks/${vendor}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const counts = async () => {
    const rows = await Promise.all(
      (['deliveries', 'conversations', 'messages'] as const).map((table) => t.hub.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()),
    );
    return rows.map((r) => Number(r.n));
  };

  for (const vendor of ['helpscout', 'zendesk'] as const) {
    it(`${vendor}: wrong signature → 401, malformed → 400, unknown conversation → 200 and ignored, replay → 200 duplicate`, async () => {
      const secret = secretOf(vendor);
      const body = unknownEvent[vendor]();
      const before = await counts();
      const wrong = await post(vendor, body, signers[vendor]('not-the-secret', body));
      expect(wrong.status).toBe(401);
      const tampered = await post(vendor, body + ' ', signers[vendor](secret, body));
      expect(tampered.status).toBe(401);
      expect(await counts()).toEqual(before);

      const malformed = '{"this is": not json';
      const bad = await post(vendor, malformed, signers[vendor](secret, malformed));
      expect(bad.status).toBe(400);
      const shapeless = '[1,2,3]';
      expect((await post(vendor, shapeless, signers[vendor](secret, shapeless))).status).toBe(400);
      expect(await counts()).toEqual(before);

      const first = await post(vendor, body, signers[vendor](secret, body));
      expect(first.status).toBe(200);
      expect(((await first.json()) as { status: string }).status).toBe('accepted');
      const replay = await post(vendor, body, signers[vendor](secret, body));
      expect(replay.status).toBe(200);
      expect(((await replay.json()) as { status: string }).status).toBe('duplicate');
      // The pull finds nothing of ours there (the vendor does not know it either): no conversation, no message.
      await waitFor(
        async () => (await t.hub.queue.counts()).filter((c) => c.queue === 'sync.pull' && ['created', 'retry', 'active'].includes(c.state)).every((c) => c.count === 0),
        30_000,
        'pulls settled',
      );
      const after = await counts();
      expect(after[1]).toBe(before[1]);
      expect(after[2]).toBe(before[2]);
    });
  }

  it('zendesk: the webhook "Test" button (signed with Zendesk’s fixed test secret) → 200 {"test": true}, nothing recorded or pulled', async () => {
    const body = unknownEvent.zendesk();
    const before = await counts();
    const test = await post('zendesk', body, signers.zendesk(ZENDESK_TEST_SECRET, body));
    expect(test.status).toBe(200);
    expect(await test.json()).toMatchObject({ test: true });
    expect(await counts()).toEqual(before);
    // The real secret still decides everything else: a wrong one is still 401.
    expect((await post('zendesk', body, signers.zendesk('not-the-secret', body))).status).toBe(401);
  });

  it('an event naming only threads the hub knows (its own writes) queues no pull; one naming another thread does', async () => {
    const ours = `${Date.now()}1`;
    const contactId = randomUUID();
    const conversationId = randomUUID();
    await sql`INSERT INTO contacts (id, identity_kind, identity_key, email) VALUES (${contactId}, 'email', ${`${contactId}@example.com`}, ${`${contactId}@example.com`})`.execute(t.hub.store.db);
    await sql`INSERT INTO conversations (id, contact_id, channel, source, thread_key) VALUES (${conversationId}, ${contactId}, 'email', 'smtp', ${conversationId})`.execute(t.hub.store.db);
    await t.hub.store.db.insertInto('sync_pushed').values({ integration_id: 'helpscout', item_id: randomUUID(), conversation_id: conversationId, thread_id: ours }).execute();
    const pulls = async () => (await t.hub.queue.counts()).filter((c) => c.queue === 'sync.pull').reduce((sum, c) => sum + c.count, 0);
    const event = (threadId: string) => JSON.stringify({ id: 55_555, number: 2, type: 'email', status: 'active', tags: [], threads: [{ id: Number(threadId), type: 'customer' }] });
    const secret = secretOf('helpscout');
    const before = await pulls();
    const known = event(ours);
    expect(await (await post('helpscout', known, signers.helpscout(secret, known))).json()).toMatchObject({ status: 'accepted' });
    expect(await pulls()).toBe(before);
    const other = event(`${Date.now()}2`);
    expect(await (await post('helpscout', other, signers.helpscout(secret, other))).json()).toMatchObject({ status: 'accepted' });
    expect(await pulls()).toBe(before + 1);
  });

  it('zendesk: a stale or future timestamp → 401 even when signed correctly', async () => {
    const secret = secretOf('zendesk');
    const body = unknownEvent.zendesk();
    expect((await post('zendesk', body, signers.zendesk(secret, body, new Date(Date.now() - 6 * 60_000)))).status).toBe(401);
    expect((await post('zendesk', body, signers.zendesk(secret, body, new Date(Date.now() + 6 * 60_000)))).status).toBe(401);
  });

  it('10,000 fuzzed requests (random bytes, mutated payloads, signed garbage) → never a 5xx', async () => {
    const statuses = new Map<number, number>();
    let next = 0;
    const mutate = (text: string) => {
      const chars = [...text];
      for (let i = 0; i < 1 + Math.floor(Math.random() * 4); i++) {
        const at = Math.floor(Math.random() * chars.length);
        const op = Math.random();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(Math.random() * 0x2fff)));
        else chars[at] = '"{}[],:0-e'.charAt(Math.floor(Math.random() * 10));
      }
      return chars.join('');
    };
    const shapes: (() => string)[] = [
      () => randomBytes(Math.floor(Math.random() * 300)).toString('latin1'),
      () => JSON.stringify({ [randomUUID()]: Math.random() > 0.5 ? null : [randomUUID(), 1, { a: true }] }),
      () => mutate(unknownEvent.helpscout()),
      () => mutate(unknownEvent.zendesk()),
      () => JSON.stringify({ ...JSON.parse(unknownEvent.zendesk()), detail: Math.random() > 0.5 ? null : 'x', event: { comment: Math.random() > 0.5 ? 7 : { author: null } } }),
      () => JSON.stringify({ ...JSON.parse(unknownEvent.helpscout()), id: Math.random() > 0.5 ? 'abc' : -1, _embedded: { threads: Math.random() > 0.5 ? {} : [null] } }),
      () => '',
      () => 'null',
      () => '"string"',
      () => '9'.repeat(400),
    ];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < 10_000) {
          const n = next++;
          const vendor = n % 2 === 0 ? 'helpscout' : 'zendesk';
          const body = shapes[n % shapes.length]!();
          // Half carry a valid signature, so the parser — not only the signature check — meets the garbage.
          const headers = n % 4 < 2 ? signers[vendor](secretOf(vendor), body) : { 'x-helpscout-signature': randomBytes(20).toString('base64'), 'x-zendesk-webhook-signature-timestamp': 'yesterday' };
          if (n % 7 === 0) (headers as Record<string, string>)['content-type'] = 'text/plain';
          const response = await post(vendor, body, headers);
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      }),
    );
    const serverErrors = [...statuses.entries()].filter(([status]) => status >= 500);
    expect(serverErrors, JSON.stringify(Object.fromEntries(statuses))).toEqual([]);
    expect((statuses.get(401) ?? 0) + (statuses.get(400) ?? 0)).toBeGreaterThan(5000);
  }, 180_000);
});
