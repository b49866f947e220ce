import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../../src/config.js';
import { Teams, TeamsError } from '../../../src/team/teams.js';
import { chatEnv, Sdk } from '../../channels/chat/support.js';
import { backends } from '../../support/backends.js';
import { createStaff, StaffClient } from '../../support/dashboard.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';

const TEAMS = `
team:
  timeZone: Europe/Berlin
  businessHours: "mon-fri 09:00-17:00"
oncall:
  people:
    ola: { name: Ola Oncall, timeZone: UTC, awake: '00:00-24:00', contacts: { email: ola@example.com } }
  rotations:
    primary: { members: [ola], timeZone: UTC, coverage: 24x7 }
teams:
  billing:
    name: Billing (US)
    categories: [payment_failure, pay_error]
    timeZone: America/New_York
    businessHours: "mon-fri 09:00-17:00"
    holidays: [2026-12-25]
    firstResponseTargetMinutes: { urgent: 30, high: 45, normal: 60, low: 240 }
  technical:
    name: Technical (on call)
    categories: [malfunction, outage]
    rotation: primary
    onCallMinutes: 20
`;

function configFile(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hub-teams-')), 'hub.yaml');
  writeFileSync(path, yaml);
  return path;
}

const SYDNEY = 'Australia/Sydney';
// Tuesday 02:00 UTC: 9 p.m. Monday in New York (the US billing team is closed), 1 p.m. Tuesday in
// Sydney (where the customer writes from), 3 a.m. in Berlin (the default team is closed too).
const AT = new Date('2026-12-08T02:00:00Z');

/**
 * ETAs per team (issue 26, part 3), with a fixed clock: a billing question at 02:00 UTC from
 * Sydney is promised the US team's time (its next opening plus its target, in the customer's
 * time), a technical one the on-call rotation's minutes, anything else the default team's; each
 * team's promise rests on its own history; promise keeping is reported per team in /metrics and
 * on the dashboard's Promises page.
 */
