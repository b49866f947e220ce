import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../integrations/github/index.js';
import { helpscout } from '../../integrations/helpscout/index.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { backends } from '../support/backends.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

/**
 * Dashboard actions over plain HTTP forms (no JavaScript): incidents resolved, updated, merged and
 * split with the customers told; re-classification raising and lowering what happens next; bad
 * forms answered 400 with nothing changed; roles on the server; every action in the audit log.
 */
for (const backend of backends) describe(`dashboard actions (${backend})`, () => {
  let t: TestHub;
  let gh: FakeGitHub;
  let hs: FakeHelpScout;
  let base: string;
  const chat = new RecordingChannel('chat');
  let now = new Date('2026-03-10T10:00:00Z');
  let staff: StaffClient;
  let viewer: StaffClient;

  beforeAll(async () => {
    [gh, hs] = await Promise.all([startFakeGitHub(), startFakeHelpScout()]);
    t = await startTestHub(backend, { integrations: [github, helpscout], channels: [chat], clock: () => now, env: { ...gh.env, ...hs.env, ESCALATION_TICK_SECONDS: '300' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    hs.setWebhookTarget(`${base}/webhooks/helpscout`);
    const [triageAccount, viewerAccount] = await Promise.all([createStaff(t.hub, 'triage'), createStaff(t.hub, 'viewer')]);
    staff = new StaffClient(base);
    viewer = new StaffClient(base);
    expect((await staff.login(triageAccount.email, triageAccount.password)).status).toBe(303);
    expect((await viewer.login(viewerAccount.email, viewerAccount.password)).status).toBe(303);
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([gh?.close(), hs?.close()]);
  });

  const db = () => t.hub.store.db;
  const count = async (table: 'triage_overrides' | 'audit_log' | 'incidents') => Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const report = async (id: string, user: string, text: string) => (await t.hub.ingest(chatMessage({ id, user, text }))).conversation.id;
  const systemMessagesTo = (id: string) => chat.delivered.filter((d) => d.conversation.id === id && d.message.author_kind === 'system');

  let down: string[] = [];
  let incidentId: string;

  it('shows an outage as one incident with its reports', async () => {
    down = [];
    for (let i = 0; i < 4; i++) down.push(await report(`down-${i}`, `cust-${i}`, 'Your site is down, nobody can log in! urgent'));
    const incident = await waitFor(async () => {
      const rows = await db().selectFrom('incident_conversations').select(['incident_id']).where('conversation_id', 'in', down).execute();
      return rows.length === 4 ? rows[0] : null;
    }, 30_000, 'four reports in an incident');
    incidentId = incident.incident_id;
    const page = await staff.page(`/dashboard/incidents/${incidentId}`);
    expect(page).toContain('Reports (4)');
    for (const id of down) expect(page).toContain(`/dashboard/conversations/${id}`);
    expect(await staff.page('/dashboard/incidents')).toContain(`/dashboard/incidents/${incidentId}`);
  });

  it('splits off a report that was something else, and refuses an empty split', async () => {
    const empty = await staff.post(`/dashboard/incidents/${incidentId}/split`, {}, { from: `/dashboard/incidents/${incidentId}` });
    expect(empty.status).toBe(400);
    expect(await empty.text()).toContain('tick the conversations to split off');
    const before = await count('incidents');
    const split = await staff.post(`/dashboard/incidents/${incidentId}/split`, { conversationIds: [down[3]!] }, { from: `/dashboard/incidents/${incidentId}` });
    expect(split.status).toBe(303);
    expect(await count('incidents')).toBe(before + 1);
    const moved = await db().selectFrom('incident_conversations').select('incident_id').where('conversation_id', '=', down[3]!).executeTakeFirstOrThrow();
    expect(moved.incident_id).not.toBe(incidentId);
    expect(split.headers.get('location')).toBe(`/dashboard/incidents/${moved.incident_id}?done=incident-split`);
    // …and merges it back.
    const merge = await staff.post(`/dashboard/incidents/${moved.incident_id}/merge`, { into: incidentId }, { from: `/dashboard/incidents/${moved.incident_id}` });
    expect(merge.status).toBe(303);
    expect((await db().selectFrom('incident_conversations').select('incident_id').where('conversation_id', '=', down[3]!).executeTakeFirstOrThrow()).incident_id).toBe(incidentId);
  });

  it('shows the status banner and lets staff edit it, take it down and put it back; a bad edit changes nothing', async () => {
    const from = { from: `/dashboard/incidents/${incidentId}` };
    const shownAt = () => db().selectFrom('incidents').select(['published_at', 'banner_set_by', 'public_title', 'public_message']).where('id', '=', incidentId).executeTakeFirstOrThrow();
    // Four customers reported it: up by itself (threshold 3).
    expect((await shownAt()).published_at).not.toBeNull();
    let page = await staff.page(`/dashboard/incidents/${incidentId}`);
    expect(page).toContain('went up by itself after reports from 3 different customers');
    expect(page).toContain('Seen by 0 customers');

    const tooLong = await staff.post(`/dashboard/incidents/${incidentId}/publish`, { title: 'x'.repeat(121), message: '' }, from);
    expect(tooLong.status).toBe(400);
    expect(await shownAt()).toMatchObject({ banner_set_by: null, public_title: null });

    const edit = await staff.post(`/dashboard/incidents/${incidentId}/publish`, { title: 'Login outage', message: 'Logins fail; a fix is rolling out.' }, from);
    expect(edit.status).toBe(303);
    expect(edit.headers.get('location')).toBe(`/dashboard/incidents/${incidentId}?done=incident-published`);
    expect(await shownAt()).toMatchObject({ public_title: 'Login outage', public_message: 'Logins fail; a fix is rolling out.' });
    page = await staff.page(`/dashboard/incidents/${incidentId}`);
    expect(page).toContain('Login outage');
    expect(page).toContain('Take the banner down');

    expect((await staff.post(`/dashboard/incidents/${incidentId}/unpublish`, {}, from)).status).toBe(303);
    expect((await shownAt()).published_at).toBeNull();
    expect(await staff.page(`/dashboard/incidents/${incidentId}`)).toContain('It stays down unless published again.');
    expect((await staff.post(`/dashboard/incidents/${incidentId}/publish`, { title: '', message: '' }, from)).status).toBe(303);
    expect(await shownAt()).toMatchObject({ public_title: null, public_message: null, published_at: expect.anything() });
    const actions = (await db().selectFrom('audit_log').select('action').where('subject_id', '=', incidentId).execute()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['incident.publish', 'incident.unpublish']));
  });

  it('sends an update and then resolves, with a follow-up to every affected customer', async () => {
    const update = await staff.post(`/dashboard/incidents/${incidentId}/update`, { text: 'We found the cause and are rolling back.' }, { from: `/dashboard/incidents/${incidentId}` });
    expect(update.status).toBe(303);
    await waitFor(() => down.every((id) => systemMessagesTo(id).some((d) => d.message.text.includes('rolling back'))), 30_000, 'updates delivered');
    const resolve = await staff.post(`/dashboard/incidents/${incidentId}/resolve`, { text: 'Fixed: a bad deploy, rolled back.' }, { from: `/dashboard/incidents/${incidentId}` });
    expect(resolve.status).toBe(303);
    await waitFor(() => down.every((id) => systemMessagesTo(id).some((d) => d.message.text.includes('rolled back'))), 30_000, 'follow-ups delivered');
    expect((await db().selectFrom('incidents').select('status').where('id', '=', incidentId).executeTakeFirstOrThrow()).status).toBe('resolved');
    // Twice is refused and sends nothing more.
    const sent = chat.delivered.length;
    const again = await staff.post(`/dashboard/incidents/${incidentId}/resolve`, {}, { from: `/dashboard/incidents/${incidentId}` });
    expect(again.status).toBe(409);
    await new Promise((r) => setTimeout(r, 500));
    expect(chat.delivered.length).toBe(sent);
    const actions = (await db().selectFrom('audit_log').select('action').where('subject_id', '=', incidentId).execute()).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(['incident.update', 'incident.resolve']));
  });

  it('refuses a re-classification without a reason or with an unknown level, changing nothing', async () => {
    const id = await report('invoice-1', 'asker', 'How do I download my invoice for March?');
    await waitFor(() => db().selectFrom('triage_results').select('level').where('conversation_id', '=', id).executeTakeFirst(), 30_000, 'triage call');
    const overrides = await count('triage_overrides');
    const noReason = await staff.post(`/dashboard/conversations/${id}/reclassify`, { level: 'urgent', reason: '' }, { from: `/dashboard/conversations/${id}` });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('say why');
    const badLevel = await staff.post(`/dashboard/conversations/${id}/reclassify`, { level: 'critical', reason: 'because' }, { from: `/dashboard/conversations/${id}` });
    expect(badLevel.status).toBe(400);
    const notFound = await staff.post('/dashboard/conversations/00000000-0000-4000-8000-000000000000/reclassify', { level: 'urgent', reason: 'because' }, { from: `/dashboard/conversations/${id}` });
    expect(notFound.status).toBe(404);
    const notAnId = await staff.post('/dashboard/conversations/nope/reclassify', { level: 'urgent', reason: 'because' }, { from: `/dashboard/conversations/${id}` });
    expect(notAnId.status).toBe(400);
    expect(await count('triage_overrides')).toBe(overrides);
  });

  it('raising a normal conversation to urgent escalates it now; lowering it again resolves that escalation', async () => {
    const id = await report('billing-2', 'payer', 'Question about the VAT on my last invoice');
    const call = await waitFor(() => db().selectFrom('triage_results').select('level').where('conversation_id', '=', id).executeTakeFirst(), 30_000, 'triage call');
    expect(call.level).not.toBe('urgent');
    const raise = await staff.post(`/dashboard/conversations/${id}/reclassify`, { level: 'urgent', reason: 'They are our largest customer and cannot invoice at month end' }, { from: `/dashboard/conversations/${id}` });
    expect(raise.status).toBe(303);
    expect(raise.headers.get('location')).toBe(`/dashboard/conversations/${id}?done=reclassified-escalated`);
    const escalation = await waitFor(() => db().selectFrom('escalations').selectAll().where('conversation_id', '=', id).executeTakeFirst(), 30_000, 'escalation after raise');
    expect(escalation.level).toBe('urgent');
    await waitFor(() => gh.issuesByMarker(escalation.id).length === 1, 30_000, 'GitHub issue');
    const queue = await staff.page('/dashboard/queue?level=urgent');
    expect(queue).toContain(`data-escalation="${escalation.id}"`);
    await waitFor(() => db().selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', id).where('external_id', 'is not', null).executeTakeFirst(), 30_000, 'in Help Scout');
    expect(await staff.page('/dashboard/queue?helpdesk=helpscout&channel=chat')).toContain(`data-escalation="${escalation.id}"`);
    expect(await staff.page('/dashboard/queue?channel=email')).not.toContain(`data-escalation="${escalation.id}"`);
    expect(await staff.page('/dashboard/queue?level=high')).not.toContain(`data-escalation="${escalation.id}"`);

    const lower = await staff.post(`/dashboard/conversations/${id}/reclassify`, { level: 'normal', reason: 'Checked with them: it can wait until Monday' }, { from: `/dashboard/conversations/${id}` });
    expect(lower.headers.get('location')).toBe(`/dashboard/conversations/${id}?done=reclassified-resolved`);
    const resolved = await db().selectFrom('escalations').selectAll().where('id', '=', escalation.id).executeTakeFirstOrThrow();
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolved_by).toBe('Triage Person');
    const overrides = await db().selectFrom('triage_overrides').selectAll().where('conversation_id', '=', id).orderBy('seq').execute();
    expect(overrides.map((o) => [o.from_level, o.to_level])).toEqual([
      [call.level, 'urgent'],
      [call.level, 'normal'],
    ]);
    expect(overrides[0]!.staff_email).toBe('triage@hub.test');
    // Agents in Help Scout see staff's level: the urgency tag and a note naming who set it and why.
    const synced = await waitFor(async () => {
      const ref = await db().selectFrom('sync_conversations').select(['external_id', 'triage_pushed']).where('conversation_id', '=', id).executeTakeFirst();
      return ref?.external_id && ref.triage_pushed === 'normal' ? ref : null;
    }, 30_000, 'staff level pushed to Help Scout');
    const remote = hs.conversation(synced.external_id!)!;
    expect(remote.tags).toContain('urgency-normal');
    expect(remote.tags).not.toContain('urgency-urgent');
    const notes = remote.threads.filter((th) => th.kind === 'note').map((th) => th.text);
    expect(notes).toEqual(expect.arrayContaining([expect.stringContaining('Support Hub triage: NORMAL, set by triage@hub.test: Checked with them: it can wait until Monday')]));
    // The same level again is refused.
    const same = await staff.post(`/dashboard/conversations/${id}/reclassify`, { level: 'normal', reason: 'again' }, { from: `/dashboard/conversations/${id}` });
    expect(same.status).toBe(409);
  });

  it('enforces roles on the server: a viewer can read but every action is 403 and changes nothing', async () => {
    const open = await db().selectFrom('incidents').select('id').where('status', '=', 'open').executeTakeFirst();
    const conversation = await db().selectFrom('triage_results').select('conversation_id').executeTakeFirstOrThrow();
    const audits = await count('audit_log');
    expect((await viewer.get('/dashboard/queue')).status).toBe(200);
    const page = await viewer.page(`/dashboard/conversations/${conversation.conversation_id}`);
    expect(page).not.toContain('Re-classify</button>');
    const from = `/dashboard/conversations/${conversation.conversation_id}`;
    const attempts = [
      viewer.post(`/dashboard/conversations/${conversation.conversation_id}/reclassify`, { level: 'low', reason: 'viewer tries' }, { from }),
      viewer.post(`/dashboard/incidents/${open?.id ?? incidentId}/resolve`, {}, { from }),
      viewer.post(`/dashboard/incidents/${open?.id ?? incidentId}/update`, { text: 'hello' }, { from }),
    ];
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(403);
    expect((await viewer.get('/dashboard/audit')).status).toBe(403);
    expect(await count('audit_log')).toBe(audits);
  });

  it('the escalation link in notifications (/dashboard/escalations/{id}) leads to the right page', async () => {
    const escalation = await db().selectFrom('escalations').select(['id', 'conversation_id', 'incident_id']).executeTakeFirstOrThrow();
    const response = await staff.get(`/dashboard/escalations/${escalation.id}`);
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(escalation.conversation_id ? `/dashboard/conversations/${escalation.conversation_id}#escalation` : `/dashboard/incidents/${escalation.incident_id}#escalation`);
    expect((await staff.get('/dashboard/escalations/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await staff.get('/dashboard/queue?level=critical')).status).toBe(400);
  });

  it('an action and its audit row commit together: when the audit write fails, the action did not happen', async () => {
    const id = await report('db-breach-1', 'ivy', 'We were hacked! Someone has unauthorized access to our admin account, urgent!!!');
    const escalation = await waitFor(() => db().selectFrom('escalations').select(['id', 'status']).where('conversation_id', '=', id).executeTakeFirst(), 30_000, 'escalated');
    expect(escalation.status).toBe('open');
    const from = `/dashboard/conversations/${id}`;
    const notifyJobs = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'escalation.notify'`.execute(db())).rows[0]!.n);
    const jobsBefore = await notifyJobs();
    // A real failure inside the database, where the audit row is written.
    await sql`CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit log unavailable'; END $$`.execute(db());
    await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_audit()`.execute(db());
    try {
      const failed = await staff.post(`/dashboard/escalations/${escalation.id}/acknowledge`, {}, { from });
      expect(failed.status).toBe(500);
      expect(await failed.text()).toContain('Nothing was changed');
      const after = await db().selectFrom('escalations').select(['status', 'acknowledged_by']).where('id', '=', escalation.id).executeTakeFirstOrThrow();
      expect(after).toEqual({ status: 'open', acknowledged_by: null });
      expect(await db().selectFrom('escalation_events').select('kind').where('escalation_id', '=', escalation.id).where('kind', '=', 'acknowledged').execute()).toEqual([]);
      expect(await notifyJobs()).toBe(jobsBefore);
    } finally {
      await sql`DROP TRIGGER refuse_audit ON audit_log`.execute(db());
      await sql`DROP FUNCTION refuse_audit()`.execute(db());
    }
    expect((await staff.post(`/dashboard/escalations/${escalation.id}/acknowledge`, {}, { from })).status).toBe(303);
    expect((await db().selectFrom('escalations').select('status').where('id', '=', escalation.id).executeTakeFirstOrThrow()).status).toBe('acknowledged');
    expect(await db().selectFrom('audit_log').select('action').where('subject_id', '=', escalation.id).execute()).toEqual([{ action: 'escalation.acknowledged' }]);
  });
});
