import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';
import { readZip } from '../support/zip.js';

/**
 * Issue 27 on the dashboard: an admin finds a person by address, downloads their export and
 * erases them with a typed confirmation and a reason; a mismatched confirmation is refused with a
 * readable message and changes nothing; triage staff cannot reach the page; the audit log keeps
 * who and why, never the address.
 */
describe('data requests on the dashboard', () => {
  let t: TestHub;
  let admin: StaffClient;
  let triage: StaffClient;

  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { ESCALATION_TICK_SECONDS: '300' } });
    const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    admin = new StaffClient(base);
    triage = new StaffClient(base);
    const a = await createStaff(t.hub, 'admin');
    const b = await createStaff(t.hub, 'triage');
    expect((await admin.login(a.email, a.password)).status).toBe(303);
    expect((await triage.login(b.email, b.password)).status).toBe(303);
    await t.hub.ingest(chatMessage({ id: 'dp-1', user: 'noor', text: 'Please send me a copy of everything you hold about me.' }));
    await t.hub.ingest(chatMessage({ id: 'dp-2', user: 'olu', text: 'How do I add a manager?' }));
  });
  afterAll(async () => {
    await t?.stop();
  });

  const contacts = () => t.hub.store.db.selectFrom('contacts').select('email').orderBy('email').execute();

  it('is for admins only', async () => {
    expect((await triage.get('/dashboard/privacy')).status).toBe(403);
    expect(await triage.page('/dashboard/queue')).not.toContain('/dashboard/privacy');
    expect(await admin.page('/dashboard/queue')).toContain('/dashboard/privacy');
  });

  it('finds a person, says when nobody matches, and downloads the export', async () => {
    expect(await admin.page('/dashboard/privacy?email=nobody%40example.com')).toContain('nothing in the hub concerns nobody@example.com');
    const page = await admin.page('/dashboard/privacy?email=Noor%40Example.com');
    expect(page).toMatch(/1 identity.*1 conversation/s);
    const zip = await admin.post('/dashboard/privacy/export', { email: 'noor@example.com' }, { from: '/dashboard/privacy' });
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-type')).toBe('application/zip');
    expect(zip.headers.get('content-disposition')).toMatch(/^attachment; filename="data-email-[0-9a-f]{12}\.zip"$/);
    const files = await readZip(Buffer.from(await zip.arrayBuffer()));
    const conversation = [...files.entries()].find(([name]) => name.startsWith('conversations/'))![1].toString();
    expect(conversation).toContain('Please send me a copy of everything');
    expect(conversation).not.toContain('add a manager');
  });

  it('refuses an erasure whose confirmation does not repeat the address, changing nothing', async () => {
    const before = await contacts();
    const refused = await admin.post('/dashboard/privacy/erase', { email: 'noor@example.com', confirm: 'noor@example', reason: 'asked by chat' }, { from: '/dashboard/privacy' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('the confirmation must repeat noor@example.com exactly');
    expect(await contacts()).toEqual(before);
    expect(await t.hub.store.db.selectFrom('privacy_requests').select('id').execute()).toEqual([]);
  });

  it('erases with the typed confirmation; the page lists the request; the audit log names no one', async () => {
    const done = await admin.post('/dashboard/privacy/erase', { email: 'noor@example.com', confirm: 'NOOR@example.com ', reason: 'User noor asked in chat on 7 Dec' }, { from: '/dashboard/privacy' });
    expect(done.status).toBe(303);
    const requestId = new URL(done.headers.get('location')!, 'http://x').searchParams.get('request')!;
    await waitFor(async () => (await t.hub.privacy.erasure(requestId)).state === 'done', 30_000, 'the erasure to finish');
    expect((await contacts()).map((c) => c.email)).toEqual(['olu@example.com']);
    const page = await admin.page(`/dashboard/privacy?request=${requestId}`);
    expect(page).toContain(`data-request="${requestId}" class="highlight"`);
    expect(page).toMatch(/hub: removed 1 identity, 1 conversation, 2 messages, 1 urgency call; 1 acknowledgement kept as anonymous counts/);
    const audit = await admin.page('/dashboard/audit?action=privacy');
    expect(audit).toContain('privacy.erase.requested');
    expect(audit).toContain('[the person] asked in chat on 7 Dec');
    expect(audit.toLowerCase()).not.toContain('noor@example.com');
  });
});
