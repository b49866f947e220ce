import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/server.js';
import { backends } from '../support/backends.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

const ADMIN = 'admin-token-0123456789abcdefghij';
const PUBLIC_URL = 'https://hub.acme.example';

/**
 * Incidents in Help Scout (issue 26, part 1; Help Scout has no problem tickets): every member
 * conversation carries the tag `incident-<number>` and one private note linking the incident's
 * dashboard page; staff splitting and merging incidents moves the tags with them, through the sync
 * engine's durable writes, without a second note for an incident a conversation was already told
 * about. Conversations outside the incident carry no incident tag.
 */
describe.each(backends)('incident links at Help Scout on %s', (backend) => {
  // Lost answers and lookups: see the split test.
  let t: TestHub;
  let fake: FakeHelpScout;
  let base: string;
  const down: string[] = [];
  let question: string;
  let first: { id: string; number: number };

  beforeAll(async () => {
    fake = await startFakeHelpScout();
    t = await startTestHub(backend, {
      integrations: [helpscout],
      env: { ...fake.env, HUB_ADMIN_TOKEN: ADMIN, HUB_PUBLIC_URL: PUBLIC_URL, ESCALATION_TICK_SECONDS: '300' },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    fake.setWebhookTarget(`${base}/webhooks/helpscout`);
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  const admin = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const externalId = async (conversationId: string) =>
    (await t.hub.store.db.selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', conversationId).executeTakeFirst())?.external_id ?? null;
  const atHelpScout = async (conversationId: string) => {
    const id = await externalId(conversationId);
    return id ? fake.raw(id) ?? null : null;
  };
  const incidentTags = async (conversationId: string) => ((await atHelpScout(conversationId))?.tags ?? []).filter((tag) => tag.startsWith('incident-'));
  const incidentNotes = async (conversationId: string) =>
    ((await atHelpScout(conversationId))?.threads ?? []).filter((th) => th.type === 'note' && th.body.startsWith('Support Hub: this conversation is part of incident #')).map((th) => th.body);

  it('tags every report of the outage with its incident and leaves one note linking the incident page', async () => {
    for (let i = 0; i < 4; i++) down.push((await t.hub.ingest(chatMessage({ id: `down-${i}`, user: `cust-${i}`, text: 'Your site is down, nobody can log in! urgent' }))).conversation.id);
    question = (await t.hub.ingest(chatMessage({ id: 'q-1', user: 'asker', text: 'How do I download my invoice for March?' }))).conversation.id;
    const member = await waitFor(
      async () => {
        const rows = await t.hub.store.db.selectFrom('incident_conversations as m').innerJoin('incidents as i', 'i.id', 'm.incident_id').select(['i.id', 'i.number']).where('m.conversation_id', 'in', down).execute();
        return rows.length === 4 ? rows[0] : null;
      },
      30_000,
      'four reports in one incident',
    );
    first = member!;
    for (const id of down) {
      await waitFor(async () => (await incidentTags(id)).join(',') === `incident-${first.number}` && (await incidentNotes(id)).length === 1, 30_000, `conversation ${id} tagged and noted`);
      const [note] = await incidentNotes(id);
      expect(note).toContain(`${PUBLIC_URL}/dashboard/incidents/${first.id}`);
      // The hub's own note is not imported back as a message.
      expect(await t.hub.store.db.selectFrom('messages').select('id').where('conversation_id', '=', id).where('text', 'like', '%part of incident #%').execute()).toEqual([]);
    }
    await waitFor(async () => (await atHelpScout(question)) !== null, 30_000, 'the unrelated question at Help Scout');
    expect(await incidentTags(question)).toEqual([]);
  });

  it('moves the tag when staff split a report off and merge it back, without a second note for the same incident', async () => {
    const moved = down[3]!;
    // The answers to the note and to the tags are lost on the way back: the engine looks them up
    // before sending anything again, so neither lands twice.
    const at = `/v2/conversations/${await externalId(moved)}`;
    fake.loseNextResponse((method, path) => method === 'POST' && path === `${at}/notes`);
    const split = await admin(`/admin/incidents/${first.id}/split`, { conversationIds: [moved], by: 'Priya' });
    expect(split.status).toBe(201);
    const { incidentId } = (await split.json()) as { incidentId: string };
    const second = await t.hub.store.db.selectFrom('incidents').select(['id', 'number']).where('id', '=', incidentId).executeTakeFirstOrThrow();
    await waitFor(async () => (await incidentTags(moved)).join(',') === `incident-${second.number}`, 30_000, 'the split-off report re-tagged');
    await waitFor(async () => (await incidentNotes(moved)).length === 2, 30_000, 'a note for the new incident');
    expect((await incidentNotes(moved)).filter((note) => note.includes(`/dashboard/incidents/${second.id}`))).toHaveLength(1);
    // The others keep theirs.
    for (const id of down.slice(0, 3)) expect(await incidentTags(id)).toEqual([`incident-${first.number}`]);

    fake.loseNextResponse((method, path) => method === 'PUT' && path === `${at}/tags`);
    expect((await admin(`/admin/incidents/${second.id}/merge`, { into: first.id, by: 'Priya' })).status).toBe(200);
    await waitFor(async () => (await incidentTags(moved)).join(',') === `incident-${first.number}`, 30_000, 'merged back: tagged with the first incident again');
    // Both lost answers were the incident writes' (status 0 in the fake's log), and were looked up.
    const lost = fake.requests().filter((r) => r.status === 0);
    expect(lost.map((r) => `${r.method} ${r.path.replace(/\/\d+\//g, '/N/')}`)).toEqual(['POST /v2/conversations/N/notes', 'PUT /v2/conversations/N/tags']);
    expect(JSON.stringify(lost[0]!.body)).toContain(`part of incident #${second.number}`);
    // Told about incident #first once already: no second note for it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await incidentNotes(moved)).toHaveLength(2);
    const row = await t.hub.store.db.selectFrom('sync_conversations').select(['incident_pushed', 'pending_write', 'dirty']).where('conversation_id', '=', moved).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ incident_pushed: first.id, pending_write: null });
  });
});
