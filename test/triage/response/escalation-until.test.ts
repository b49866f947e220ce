import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStaff, StaffClient } from '../../support/dashboard.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';
import { smtpSink } from '../../support/smtp-sink.js';

const POLICIES = `escalation:
  policies:
    - name: security
      match: { levels: [urgent], categories: [security] }
      until: acknowledged
      steps:
        - { after: 15m, targets: [email] }
    - name: data
      match: { levels: [urgent], categories: [data_loss] }
      until: resolved
      steps:
        - { after: 15m, targets: [email] }
    - name: urgent
      match: { levels: [urgent] }
      steps:
        - { after: 15m, targets: [email] }
        - { after: 30m, targets: [email] }
`;

/**
 * What ends an escalation (issue 22, item 1): by default a public agent reply to the customer
 * stops the remaining steps — nobody is woken about a customer already answered — while a policy
 * may run `until: acknowledged` or `until: resolved`, and an incident keeps paging until someone
 * acknowledges it (one reply does not fix an outage). Time is the test's: the clock moves, ticks
 * are called.
 */
describe('escalation policies run until replied, acknowledged or resolved', () => {
  let t: TestHub;
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  const start = Date.parse('2026-03-10T10:00:00Z');
  let now = new Date(start);
  const at = (minutes: number) => (now = new Date(start + minutes * 60_000));
  const ids: Record<'payroll' | 'hacked' | 'data' | 'outage' | 'late', { conversationId: string; escalationId: string }> = {} as never;
  const db = () => t.hub.store.db;
  const mailsAbout = (phrase: RegExp) => sink.mails.filter((m) => phrase.test(m.subject ?? ''));
  const stepsOf = (escalationId: string) => db().selectFrom('escalation_steps').select(['step', 'until', 'status']).where('escalation_id', '=', escalationId).orderBy('step').execute();
  const eventsOf = (escalationId: string) => db().selectFrom('escalation_events').select(['kind', 'detail']).where('escalation_id', '=', escalationId).orderBy('at').execute();
  const agentReply = (conversationId: string, id: string) =>
    t.hub.reply({ conversationId, source: 'helpscout', sourceMessageId: id, authorKind: 'agent', authorName: 'Jo Agent', text: 'Fixed, please try again.' });

  beforeAll(async () => {
    sink = await smtpSink();
    const dir = mkdtempSync(join(tmpdir(), 'hub-until-'));
    writeFileSync(join(dir, 'hub.yaml'), POLICIES);
    t = await startTestHub('pglite', {
      channels: [new RecordingChannel('chat')],
      clock: () => now,
      env: {
        HUB_CONFIG: join(dir, 'hub.yaml'),
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
        ONCALL_EMAIL: 'oncall@acme.example',
        ESCALATION_TICK_SECONDS: '300',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await sink?.close();
  });

  it('each escalation stores when its steps stop: replied by default, acknowledged for an incident', async () => {
    at(0);
    const texts = {
      payroll: 'Urgent: the payroll export fails for all our employees and salaries are due today!',
      hacked: 'Someone hacked our account and changed the admin password, urgent',
      data: 'All our customer data is gone, deleted, urgent!',
      outage: 'The service is down for all our users, urgent!',
      late: 'Urgent: the invoice export fails for every client and the deadline is today!',
    };
    for (const [key, text] of Object.entries(texts) as [keyof typeof ids, string][]) {
      const { conversation } = await t.hub.ingest(chatMessage({ id: `until-${key}`, user: `until-${key}`, text }));
      const escalation = await waitFor(
        () =>
          db()
            .selectFrom('escalations')
            .select('id')
            .where((eb) => eb.or([eb('conversation_id', '=', conversation.id), eb('incident_id', 'in', eb.selectFrom('incident_conversations').select('incident_id').where('conversation_id', '=', conversation.id))]))
            .executeTakeFirst(),
        30_000,
        `escalation of ${key}`,
      );
      ids[key] = { conversationId: conversation.id, escalationId: escalation.id };
    }
    expect((await stepsOf(ids.payroll.escalationId)).map((s) => s.until)).toEqual(['replied', 'replied']);
    expect((await stepsOf(ids.hacked.escalationId)).map((s) => s.until)).toEqual(['acknowledged']);
    expect((await stepsOf(ids.data.escalationId)).map((s) => s.until)).toEqual(['resolved']);
    // Same "urgent" policy as the payroll chat, but an incident: it keeps paging until acknowledged.
    const incident = await db().selectFrom('escalations').select(['incident_id', 'title']).where('id', '=', ids.outage.escalationId).executeTakeFirstOrThrow();
    expect(incident.incident_id).not.toBeNull();
    expect((await stepsOf(ids.outage.escalationId)).map((s) => s.until)).toEqual(['acknowledged', 'acknowledged']);
    // The title names the level once.
    const payroll = await db().selectFrom('escalations').select('title').where('id', '=', ids.payroll.escalationId).executeTakeFirstOrThrow();
    expect(payroll.title).toBe('Urgent: "the payroll export fails for all our employees and salaries are due today!"');
  });

  it('an agent reply at +5 min cancels the steps of a conversation running until replied, with the reason in the timeline', async () => {
    at(5);
    for (const key of ['payroll', 'hacked', 'data', 'outage'] as const) await agentReply(ids[key].conversationId, `reply-${key}`);
    await waitFor(async () => (await stepsOf(ids.payroll.escalationId)).every((s) => s.status === 'cancelled'), 30_000, 'payroll steps cancelled');
    const escalation = await db().selectFrom('escalations').select(['status', 'replied_at', 'replied_by']).where('id', '=', ids.payroll.escalationId).executeTakeFirstOrThrow();
    expect(escalation.status).toBe('open');
    expect(new Date(escalation.replied_at!).toISOString()).toBe(now.toISOString());
    expect(escalation.replied_by).toBe('Jo Agent');
    const events = await eventsOf(ids.payroll.escalationId);
    expect(events.filter((e) => e.kind === 'replied')).toHaveLength(1);
    const cancelled = events.filter((e) => e.kind === 'step.cancelled');
    expect(cancelled.map((e) => e.detail['step'])).toEqual([1, 2]);
    expect(String(cancelled[0]!.detail['reason'])).toMatch(/Jo Agent replied to the customer/);
    // The incident recorded the reply too, but its steps wait on.
    await waitFor(async () => (await db().selectFrom('escalations').select('replied_at').where('id', '=', ids.outage.escalationId).executeTakeFirstOrThrow()).replied_at, 30_000, 'incident reply recorded');
    expect((await stepsOf(ids.outage.escalationId)).map((s) => s.status)).toEqual(['scheduled', 'scheduled']);
    expect((await stepsOf(ids.hacked.escalationId)).map((s) => s.status)).toEqual(['scheduled']);
  });

  it('the queue shows those customers answered ("answered 10:05 by Jo Agent", promise kept), the others still waiting', async () => {
    await waitFor(async () => (await db().selectFrom('escalations').select('replied_at').where('id', '=', ids.hacked.escalationId).executeTakeFirstOrThrow()).replied_at, 30_000, 'reply recorded');
    const staff = new StaffClient(`http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`);
    const login = await createStaff(t.hub, 'viewer');
    expect((await staff.login(login.email, login.password)).status).toBe(303);
    const html = await staff.page('/dashboard/queue?status=any');
    const row = (id: string) => {
      const match = new RegExp(`<tr data-escalation="${id}">([\\s\\S]*?)</tr>`).exec(html);
      return (match?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    };
    expect(row(ids.payroll.escalationId)).toMatch(/answered 10:05 by Jo Agent/);
    expect(row(ids.payroll.escalationId)).toMatch(/promise kept/);
    expect(row(ids.payroll.escalationId)).not.toMatch(/next:/);
    expect(row(ids.hacked.escalationId)).toMatch(/answered 10:05 by Jo Agent/);
    expect(row(ids.late.escalationId)).not.toMatch(/answered/);
    expect(row(ids.late.escalationId)).toMatch(/in \d+ (min|h)/);
    // An incident is not "answered" by one customer's reply.
    expect(row(ids.outage.escalationId)).not.toMatch(/answered/);
    // Unanswered first within a level: the waiting customers lead the queue.
    const order = [...html.matchAll(/data-escalation="([^"]+)"/g)].map((m) => m[1]);
    expect(order.indexOf(ids.late.escalationId)).toBeLessThan(order.indexOf(ids.payroll.escalationId));
  });

  it('acknowledging does not stop a policy running until resolved', async () => {
    expect(await t.hub.triage.engine.acknowledge(ids.data.escalationId, 'Sam Lead', 'test')).toBe(true);
    expect((await stepsOf(ids.data.escalationId)).map((s) => s.status)).toEqual(['scheduled']);
  });

  it('a step job that runs after a reply, before the reply’s own job, sees the customer answered and does nothing', async () => {
    // The tick claimed the step (its job is queued) when the reply lands.
    at(16);
    await db().updateTable('escalation_steps').set({ status: 'queued' }).where('escalation_id', '=', ids.late.escalationId).where('step', '=', 1).execute();
    await agentReply(ids.late.conversationId, 'reply-late');
    await t.hub.triage.engine.runStep(ids.late.escalationId, 1);
    expect((await stepsOf(ids.late.escalationId))[0]!.status).toBe('cancelled');
    // Run again (a redelivered job) and let the reply's job run: still one of each.
    await t.hub.triage.engine.runStep(ids.late.escalationId, 1);
    await waitFor(async () => (await stepsOf(ids.late.escalationId))[1]!.status === 'cancelled', 30_000, 'step 2 cancelled');
    expect(await t.hub.triage.engine.replied(ids.late.conversationId, (await db().selectFrom('messages').select('id').where('source_message_id', '=', 'reply-late').executeTakeFirstOrThrow()).id)).toBe(0);
    const events = await eventsOf(ids.late.escalationId);
    expect(events.filter((e) => e.kind === 'replied')).toHaveLength(1);
    expect(events.filter((e) => e.kind === 'step.cancelled').map((e) => e.detail['step']).sort()).toEqual([1, 2]);
  });

  it('at +16 min on-call is mailed about the incident and the ones not stopped by a reply — never about the answered chats', async () => {
    at(16);
    await t.hub.triage.tick();
    await waitFor(() => mailsAbout(/hacked/i).length === 1 && mailsAbout(/customer data/i).length === 1 && mailsAbout(/incident #/i).length === 1, 30_000, 'three on-call mails');
    at(31);
    await t.hub.triage.tick();
    await waitFor(() => mailsAbout(/incident #/i).length >= 1, 30_000, 'incident step 2');
    await new Promise((r) => setTimeout(r, 1500));
    expect(mailsAbout(/payroll/i)).toHaveLength(0);
    expect(mailsAbout(/invoice export/i)).toHaveLength(0);
    // Each mail says the level once.
    for (const mail of sink.mails) expect(mail.subject).not.toMatch(/Urgent\]\s+"?Urgent:/i);
    expect((await stepsOf(ids.payroll.escalationId)).map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    // The incident paged on at +31 although one of its customers had a reply.
    expect((await eventsOf(ids.outage.escalationId)).filter((e) => e.kind === 'step.ran')).toHaveLength(2);
  });
});
