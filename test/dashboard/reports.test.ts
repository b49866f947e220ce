import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../integrations/github/index.js';
import { helpscout } from '../../integrations/helpscout/index.js';
import { slack } from '../../integrations/slack/index.js';
import type { Hub } from '../../src/hub.js';
import type { UrgencyLevelColumn } from '../../src/store/schema.js';
import { redactorFor, secretValues } from '../../src/dashboard/reports/redaction.js';
import { unmatchedWording } from '../../src/dashboard/reports/classifier-feedback.js';
import { chatEnv, IDENTITY_SECRET } from '../channels/chat/support.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { backends } from '../support/backends.js';
import { parseLabelledTickets } from '../../src/triage/eval/csv.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The read-only report pages (issue 10): integrations, promises, classifier feedback, lexicon
 * suggestions and the audit log. Data is seeded straight into the store, so the figures each
 * page must show are known exactly.
 */

const PAGES = ['/dashboard/integrations', '/dashboard/promises', '/dashboard/classifier', '/dashboard/classifier/suggestions'];

/** Wednesday 5 March 2025, 13:00 in Auckland: ISO week 2025-W10 there began Monday 3 March 00:00 (2 March 11:00 UTC). */
const NOW = new Date('2025-03-05T00:00:00Z');
const ZONE = 'Pacific/Auckland';

const at = (iso: string) => new Date(iso);
const hours = (date: Date, h: number) => new Date(date.getTime() + h * 3_600_000);

/** Text of each cell of the table row whose opening tag contains `marker`. */
function rowCells(html: string, marker: string): string[] {
  const start = html.indexOf(marker);
  if (start < 0) throw new Error(`no row ${marker}`);
  const row = html.slice(start, html.indexOf('</tr>', start));
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
}

/** Cells of each body row of the table with this id (or the first table in `html`). */
function bodyRows(html: string, id?: string): string[][] {
  const start = id ? html.indexOf(`id="${id}"`) : html.indexOf('<table');
  if (start < 0) throw new Error(`no table ${id ?? ''}`);
  const table = html.slice(start, html.indexOf('</table>', start));
  const body = table.slice(table.indexOf('<tbody>'), table.indexOf('</tbody>'));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()),
  );
}

