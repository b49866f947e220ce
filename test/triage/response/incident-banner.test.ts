import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID, chatEnv, Sdk } from '../../channels/chat/support.js';
import { backends } from '../../support/backends.js';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';

const ADMIN = 'admin-token-0123456789abcdefghij';
const OUTAGE = 'Our site is down! Nobody can log in.';

/**
 * The status banner (issue 26, part 2): an open incident goes up in `GET /v1/availability` once
 * three different customers reported it (one customer writing twice is still one), staff can edit,
 * take down and put it back (their decision outranks the threshold), the widget's report of a view
 * is counted once per contact, and /metrics tells who saw it and wrote anyway from who did not need
 * to write once it was resolved. Bad input changes nothing.
 */
describe.each(backends)('incident status banner on %s', (backend) => {
  let t: TestHub;
  let base: string;
  let incidentId: string;
  const admin = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const availability = async () => (await new Sdk(base).call('GET', '/v1/availability?time_zone=Australia/Sydney')).body;
  const members = async () => (await t.hub.store.db.selectFrom('incident_conversations').select('incident_id').execute()).length;
  const metric = async (name: string) => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : null;
  };

  async function customer(user: string): Promise<Sdk> {
    const sdk = new Sdk(base);
    await sdk.identify(user, { email: `${user}@example.com`, name: user });
    return sdk;
  }
  async function report(sdk: Sdk, clientId: string, reports: number): Promise<void> {
    expect((await sdk.startConversation(OUTAGE, clientId)).status).toBe(201);
    await waitFor(async () => (await members()) === reports, 30_000, `${reports} reports clustered`);
  }

  beforeAll(async () => {
    t = await startTestHub(backend, { env: { ...chatEnv, HUB_ADMIN_TOKEN: ADMIN, ESCALATION_TICK_SECONDS: '300' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => t?.stop());

  it('goes up by itself once three different customers reported the incident, not three reports', async () => {
    const ana = await customer('ana');
    await report(ana, 'ana-1', 1);
    await report(await customer('ben'), 'ben-1', 2);
    await report(ana, 'ana-2', 3); // Ana again: three reports, two customers
    expect((await availability())['incident']).toBeUndefined();

    await report(await customer('cy'), 'cy-1', 4);
    const incident = await t.hub.store.db.selectFrom('incidents').selectAll().executeTakeFirstOrThrow();
    incidentId = incident.id;
    const shown = await availability();
    expect(shown['incident']).toEqual({
      id: incident.id,
      title: 'Service outage',
      since: new Date(incident.opened_at).toISOString(),
      updated_at: new Date(incident.published_at!).toISOString(),
      message: expect.stringMatching(/We know about this and are working on it/),
    });
    // Additive within v1: the rest of the answer is as before.
    expect(shown).toMatchObject({ status: expect.any(String), expected_reply: expect.any(Object), time_zone: 'Australia/Sydney' });
  });

  it('counts a contact who saw it once, however often their widget reports it; refuses bad reports', async () => {
    const viewer = await customer('vic');
    for (let i = 0; i < 3; i++) expect((await viewer.call('POST', '/v1/incident-views', { incident_id: incidentId })).status).toBe(204);
    expect(await t.hub.store.db.selectFrom('incident_banner_views').selectAll().execute()).toHaveLength(1);

    const anonymous = new Sdk(base);
    expect((await anonymous.call('POST', '/v1/incident-views', { incident_id: incidentId })).status).toBe(401);
    expect((await viewer.call('POST', '/v1/incident-views', { incident_id: 'not-a-uuid' })).status).toBe(400);
    expect((await viewer.call('POST', '/v1/incident-views', {})).status).toBe(400);
    const unknown = await viewer.call('POST', '/v1/incident-views', { incident_id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
    expect(unknown.body['error']['code']).toBe('incident_not_shown');
    expect(await t.hub.store.db.selectFrom('incident_banner_views').selectAll().execute()).toHaveLength(1);

    // A second viewer writes in anyway: counted as such.
    const wes = await customer('wes');
    expect((await wes.call('POST', '/v1/incident-views', { incident_id: incidentId })).status).toBe(204);
    expect((await wes.startConversation('Any news? Still cannot log in.', 'wes-1')).status).toBe(201);
    await waitFor(async () => (await metric('hub_incident_banner_wrote')) === 1, 10_000, 'the viewer who wrote counted');
    expect(await metric('hub_incident_banner_views')).toBe(2);
    expect(await metric('hub_incident_contacts_avoided')).toBe(0); // open: the silent one may still write
  });

  it('staff edit it, take it down (the threshold does not put it back) and publish it again; bad edits change nothing', async () => {
    expect((await admin(`/admin/incidents/${incidentId}/publish`, { title: 'Login outage', message: 'Logins fail since 14:00; a fix is rolling out.', by: 'Priya' })).status).toBe(200);
    expect((await availability())['incident']).toMatchObject({ title: 'Login outage', message: 'Logins fail since 14:00; a fix is rolling out.' });

    const before = await t.hub.store.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirstOrThrow();
    expect((await admin(`/admin/incidents/${incidentId}/publish`, { title: 'x'.repeat(121) })).status).toBe(400);
    expect((await admin('/admin/incidents/nope/publish', {})).status).toBe(400);
    expect((await fetch(`${base}/admin/incidents/${incidentId}/publish`, { method: 'POST' })).status).toBe(401);
    expect(await t.hub.store.db.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirstOrThrow()).toEqual(before);

    expect((await admin(`/admin/incidents/${incidentId}/unpublish`, { by: 'Priya' })).status).toBe(200);
    expect((await availability())['incident']).toBeUndefined();
    await report(await customer('dee'), 'dee-1', 5);
    expect((await availability())['incident']).toBeUndefined();

    expect((await admin(`/admin/incidents/${incidentId}/publish`, { by: 'Priya' })).status).toBe(200);
    expect((await availability())['incident']).toMatchObject({ title: 'Service outage' });
    // An update to the affected customers is also the banner's latest word.
    expect((await admin(`/admin/incidents/${incidentId}/update`, { text: 'The database is back; logins are recovering.' })).status).toBe(200);
    expect((await availability())['incident']).toMatchObject({ message: 'The database is back; logins are recovering.' });
  });

  it('is gone once resolved; the viewer who did not write counts as a contact avoided', async () => {
    expect((await admin(`/admin/incidents/${incidentId}/resolve`, { text: 'Fixed.', by: 'Priya' })).status).toBe(200);
    expect((await availability())['incident']).toBeUndefined();
    const late = await customer('vic');
    expect((await late.call('POST', '/v1/incident-views', { incident_id: incidentId })).status).toBe(404);
    // /metrics shares one query's answer for a second between scrapes.
    await waitFor(async () => (await metric('hub_incident_contacts_avoided')) === 1, 10_000, 'the silent viewer counted as avoided');
    expect(await metric('hub_incident_banner_views')).toBe(2);
    expect(await metric('hub_incident_banner_wrote')).toBe(1);
    expect((await admin(`/admin/incidents/${incidentId}/publish`, {})).status).toBe(409);
  });

  it('is never published by itself with INCIDENT_PUBLISH_AFTER_REPORTS=0', async () => {
    const quiet = await startTestHub(backend, { env: { ...chatEnv, INCIDENT_PUBLISH_AFTER_REPORTS: '0', ESCALATION_TICK_SECONDS: '300' } });
    try {
      for (const user of ['p1', 'p2', 'p3', 'p4']) await quiet.hub.ingest({
        channel: 'chat',
        source: `chat:${APP_ID}`,
        sourceMessageId: `${user}-1`,
        thread: { key: `conv-of-${user}` },
        contact: { identityKind: 'chat', identityKey: `${APP_ID}:${user}`, email: `${user}@example.com`, name: user, verified: true },
        text: OUTAGE,
      });
      await waitFor(async () => (await quiet.hub.store.db.selectFrom('incident_conversations').select('incident_id').execute()).length === 4, 30_000, 'four reports clustered');
      expect(await quiet.hub.store.db.selectFrom('incidents').select('published_at').executeTakeFirstOrThrow()).toEqual({ published_at: null });
    } finally {
      await quiet.stop();
    }
  });
});
