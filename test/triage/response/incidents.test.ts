import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../../integrations/github/index.js';
import { pagerduty } from '../../../integrations/pagerduty/index.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/index.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../fakes/pagerduty/index.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';

const ADMIN = 'admin-token-0123456789abcdefghij';

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hub-oncall-')), 'hub.yaml');
  writeFileSync(path, yaml);
  return path;
}

/**
 * Incidents (issue 9 "must show"): 50 "service down" chats within 5 minutes are one incident —
 * one GitHub issue, one page, 50 acknowledgements naming it — and its resolution sends 50
 * follow-ups; unrelated chats in the same window stay out of it.
 */
describe('incidents', () => {
  let t: TestHub;
  let gh: FakeGitHub;
  let pd: FakePagerDuty;
  const chat = new RecordingChannel('chat');
  let now = new Date('2026-03-10T10:00:00Z');

  beforeAll(async () => {
    [gh, pd] = await Promise.all([startFakeGitHub(), startFakePagerDuty()]);
    const policy = configFile('escalation:\n  policies:\n    - name: urgent\n      steps:\n        - { after: 0, targets: [github, pagerduty] }\n');
    t = await startTestHub('pglite', {
      integrations: [github, pagerduty],
      channels: [chat],
      clock: () => now,
      env: { ...gh.env, PAGERDUTY_ROUTING_KEY: pd.routingKey, PAGERDUTY_API_BASE: pd.url, HUB_CONFIG: policy, HUB_ADMIN_TOKEN: ADMIN, ESCALATION_TICK_SECONDS: '300' },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([gh?.close(), pd?.close()]);
  });

  const systemMessagesTo = (ids: Set<string>) => chat.delivered.filter((d) => ids.has(d.conversation.id) && d.message.author_kind === 'system');

  it('50 "service down" chats in 5 minutes: one incident, one issue, one page, 50 acknowledgements naming it', async () => {
    const phrasings = ['Our site is down! Nobody can log in.', 'The service is down for all our users, urgent!', 'Is the app down? We get errors on every page, nothing loads.', 'Your website is down for us since a few minutes!!'];
    const down = new Set<string>();
    const unrelated = new Set<string>();
    for (let i = 0; i < 50; i++) {
      now = new Date(Date.parse('2026-03-10T10:00:00Z') + i * 6_000);
      const r = await t.hub.ingest(chatMessage({ id: `down-${i}`, user: `customer-${i}`, text: phrasings[i % phrasings.length]! }));
      down.add(r.conversation.id);
      if (i % 10 === 5) {
        const other = await t.hub.ingest(chatMessage({ id: `other-${i}`, user: `asker-${i}`, text: 'How do I download my invoice for March?' }));
        unrelated.add(other.conversation.id);
      }
    }
    await waitFor(async () => systemMessagesTo(down).length >= 50, 90_000, '50 acknowledgements');
    const incidents = await t.hub.store.db.selectFrom('incidents').selectAll().execute();
    expect(incidents).toHaveLength(1);
    const incident = incidents[0]!;
    const members = await t.hub.store.db.selectFrom('incident_conversations').select('conversation_id').where('incident_id', '=', incident.id).execute();
    expect(new Set(members.map((m) => m.conversation_id))).toEqual(down);
    for (const id of unrelated) expect(members.some((m) => m.conversation_id === id)).toBe(false);

    const escalations = await t.hub.store.db.selectFrom('escalations').selectAll().execute();
    expect(escalations).toHaveLength(1);
    expect(escalations[0]!.incident_id).toBe(incident.id);
    await waitFor(() => gh.issues().length === 1 && pd.alerts.length === 1, 30_000, 'one issue and one page');
    await new Promise((r) => setTimeout(r, 1000));
    expect(gh.issues()).toHaveLength(1);
    expect(pd.alerts).toHaveLength(1);

    const acks = systemMessagesTo(down);
    expect(acks).toHaveLength(50);
    for (const ack of acks) expect(ack.message.text).toContain(`incident #${incident.number}`);
    expect(acks[0]!.message.text).toMatch(/We'll send you an update (within about an hour|by )/);
    // The unrelated questions got ordinary acknowledgements.
    await waitFor(() => systemMessagesTo(unrelated).length === unrelated.size, 30_000, 'unrelated acknowledgements');
    for (const ack of systemMessagesTo(unrelated)) expect(ack.message.text).not.toContain('incident');
  });

  it('staff resolve it: one follow-up to each of the 50 customers, and the escalation is resolved', async () => {
    const incident = await t.hub.store.db.selectFrom('incidents').selectAll().executeTakeFirstOrThrow();
    const port = await t.hub.listen(0, '127.0.0.1');
    const res = await fetch(`http://127.0.0.1:${port}/admin/incidents/${incident.id}/resolve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'A failed database node was replaced.', by: 'Priya' }),
    });
    expect(res.status).toBe(200);
    const members = new Set((await t.hub.store.db.selectFrom('incident_conversations').select('conversation_id').execute()).map((m) => m.conversation_id));
    const followUps = () => chat.delivered.filter((d) => members.has(d.conversation.id) && /Good news: incident/.test(d.message.text));
    await waitFor(() => followUps().length >= 50, 60_000, '50 follow-ups');
    expect(followUps()).toHaveLength(50);
    expect(new Set(followUps().map((d) => d.conversation.id)).size).toBe(50);
    expect(followUps()[0]!.message.text).toContain('A failed database node was replaced.');
    const escalation = await t.hub.store.db.selectFrom('escalations').select('status').executeTakeFirstOrThrow();
    expect(escalation.status).toBe('resolved');
    await waitFor(() => gh.issues()[0]?.['state'] === 'closed' && pd.alerts[0]?.status === 'resolved', 30_000, 'issue closed and page resolved');
    // Resolving again is refused, and sends nothing more.
    const again = await fetch(`http://127.0.0.1:${port}/admin/incidents/${incident.id}/resolve`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' });
    expect(again.status).toBe(409);
  });
});

/**
 * On-call routing (issue 9 "must show"): at 3 a.m. in the owner's zone, an urgent security
 * message pages the security contact, who is awake per the schedule, not the owner.
 */
describe('on-call routing', () => {
  let t: TestHub;
  let pd: FakePagerDuty;
  let ownerKey: string;
  let securityKey: string;
  // 03:00 in New York (EST) is 16:00 in Singapore.
  const now = new Date('2026-03-04T08:00:00Z');

  beforeAll(async () => {
    pd = await startFakePagerDuty();
    ownerKey = pd.addRoutingKey();
    securityKey = pd.addRoutingKey();
    const config = configFile(`
oncall:
  people:
    olivia: { name: Olivia Owner, timeZone: America/New_York, awake: '07:00-23:00', contacts: { pagerduty: '${ownerKey}' } }
    sana: { name: Sana Security, timeZone: Asia/Singapore, awake: '08:00-22:00', contacts: { pagerduty: '${securityKey}' } }
    sam: { name: Sam Security, timeZone: America/New_York, awake: '08:00-22:00', contacts: { pagerduty: '${securityKey}' } }
  rotations:
    security: { members: [sana, sam], timeZone: UTC, coverage: 24x7, lengthDays: 1, start: '2026-03-04', handoff: { time: '00:00' } }
  routes:
    security: security
    legal_churn: olivia
    default: olivia
escalation:
  policies:
    - name: urgent
      steps:
        - { after: 0, targets: [pagerduty] }
`);
    t = await startTestHub('pglite', { integrations: [pagerduty], channels: [new RecordingChannel('chat')], clock: () => now, env: { PAGERDUTY_ROUTING_KEY: pd.routingKey, PAGERDUTY_API_BASE: pd.url, HUB_CONFIG: config, TEAM_TIME_ZONE: 'America/New_York' } });
  });
  afterAll(async () => {
    await t?.stop();
    await pd?.close();
  });

  it('pages the security contact on shift (awake in Singapore), not the owner asleep in New York', async () => {
    await t.hub.ingest(chatMessage({ id: 'breach-1', user: 'cso', text: 'We think there was a security breach: an unknown login accessed customer data. Urgent!' }));
    const alert = await waitFor(() => pd.alerts[0], 30_000, 'page');
    expect(alert.routingKey).toBe(securityKey);
    expect(pd.alerts.filter((a) => a.routingKey === ownerKey)).toHaveLength(0);
    const escalation = await waitFor(() => t.hub.store.db.selectFrom('escalations').select('id').executeTakeFirst(), 30_000, 'escalation');
    const ran = await waitFor(() => t.hub.store.db.selectFrom('escalation_events').select('detail').where('escalation_id', '=', escalation.id).where('kind', '=', 'step.ran').executeTakeFirst(), 30_000, 'step recorded');
    expect(ran.detail).toMatchObject({ recipients: ['Sana Security'] });
    // The acknowledgement promises minutes (on call), not the next business morning.
    const ack = await waitFor(() => t.hub.store.db.selectFrom('acknowledgements').selectAll().executeTakeFirst(), 30_000, 'acknowledgement');
    expect(ack.basis).toBe('on-call');
    expect(ack.promise).toBe('within about 30 minutes');
  });
});

/** Staff correct the clustering: merge two incidents that are one problem, split off what is not. */
describe('merging and splitting incidents', () => {
  let t: TestHub;
  let now = new Date('2026-03-10T10:00:00Z');
  let base: string;
  const admin = async (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    t = await startTestHub('pglite', { channels: [new RecordingChannel('chat')], clock: () => now, env: { HUB_ADMIN_TOKEN: ADMIN, INCIDENT_WINDOW_MINUTES: '10', ESCALATION_TICK_SECONDS: '300' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => t?.stop());

  it('two clusters of one outage are merged; a report that was something else is split off', async () => {
    const report = async (id: string) => (await t.hub.ingest(chatMessage({ id, user: id, text: 'Our site is down! Nobody can log in.' }))).conversation.id;
    const a1 = await report('a1');
    const a2 = await report('a2');
    await waitFor(async () => (await t.hub.store.db.selectFrom('incident_conversations').select('conversation_id').execute()).length === 2, 30_000, 'first two clustered');
    now = new Date(now.getTime() + 30 * 60_000); // past the window: the next report opens a second incident
    const b1 = await report('b1');
    const incidents = await waitFor(async () => {
      const rows = await t.hub.store.db.selectFrom('incident_conversations').selectAll().execute();
      return rows.length === 3 ? rows : null;
    }, 30_000, 'three reports clustered');
    const first = incidents.find((r) => r.conversation_id === a1)!.incident_id;
    const second = incidents.find((r) => r.conversation_id === b1)!.incident_id;
    expect(first).not.toBe(second);
    expect(incidents.find((r) => r.conversation_id === a2)!.incident_id).toBe(first);

    expect((await admin(`/admin/incidents/${second}/merge`, { into: first, by: 'Priya' })).status).toBe(200);
    const merged = await t.hub.store.db.selectFrom('incident_conversations').select(['conversation_id', 'incident_id']).execute();
    expect(merged.every((m) => m.incident_id === first)).toBe(true);
    const gone = await t.hub.store.db.selectFrom('incidents').select(['status', 'merged_into']).where('id', '=', second).executeTakeFirstOrThrow();
    expect(gone).toEqual({ status: 'merged', merged_into: first });
    // The merged incident's escalation is closed as a duplicate; the surviving one stays open.
    const escalations = await t.hub.store.db.selectFrom('escalations').select(['incident_id', 'status']).execute();
    expect(escalations.find((e) => e.incident_id === second)?.status).toBe('resolved');
    expect(escalations.find((e) => e.incident_id === first)?.status).toBe('open');

    const split = await admin(`/admin/incidents/${first}/split`, { conversationIds: [b1], by: 'Priya' });
    expect(split.status).toBe(201);
    const { incidentId } = (await split.json()) as { incidentId: string };
    const after = await t.hub.store.db.selectFrom('incident_conversations').select(['conversation_id', 'incident_id']).execute();
    expect(after.find((m) => m.conversation_id === b1)!.incident_id).toBe(incidentId);
    expect(after.filter((m) => m.incident_id === first).map((m) => m.conversation_id).sort()).toEqual([a1, a2].sort());
    expect(await t.hub.store.db.selectFrom('escalations').select('status').where('incident_id', '=', incidentId).executeTakeFirst()).toEqual({ status: 'open' });

    // Bad requests change nothing.
    expect((await admin(`/admin/incidents/${first}/split`, { conversationIds: [a1, a2] })).status).toBe(400);
    expect((await admin(`/admin/incidents/${first}/split`, { conversationIds: [b1] })).status).toBe(400);
    expect((await admin(`/admin/incidents/${first}/merge`, { into: first })).status).toBe(400);
    expect((await admin(`/admin/incidents/${first}/merge`, { into: second })).status).toBe(409);
    expect((await admin('/admin/incidents/not-a-uuid/resolve', {})).status).toBe(400);
    expect((await fetch(`${base}/admin/incidents`)).status).toBe(401);
  });
});