/** The page rules every report page keeps: strict CSP, stacking tables, escaped values. */
function expectWellFormedPage(html: string): void {
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(html).not.toMatch(/\sstyle=/i);
  expect(html).not.toMatch(/\son[a-z]+=/i);
  expect(html.match(/<h1[\s>]/g)?.length).toBe(1);
  for (const table of html.match(/<table[\s\S]*?<\/table>/g) ?? []) {
    expect(table).toMatch(/<table class="responsive/);
    expect(table).toContain('<caption');
    for (const th of table.match(/<thead>[\s\S]*?<\/thead>/)?.[0].match(/<th[\s>][^>]*/g) ?? []) expect(th).toContain('scope="col"');
    for (const td of table.match(/<td[\s>][^>]*/g) ?? []) expect(td).toContain('data-label="');
  }
}

async function seedConversation(hub: Hub, subject: string): Promise<{ conversationId: string; contactId: string }> {
  const contactId = randomUUID();
  const conversationId = randomUUID();
  await hub.store.db.insertInto('contacts').values({ id: contactId, identity_kind: 'chat', identity_key: `app1:${contactId}`, email: null, name: null, verified: true }).execute();
  await hub.store.db
    .insertInto('conversations')
    .values({ id: conversationId, contact_id: contactId, channel: 'chat', source: 'chat:app1', thread_key: conversationId, subject, metadata: '{}' })
    .execute();
  return { conversationId, contactId };
}

for (const backend of backends) describe(`dashboard report pages (${backend})`, () => {
  let t: TestHub;
  let base: string;
  const staff: Record<'admin' | 'triage' | 'viewer', { email: string; password: string }> = {} as never;
  const ids: Record<string, string> = {};

  async function loggedIn(role: 'admin' | 'triage' | 'viewer'): Promise<StaffClient> {
    const client = new StaffClient(base);
    const login = await client.login(staff[role].email, staff[role].password);
    expect(login.status).toBe(303);
    return client;
  }

  async function acknowledgement(level: UrgencyLevelColumn, receivedAt: Date, outcome: { kept?: boolean | null; replied?: Date | null; dueInHours?: number; decision?: 'sent' | 'skipped' }) {
    const { conversationId, contactId } = await seedConversation(t.hub, `ack ${level} ${receivedAt.toISOString()}`);
    const sent = (outcome.decision ?? 'sent') === 'sent';
    await t.hub.store.db
      .insertInto('acknowledgements')
      .values({
        conversation_id: conversationId,
        contact_id: contactId,
        decision: outcome.decision ?? 'sent',
        level,
        received_at: receivedAt,
        due_at: sent ? hours(receivedAt, outcome.dueInHours ?? 2) : null,
        first_reply_at: outcome.replied ?? null,
        kept: outcome.kept ?? null,
      })
      .execute();
  }

  async function triageCall(name: string, level: UrgencyLevelColumn, classifiedAt: Date, text = `${name}\nsomething happened`) {
    const { conversationId } = await seedConversation(t.hub, `Conversation ${name}`);
    const messageId = randomUUID();
    await t.hub.store.db
      .insertInto('messages')
      .values({ id: messageId, conversation_id: conversationId, direction: 'inbound', author_kind: 'customer', text, source: 'chat:app1', source_message_id: messageId, attachments: '[]', metadata: '{}' })
      .execute();
    await t.hub.store.db
      .insertInto('triage_results')
      .values({ conversation_id: conversationId, message_id: messageId, level, score: 5, confidence: 'medium', evidence: '[]', classified_text: text, classified_at: classifiedAt })
      .execute();
    ids[name] = conversationId;
    return conversationId;
  }

  async function override(name: string, from: UrgencyLevelColumn, to: UrgencyLevelColumn, createdAt: Date, text: string, evidence: unknown[] = [], reason = `${from} to ${to} for ${name}`) {
    ids[name] ??= (await seedConversation(t.hub, `Conversation ${name}`)).conversationId;
    await t.hub.store.db
      .insertInto('triage_overrides')
      .values({
        id: randomUUID(),
        conversation_id: ids[name]!,
        from_level: from,
        to_level: to,
        reason,
        classified_text: text,
        evidence: JSON.stringify(evidence),
        staff_email: 'triage@hub.test',
        created_at: createdAt,
      })
      .execute();
  }

  beforeAll(async () => {
    t = await startTestHub(backend, { env: { ACK_ENABLED: 'false', TEAM_TIME_ZONE: ZONE }, clock: () => NOW });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    staff.admin = await createStaff(t.hub, 'admin');
    staff.triage = await createStaff(t.hub, 'triage');
    staff.viewer = await createStaff(t.hub, 'viewer');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('shows every page to a viewer, within the page rules, with friendly empty states', async () => {
    const viewer = await loggedIn('viewer');
    for (const path of PAGES) {
      const response = await viewer.get(path);
      expect(response.status, path).toBe(200);
      expectWellFormedPage(await response.text());
    }
    expect(await viewer.page('/dashboard/integrations')).toContain('runs without integrations');
    expect(await viewer.page('/dashboard/promises')).toContain('No promises were made');
    const classifier = await viewer.page('/dashboard/classifier');
    expect(classifier).toContain('Not enough data');
    expect(classifier).toContain('href="/dashboard/classifier/suggestions"');
    expect(classifier).toContain('aria-current="page"');
    const suggestions = await viewer.page('/dashboard/classifier/suggestions');
    expect(suggestions).toContain('No corrections yet');
    expect(suggestions).toContain('src/triage/lexicon.yaml');
  });

  it('lets only admins read the audit log', async () => {
    for (const role of ['viewer', 'triage'] as const) {
      const client = await loggedIn(role);
      expect((await client.get('/dashboard/audit')).status).toBe(403);
      expect(await client.page('/dashboard/promises')).not.toContain('href="/dashboard/audit"');
    }
    const admin = await loggedIn('admin');
    expect((await admin.get('/dashboard/audit')).status).toBe(200);
    expect(await admin.page('/dashboard/promises')).toContain('href="/dashboard/audit"');
  });

  it('counts promises kept, broken and open per level and ISO week in the team zone', async () => {
    // Urgent, week 2025-W10 in Auckland: 3 kept, 1 broken (unanswered past due), 1 still open.
    await acknowledgement('urgent', at('2025-03-02T12:30:00Z'), { kept: true, replied: at('2025-03-02T13:00:00Z') }); // Sunday in UTC, Monday in Auckland
    await acknowledgement('urgent', at('2025-03-03T01:00:00Z'), { kept: true, replied: at('2025-03-03T01:30:00Z') });
    await acknowledgement('urgent', at('2025-03-04T01:00:00Z'), { kept: true, replied: at('2025-03-04T02:00:00Z') });
    await acknowledgement('urgent', at('2025-03-04T20:00:00Z'), {}); // due 22:00, before NOW, never answered
    await acknowledgement('urgent', at('2025-03-04T23:00:00Z'), { dueInHours: 3 }); // due after NOW
    // Urgent, 2025-W09: answered late.
    await acknowledgement('urgent', at('2025-02-25T01:00:00Z'), { kept: false, replied: at('2025-02-25T09:00:00Z') });
    // Normal, W10: one each.
    await acknowledgement('normal', at('2025-03-03T03:00:00Z'), { kept: true, replied: at('2025-03-03T04:00:00Z') });
    await acknowledgement('normal', at('2025-03-03T04:00:00Z'), { kept: false, replied: at('2025-03-03T09:00:00Z') });
    // Not counted: no promise made, or older than 12 weeks.
    await acknowledgement('urgent', at('2025-03-04T03:00:00Z'), { decision: 'skipped' });
    await acknowledgement('urgent', at('2024-10-01T03:00:00Z'), { kept: false, replied: at('2024-10-01T09:00:00Z') });

    const html = await (await loggedIn('viewer')).page('/dashboard/promises');
    expectWellFormedPage(html);
    const w10 = rowCells(html, 'data-level="urgent" data-week="2025-W10"');
    expect(w10.slice(1, 4)).toEqual(['3', '1', '1']);
    expect(w10[4]).toContain('75 %');
    expect(html).toContain('value="0.7500"');
    const w09 = rowCells(html, 'data-level="urgent" data-week="2025-W09"');
    expect(w09.slice(1, 4)).toEqual(['0', '1', '0']);
    expect(w09[4]).toContain('0 %');
    expect(rowCells(html, 'data-level="normal" data-week="2025-W10"')[4]).toContain('50 %');
    // Overall per level, over the 12 weeks: urgent 3 kept, 2 broken, 1 open = 60 %.
    const urgent = rowCells(html, '<tr data-level="urgent">');
    expect(urgent.slice(1, 4)).toEqual(['3', '2', '1']);
    expect(urgent[4]).toContain('60 %');
    expect(rowCells(html, '<tr data-level="high">')[4]).toBe('—');
    expect(html).not.toContain('2024-W40');
  });

  it('judges the classifier by staff corrections: weekly counts, urgent precision, false-positive and missed phrases', async () => {
    // Six conversations called urgent in the period, one long before it.
    for (const name of ['A', 'B', 'C', 'F', 'G', 'H']) await triageCall(name, 'urgent', at('2025-03-02T20:00:00Z'));
    await triageCall('old', 'urgent', at('2024-11-01T00:00:00Z'));
    const outageText = 'Outage?\nIs there an outage, not urgent';
    // A and B lowered (false alarms); C lowered, then put back to urgent (so not a false alarm).
    await override('A', 'urgent', 'normal', at('2025-03-03T01:00:00Z'), outageText, [
      { phrase: 'Outage', category: 'outage', weight: 3, start: 0, end: 6 },
      { phrase: 'not urgent', category: 'urgency', weight: -1, start: 27, end: 37, negated: true },
    ]);
    await override('B', 'urgent', 'low', at('2025-03-03T02:00:00Z'), 'Outage ASAP\nwhat was the outage last year', [
      { phrase: 'outage', category: 'outage', weight: 2.5, start: 0, end: 6 },
      { phrase: 'ASAP', category: 'intensity', weight: 1, start: 7, end: 11 },
    ]);
    await override('C', 'urgent', 'low', at('2025-02-25T01:00:00Z'), outageText, [{ phrase: 'outage', category: 'outage', weight: 3, start: 0, end: 6 }]);
    await override('C', 'urgent', 'urgent', at('2025-03-04T01:00:00Z'), outageText, [{ phrase: 'outage', category: 'outage', weight: 3, start: 0, end: 6 }]);
    // D and E raised: the lexicon missed "payroll export".
    await override('D', 'normal', 'urgent', at('2025-03-04T02:00:00Z'), 'Payroll export\nThe payroll export is stuck again, accountants cannot file');
    await override('E', 'low', 'high', at('2025-03-04T03:00:00Z'), 'payroll export broken\nHi, payroll export broken since this morning', [
      { phrase: 'broken', category: 'broken', weight: 1.5, start: 15, end: 21 },
      { phrase: 'broken', category: 'broken', weight: 1.5, start: 42, end: 48 },
    ]);

    const html = await (await loggedIn('viewer')).page('/dashboard/classifier');
    expectWellFormedPage(html);
    // W10 (Auckland): A, B, C's restore, D, E = 5 corrections, 2 raised, 2 lowered; W09: C's first.
    expect(rowCells(html, 'data-week="2025-W10"').slice(1)).toEqual(['5', '2', '2']);
    expect(rowCells(html, 'data-week="2025-W09"').slice(1)).toEqual(['1', '0', '1']);
    // Precision: 6 urgent calls in the period, staff lowered 2 (A, B): 1 − 2/6 = 67 %.
    const precision = html.slice(html.indexOf('id="precision"'), html.indexOf('</p>', html.indexOf('id="precision"')));
    expect(precision).toContain('67 %');
    expect(precision).toContain('lowered 2 of 6');
    // False alarms: "outage" in A and B (C's latest word was urgent again); negative evidence never.
    const fp = bodyRows(html, 'false-positives');
    expect(fp[0]).toEqual(['outage', 'outage', '2']);
    expect(fp).toContainEqual(['asap', 'intensity', '1']);
    expect(fp.map((r) => r[0])).not.toContain('not urgent');
    // Missed wording: "payroll export" in both raised conversations; "broken" was evidence, so it is not missed.
    const fn = bodyRows(html, 'false-negatives');
    expect(fn[0]).toEqual(['payroll export', '2']);
    expect(fn.map((r) => r[0])).not.toContain('broken');
    // Latest corrections, newest first, linking to the conversation.
    const latest = html.slice(html.indexOf('id="latest-overrides"'));
    expect(latest.indexOf(`/dashboard/conversations/${ids['E']}`)).toBeGreaterThan(0);
    expect(latest.indexOf(`/dashboard/conversations/${ids['E']}`)).toBeLessThan(latest.indexOf(`/dashboard/conversations/${ids['D']}`));
    expect(latest).toContain('low to high for E');
    expect(latest).toContain('triage@hub.test');
  });

  it('proposes lexicon terms from the corrections, saying whether the lexicon covers them', async () => {
    const html = await (await loggedIn('viewer')).page('/dashboard/classifier/suggestions');
    expectWellFormedPage(html);
    // A, B, C, D, E: each conversation once, with staff's latest level (3 urgent or high, 1 normal, 1 low).
    expect(html).toContain('5 corrected conversations: 3 urgent or high, 1 normal, 1 low');
    const payroll = bodyRows(html, 'suggestions-high').find((cells) => cells[0] === 'payroll export');
    expect(payroll).toBeDefined();
    expect(Number(payroll![1])).toBeGreaterThan(0); // z-score
    expect(payroll!.slice(2, 5)).toEqual(['2', '0', '0']);
    // "payroll" is in the lexicon (core_process, the processes an HR product exists for): the
    // table says which category covers the wording, or "new".
    expect(payroll![5]).toContain('core_process');
    expect(html).toContain('a person to review');
  });

  it('exports the corrections as CSV in the evaluation format (admins only, audited)', async () => {
    const viewer = await loggedIn('viewer');
    expect((await viewer.get('/dashboard/classifier/corrections.csv')).status).toBe(403);
    expect(await viewer.page('/dashboard/classifier/suggestions')).not.toContain('corrections.csv');
    const admin = await loggedIn('admin');
    expect(await admin.page('/dashboard/classifier/suggestions')).toContain('href="/dashboard/classifier/corrections.csv"');
    const response = await admin.get('/dashboard/classifier/corrections.csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(response.headers.get('content-disposition')).toContain('corrections.csv');
    // What triage:eval and triage:suggest read: one ticket per corrected conversation, staff's level.
    const tickets = parseLabelledTickets(await response.text());
    expect(tickets).toHaveLength(5);
    expect(tickets.filter((t) => t.priority === 'high')).toHaveLength(3);
    expect(tickets.some((t) => t.body.includes('payroll export'))).toBe(true);
    const logged = await t.hub.store.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'classifier.corrections_exported').execute();
    expect(logged).toEqual([{ action: 'classifier.corrections_exported', detail: { rows: 5 } }]);
  });

  it('pages through the audit log newest first, filters by action, and prints detail as escaped text', async () => {
    const rows = Array.from({ length: 230 }, (_, i) => ({
      action: i % 2 === 0 ? 'incident.resolved' : 'escalation.acknowledged',
      staff_email: 'admin@hub.test',
      subject_kind: i % 2 === 0 ? 'incident' : 'escalation',
      subject_id: randomUUID(),
      detail: JSON.stringify(i === 229 ? { text: '<script>alert(1)</script>' } : { n: i }),
      ip: '192.0.2.7',
    }));
    for (const row of rows) await t.hub.store.db.insertInto('audit_log').values(row).execute();
    const admin = await loggedIn('admin');
    const total = Number((await t.hub.store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const seen: number[] = [];
    let path: string | null = '/dashboard/audit';
    let first = '';
    while (path) {
      const html = await admin.page(path);
      if (!first) first = html;
      expectWellFormedPage(html);
      const idsOnPage = [...html.matchAll(/data-audit="(\d+)"/g)].map((m) => Number(m[1]));
      expect(idsOnPage.length).toBeLessThanOrEqual(100);
      expect(idsOnPage).toEqual([...idsOnPage].sort((a, b) => b - a));
      if (seen.length) expect(Math.max(...idsOnPage)).toBeLessThan(Math.min(...seen));
      seen.push(...idsOnPage);
      const next: RegExpExecArray | null = /href="(\/dashboard\/audit\?before=\d+)"/.exec(html);
      path = next ? next[1]! : null;
    }
    expect(seen.length).toBe(total);
    expect(new Set(seen).size).toBe(total);
    // Newest first: the escaped script is on the first page, as text.
    expect(first).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(first).not.toContain('<script>alert');
    expect(first).toContain('href="/dashboard/incidents/');

    const filtered = await admin.page('/dashboard/audit?action=incident');
    expect(filtered).toMatch(/<option value="incident" selected>/);
    const actions = [...filtered.matchAll(/<td data-label="Action">([^<]*)<\/td>/g)].map((m) => m[1]);
    expect(actions.length).toBe(100);
    expect(new Set(actions)).toEqual(new Set(['incident.resolved']));
    const older = /href="\/dashboard\/audit\?action=incident&amp;before=(\d+)"/.exec(filtered);
    expect(older).not.toBeNull();
    const rest = await admin.page(`/dashboard/audit?action=incident&before=${older![1]}`);
    expect([...rest.matchAll(/<td data-label="Action">([^<]*)<\/td>/g)].length).toBe(15);
    expect(rest).not.toContain('before=');

    expect((await admin.get('/dashboard/audit?before=abc')).status).toBe(400);
    expect((await admin.get('/dashboard/audit?action=%27%3B--')).status).toBe(400);
  });
});

describe('report pages never print a configured secret', () => {
  let fake: FakeHelpScout;
  let gh: FakeGitHub;
  let t: TestHub;
  let base: string;
  const SECRETS = {
    HUB_ADMIN_TOKEN: 'admin-token-3f9c2e7a1b8d4c6e0f5a',
    HUB_LINK_SECRET: 'link-secret-7d1e3c5b9a2f4e6d',
    GITHUB_TOKEN: 'ghp_reportsTestToken9c8b7a6f5e4d',
    GITHUB_WEBHOOK_SECRET: 'github-hook-secret-5e6f7a8b',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.test/services/T0001/B0002/slackSecretPart42xyz',
  };
  let all: string[];

  beforeAll(async () => {
    fake = await startFakeHelpScout();
    // The fake GitHub refuses this token: a real call, answered 401, that /metrics counts.
    gh = await startFakeGitHub();
    const env = { ...chatEnv, ...fake.env, ...SECRETS, GITHUB_REPO: 'acme/support', GITHUB_API_BASE: gh.url, ACK_ENABLED: 'false', SYNC_RECONCILE_SECONDS: '3600' };
    all = [...Object.values(SECRETS), fake.env.HELPSCOUT_CLIENT_SECRET!, fake.env.HELPSCOUT_WEBHOOK_SECRET!, IDENTITY_SECRET, 'slackSecretPart42xyz'];
    t = await startTestHub('pglite', { integrations: [helpscout, github, slack], env });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    // Let one reconciliation round finish, then pause Help Scout for auth and hold further rounds off.
    await t.hub.sync.reconciler.tick(true);
    const githubTarget = t.hub.registry.all('escalation').find((e) => e.integrationId === 'github')!.instance;
    expect((await githubTarget.checkConnection()).ok).toBe(false);
    const db = t.hub.store.db;
    await db
      .updateTable('integration_state')
      .set({ status: 'needs_reauth', auth_failures: 2, reason: `401 invalid_client: client secret ${fake.env.HELPSCOUT_CLIENT_SECRET} was rejected`, changed_at: at('2025-03-04T10:00:00Z'), next_reconcile_at: new Date(Date.now() + 86_400_000) })
      .where('integration_id', '=', 'helpscout')
      .execute();
    await db
      .insertInto('rate_buckets')
      .values({ key: `helpscout:${fake.env.HELPSCOUT_CLIENT_ID}`, tokens: -1e6, updated_at: new Date() })
      .onConflict((oc) => oc.column('key').doUpdateSet({ tokens: -1e6 }))
      .execute();
    await db.insertInto('rate_buckets').values({ key: 'github:acme', tokens: 17.6, updated_at: new Date() }).execute();
    // A sync error (the vendor echoed the request's credentials) and failing escalation targets.
    const { conversationId } = await seedConversation(t.hub, 'Sync trouble');
    await db
      .insertInto('sync_conversations')
      .values({ integration_id: 'helpscout', conversation_id: conversationId, dirty: false, last_error: `400 from POST /v2/conversations (Authorization: Bearer abcdefghijklmnop0123456789; secret=${fake.env.HELPSCOUT_WEBHOOK_SECRET})`, updated_at: at('2025-03-04T11:00:00Z') })
      .execute();
    const escalationId = randomUUID();
    await db.insertInto('escalations').values({ id: escalationId, conversation_id: conversationId, policy: 'urgent', level: 'urgent', title: 'Sync trouble', status: 'resolved', opened_at: at('2025-03-04T11:00:00Z'), resolved_at: at('2025-03-04T12:00:00Z') }).execute();
    await db.insertInto('escalation_steps').values({ escalation_id: escalationId, step: 0, due_at: at('2025-03-04T11:00:00Z'), targets: JSON.stringify(['github', 'slack', 'email']), until: 'acknowledged', status: 'done', ran_at: at('2025-03-04T11:00:05Z') }).execute();
    await db
      .insertInto('escalation_targets')
      .values([
        { escalation_id: escalationId, step: 0, target: 'github', state: 'failed', attempts: 1, last_error: `401 Bad credentials for ${SECRETS.GITHUB_TOKEN}` },
        { escalation_id: escalationId, step: 0, target: 'slack', state: 'pending', attempts: 3, last_error: `POST ${SECRETS.SLACK_WEBHOOK_URL} timed out` },
        { escalation_id: escalationId, step: 0, target: 'email', state: 'failed', attempts: 1, last_error: 'this target is not configured on this hub' },
      ])
      .execute();
    await db.insertInto('escalation_events').values({ id: randomUUID(), escalation_id: escalationId, at: at('2025-03-04T11:00:04Z'), kind: 'target.failed', detail: JSON.stringify({ step: 0, target: 'github' }) }).execute();
    await db.insertInto('audit_log').values({ action: 'staff.note', staff_email: 'admin@hub.test', detail: JSON.stringify({ note: `pasted ${SECRETS.HUB_ADMIN_TOKEN} by mistake` }) }).execute();
    await db.insertInto('triage_overrides').values({ id: randomUUID(), conversation_id: conversationId, from_level: 'urgent', to_level: 'low', reason: `test with ${SECRETS.HUB_LINK_SECRET}`, classified_text: 'x\ny', evidence: '[]', staff_email: 'admin@hub.test' }).execute();
  });
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
    await gh?.close();
  });

  /** `hub_vendor_requests_total` of one integration from /metrics: status → count. */
  async function metricsCalls(integration: string): Promise<Map<string, number>> {
    const text = await (await fetch(`${base}/metrics`)).text();
    const calls = new Map<string, number>();
    for (const m of text.matchAll(/^hub_vendor_requests_total\{integration="([^"]+)",status="([^"]+)"\} (\d+)$/gm)) {
      if (m[1] === integration) calls.set(m[2]!, Number(m[3]));
    }
    return calls;
  }

  it('shows each integration: capabilities, paused for auth, latest errors, rate budget', async () => {
    const admin = await createStaff(t.hub, 'admin');
    const client = new StaffClient(base);
    await client.login(admin.email, admin.password);
    const html = await client.page('/dashboard/integrations');
    expectWellFormedPage(html);
    const hs = rowCells(html, 'data-integration="helpscout"');
    expect(hs[0]).toContain('Help Scout');
    expect(hs[1]).toContain('Helpdesk sync: configured');
    expect(hs[1]).toContain('Sidebar card: not configured');
    expect(hs[2]).toContain('paused for auth');
    expect(hs[2]).toContain('401 invalid_client: client secret [redacted] was rejected');
    expect(hs[3]).toContain('Bearer [redacted]');
    expect(hs[3]).toContain('secret=[redacted]');
    // Calls: what /metrics counts for it (issue 22 item 7: not "no calls yet" beside a counter).
    const hsCalls = await metricsCalls('helpscout');
    const hsTotal = [...hsCalls.values()].reduce((a, b) => a + b, 0);
    expect(hsTotal).toBeGreaterThan(0);
    expect(hs[5]).toContain(`${hsTotal} API request${hsTotal === 1 ? '' : 's'}:`);
    for (const [status, count] of hsCalls) expect(hs[5]).toContain(`${status} ×${count}`);
    // The budget as use against the vendor's limit (Help Scout: 400 per minute), not the burst left.
    expect(hs[6]).toMatch(/used [1-9]\d* of 400 per minute/);
    expect(hs[6]).toContain('backing off');
    expect(hs[6]).not.toMatch(/requests? left/);
    const ghRow = rowCells(html, 'data-integration="github"');
    expect(ghRow[1]).toContain('Escalation target: configured');
    expect(ghRow[2]).toContain('working');
    expect(ghRow[4]).toContain('401 Bad credentials for [redacted]');
    expect(ghRow[4]).toContain('gave up');
    expect((await metricsCalls('github')).get('401')).toBe(1);
    expect(ghRow[5]).toContain('1 API request: 401 ×1');
    expect(ghRow[5]).not.toContain('no calls yet');
    // A bucket this hub does not draw from (its limit unknown here) shows its burst, named as such.
    expect(ghRow[6]).toContain('17 available to burst');
    const sl = rowCells(html, 'data-integration="slack"');
    expect(sl[5]).toContain('no calls yet');
    expect(sl[4]).toContain('POST [redacted] timed out');
    expect(sl[4]).toContain('retrying');
    expect(html).toContain('Other escalation targets');
    expect(html).toContain('this target is not configured on this hub');
    // The bucket's account part (the client id) is configuration too.
    expect(html).not.toContain(fake.env.HELPSCOUT_CLIENT_ID!);
  });

  it('prints none of the secret values on any report page', async () => {
    const admin = await createStaff(t.hub, 'admin', 'admin2@hub.test');
    const client = new StaffClient(base);
    await client.login(admin.email, admin.password);
    for (const path of [...PAGES, '/dashboard/audit']) {
      const html = await client.page(path);
      for (const secret of all) expect(html, `${path} shows a secret`).not.toContain(secret);
    }
    expect(await client.page('/dashboard/audit')).toContain('pasted [redacted] by mistake');
  });

  it('knows the configured secrets from the config itself', () => {
    const values = secretValues(t.hub.loaded.config, t.hub.loaded.secretPaths);
    for (const secret of all) expect(values.some((v) => v.includes(secret))).toBe(true);
    const redact = redactorFor(t.hub.loaded.config, t.hub.loaded.secretPaths);
    expect(redact(`token ${SECRETS.GITHUB_TOKEN}`)).toBe('token [redacted]');
    expect(redact('a plain message')).toBe('a plain message');
  });
});

describe('missed-wording counter', () => {
  it('counts each word and word pair once per conversation, skipping evidence, stop words and numbers', () => {
    const text = 'Invoice sync\nthe invoice sync failed 3 times';
    const counts = unmatchedWording([
      { text, evidence: [{ phrase: 'failed', category: 'broken', weight: 2, start: text.indexOf('failed'), end: text.indexOf('failed') + 6 }] },
      { text: 'invoice sync\nplease help', evidence: [] },
    ]);
    const byPhrase = Object.fromEntries(counts.map((c) => [c.phrase, c.count]));
    expect(byPhrase['invoice sync']).toBe(2);
    expect(byPhrase['invoice']).toBe(2);
    expect(byPhrase['failed']).toBeUndefined();
    expect(byPhrase['the']).toBeUndefined();
    expect(byPhrase['3']).toBeUndefined();
    expect(counts[0]!.phrase).toBe('invoice sync');
  });
});