describe.each(backends)('ETAs per team on %s', (backend) => {
  let t: TestHub;
  let base: string;
  let now = AT;
  const chat = new RecordingChannel('chat');
  const conversations: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestHub(backend, { channels: [chat], clock: () => now, env: { ...chatEnv, HUB_CONFIG: configFile(TEAMS), ESCALATION_TICK_SECONDS: '300' } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => t?.stop());

  const acknowledgement = (conversationId: string) =>
    waitFor(() => t.hub.store.db.selectFrom('acknowledgements').selectAll().where('conversation_id', '=', conversationId).where('message_id', 'is not', null).executeTakeFirst(), 30_000, 'the acknowledgement');

  async function write(key: string, text: string) {
    const r = await t.hub.ingest(chatMessage({ id: key, user: key, text, metadata: { device: { platform: 'ios', timeZone: SYDNEY } } }));
    conversations[key] = r.conversation.id;
    return acknowledgement(r.conversation.id);
  }

  it('a billing question at 02:00 UTC from Sydney is promised the US team’s time, in the customer’s time', async () => {
    const ack = await write('billing-1', 'I was billed the wrong amount on my last invoice.');
    expect(ack).toMatchObject({ team: 'billing', level: 'normal', basis: 'target' });
    // New York opens at 09:00 EST = 14:00 UTC; its normal target is 60 business minutes.
    expect(new Date(ack.due_at!).toISOString()).toBe('2026-12-08T15:00:00.000Z');
    // 15:00 UTC is 2:00 AM Wednesday in Sydney (AEDT, UTC+11).
    expect(ack.promise).toBe('by 2:00 AM tomorrow, your time');
    expect(ack.promise_for_agents).toContain('Billing (US)');
    const sent = await waitFor(() => chat.delivered.find((d) => d.conversation.id === conversations['billing-1']), 15_000, 'the acknowledgement delivered');
    expect(sent.message.text).toContain('by 2:00 AM tomorrow, your time');
  });

  it('a technical question at the same moment is promised the on-call rotation’s minutes', async () => {
    const ack = await write('tech-1', 'Your app shows an error when I save a report.');
    expect(ack).toMatchObject({ team: 'technical', level: 'normal' });
    expect(new Date(ack.due_at!).toISOString()).toBe('2026-12-08T02:20:00.000Z');
    expect(ack.promise).toBe('within about 20 minutes');
    expect(ack.promise_for_agents).toContain('on-call rotation primary');
  });

  it('anything else is the default team’s, on its own hours', async () => {
    const ack = await write('other-1', 'How do I change my profile picture?');
    expect(ack).toMatchObject({ team: 'default', level: 'low', basis: 'target' });
    // Berlin opens at 09:00 CET = 08:00 UTC; the low target is three business days (1440 minutes).
    expect(new Date(ack.due_at!).toISOString()).toBe('2026-12-10T16:00:00.000Z');
  });

  it('the availability notice speaks for the team of the topic the app names', async () => {
    const sdk = new Sdk(base);
    // ICU puts a narrow no-break space before AM/PM.
    const ask = async (query: string) => {
      const body = (await sdk.call('GET', `/v1/availability?time_zone=${SYDNEY}${query}`)).body;
      body['expected_reply']['text'] = String(body['expected_reply']['text']).replace(/\u202f/g, ' ');
      return body;
    };
    expect(await ask('&topic=payment_failure')).toMatchObject({ status: 'away', expected_reply: { text: "We're away right now. We'll be back Wednesday 1:00 AM, your time." } });
    expect(await ask('&topic=malfunction')).toMatchObject({ status: 'open', expected_reply: { minutes: 20, text: 'Usually replies within about 20 minutes' } });
    expect(await ask('')).toMatchObject({ status: 'away', expected_reply: { text: "We're away right now. We'll be back Tuesday 7:00 PM, your time." } });
    // A topic no team handles, or not a category name at all, is the default team's (v1 never refused it).
    expect(await ask('&topic=feature_request')).toEqual(await ask(''));
    expect(await ask('&topic=Billing%20please')).toEqual(await ask(''));
  });

  it('each team’s promise rests on its own history, taken at the 90% upper bound of its p80 once it has 20 replies', async () => {
    // 25 billing replies in the last weeks, each 25 business minutes after the customer wrote.
    const rows = Array.from({ length: 25 }, (_, i) => ({
      conversation_id: randomUUID(),
      contact_id: randomUUID(),
      decision: 'sent' as const,
      level: 'normal' as const,
      basis: 'target',
      received_at: new Date(AT.getTime() - (i + 1) * 86_400_000),
      due_at: new Date(AT.getTime() - (i + 1) * 86_400_000 + 3_600_000),
      first_reply_at: new Date(AT.getTime() - (i + 1) * 86_400_000 + 1_500_000),
      first_reply_business_minutes: 25,
      kept: true,
      team: 'billing',
    }));
    await t.hub.store.db.insertInto('acknowledgements').values(rows).execute();
    now = new Date(AT.getTime() + 2 * 60_000); // past the minute the history is cached for
    const billing = await t.hub.triage.acknowledger.expectedReply('normal', 'payment_failure', SYDNEY, now);
    expect(billing.basis).toBe('history');
    expect(billing.due.toISOString()).toBe('2026-12-08T14:25:00.000Z');
    // The default team has no history of its own: still its target.
    expect((await t.hub.triage.acknowledger.expectedReply('normal', null, SYDNEY, now)).basis).toBe('target');
  });

  it('reports promise keeping per team in /metrics and on the dashboard, per team and week', async () => {
    // Billing answers at 14:30 UTC (due 15:00: kept); technical at 03:00 UTC (due 02:20: broken).
    now = new Date('2026-12-08T03:00:00Z');
    await t.hub.reply({ conversationId: conversations['tech-1']!, source: 'helpdesk-test', sourceMessageId: 'tech-reply', authorKind: 'agent', authorName: 'Ola', text: 'Looking at it.' });
    now = new Date('2026-12-08T14:30:00Z');
    await t.hub.reply({ conversationId: conversations['billing-1']!, source: 'helpdesk-test', sourceMessageId: 'billing-reply', authorKind: 'agent', authorName: 'Bo', text: 'Corrected, sorry.' });
    await waitFor(
      async () => (await t.hub.store.db.selectFrom('acknowledgements').select('kept').where('conversation_id', 'in', [conversations['tech-1']!, conversations['billing-1']!]).where('kept', 'is not', null).execute()).length === 2,
      30_000,
      'both promises judged',
    );
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^hub_team_promises_kept_ratio\{team="billing"\} 1$/m);
    expect(metrics).toMatch(/^hub_team_promises_kept_ratio\{team="technical"\} 0$/m);
    expect(metrics).toMatch(/^hub_team_promises\{team="billing",outcome="kept"\} 26$/m);
    expect(metrics).toMatch(/^hub_team_promises\{team="technical",outcome="broken"\} 1$/m);

    const viewer = await createStaff(t.hub, 'viewer');
    const staff = new StaffClient(base);
    expect((await staff.login(viewer.email, viewer.password)).status).toBe(303);
    const page = await staff.page('/dashboard/promises');
    expect(page).toContain('Per team');
    expect(page).toMatch(/<tr data-team="billing">[\s\S]*?Billing \(US\)[\s\S]*?<td data-label="Kept">26<\/td>/);
    expect(page).toMatch(/<tr data-team="technical">[\s\S]*?<td data-label="Broken">1<\/td>/);
    expect(page).toContain('Billing (US), per week');
    expect(page).toMatch(/data-team="billing" data-week="2026-W50"/);
  });
});

describe('teams configuration', () => {
  const load = (yaml: string) => loadConfig([], { HUB_CONFIG: configFile(yaml) });

  it('refuses a category answered by two teams, a team called default, and onCallMinutes without a rotation', () => {
    const problems = (() => {
      try {
        load(`teams:\n  a: { categories: [payment_failure] }\n  b: { categories: [payment_failure], onCallMinutes: 10 }\n  default: { categories: [outage] }\n`);
      } catch (error) {
        return (error as ConfigError).problems.join('\n');
      }
      return '';
    })();
    expect(problems).toContain('"payment_failure" is already answered by team a');
    expect(problems).toContain('needs rotation');
    expect(problems).toContain('"default" is the team of TEAM_*');
  });

  it('refuses an unknown rotation and targets that promise a lower level sooner, naming the team', () => {
    const { config } = load(`teams:\n  billing: { categories: [pay_error], firstResponseTargetMinutes: { normal: 30 } }\n  tech: { categories: [outage], rotation: nightly }\n`);
    let error: unknown;
    try {
      new Teams(config);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TeamsError);
    const text = (error as TeamsError).problems.join('\n');
    expect(text).toContain('teams.tech.rotation: unknown rotation "nightly"');
    expect(text).toMatch(/teams\.billing\.firstResponseTargetMinutes: .*urgent ≤ high ≤ normal ≤ low/);
  });
});
