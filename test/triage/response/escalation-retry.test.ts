import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagerduty } from '../../../integrations/pagerduty/index.js';
import { slack } from '../../../integrations/slack/index.js';
import { deferralMs } from '../../../src/triage/escalation/retry.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../fakes/pagerduty/index.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/index.js';
import { createTestDatabase, type TestDatabase } from '../../support/backends.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';

/**
 * Issue 20, item 9: a vendor's Retry-After is honoured in full. VendorHttp reports a wait longer
 * than a call may hold its worker as `rate_limited` with `retryAfterMs`; the engine puts the step
 * back on its durable schedule at that time (the tick, on the injected clock, claims it then)
 * instead of pg-boss retrying it seconds later. PagerDuty's Events API advice (retry 429 / 5xx
 * 30 s apart, then back off for minutes) is applied the same way.
 */

describe('the wait a vendor asks for', () => {
  it('is a floor, never shortened; waits grow past the third attempt (PagerDuty: "3 times … 30 seconds apart", then "a few minutes")', () => {
    expect([1, 2, 3].map((attempts) => deferralMs(30_000, attempts))).toEqual([30_000, 30_000, 30_000]);
    expect([4, 5, 6].map((attempts) => deferralMs(30_000, attempts))).toEqual([60_000, 120_000, 240_000]);
    expect(deferralMs(30_000, 20)).toBe(15 * 60_000);
    expect(deferralMs(3_600_000, 5)).toBe(3_600_000);
    // No wait given: the job's own retry applies.
    expect(deferralMs(null, 1)).toBeNull();
  });
});

describe('escalation steps wait out the vendor', () => {
  let database: TestDatabase;
  let t: TestHub;
  let sl: FakeSlack;
  let pd: FakePagerDuty;
  // Near real time, so that pg-boss's start_after (database time) and the hub's clock agree.
  let now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const clock = () => now;
  const advance = (ms: number) => (now = new Date(now.getTime() + ms));

  const policyFile = () => {
    const path = join(mkdtempSync(join(tmpdir(), 'hub-retry-policy-')), 'hub.yaml');
    writeFileSync(
      path,
      [
        'escalation:',
        '  policies:',
        '    - name: urgent',
        '      match: { levels: [urgent] }',
        '      steps:',
        '        - { after: 0, targets: [slack, pagerduty] }',
        '',
      ].join('\n'),
    );
    return path;
  };

  beforeAll(async () => {
    [sl, pd] = await Promise.all([startFakeSlack({ rateLimit: null }), startFakePagerDuty({ rateLimitPerMinute: null })]);
    database = await createTestDatabase('pglite');
    t = await startTestHub('pglite', {
      database,
      integrations: [slack, pagerduty],
      channels: [new RecordingChannel('chat')],
      clock,
      env: {
        HUB_CONFIG: policyFile(),
        SLACK_WEBHOOK_URL: sl.webhookUrl,
        PAGERDUTY_ROUTING_KEY: pd.routingKey,
        PAGERDUTY_API_BASE: pd.url,
        HUB_PUBLIC_URL: 'http://hub.test',
        // Steps are driven by tick() below, after the clock moves.
        ESCALATION_TICK_SECONDS: '300',
      },
    });
  });
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
    await Promise.all([sl?.close(), pd?.close()]);
  });

  const db = () => t.hub.store.db;
  const stepOf = (escalationId: string) => db().selectFrom('escalation_steps').selectAll().where('escalation_id', '=', escalationId).where('step', '=', 1).executeTakeFirstOrThrow();
  const escalationFor = async (id: string, text: string) => {
    const { conversation } = await t.hub.ingest(chatMessage({ id, user: id, text }));
    const escalation = await waitFor(() => db().selectFrom('escalations').selectAll().where('conversation_id', '=', conversation.id).executeTakeFirst(), 30_000, 'escalation');
    return escalation.id;
  };
  const deferred = (escalationId: string, target: string, attempts: number) =>
    waitFor(
      async () => {
        const step = await stepOf(escalationId);
        const row = await db().selectFrom('escalation_targets').selectAll().where('escalation_id', '=', escalationId).where('target', '=', target).executeTakeFirst();
        return step.status === 'scheduled' && row?.attempts === attempts ? step : null;
      },
      30_000,
      `step deferred after attempt ${attempts}`,
    );

  it('a Slack 429 with Retry-After: 30 → the next attempt is not before 30 s', async () => {
    sl.failNext(429, { retryAfterSeconds: 30 });
    const started = now.getTime();
    const escalationId = await escalationFor('slack-limited', 'Someone hacked our account and changed the admin password, urgent');
    const step = await deferred(escalationId, 'slack', 1);
    expect(new Date(step.due_at).getTime()).toBeGreaterThanOrEqual(started + 30_000);
    expect(sl.requests.map((r) => r.status)).toEqual([429]);
    // The step's other target was told at once, and is not told again.
    expect(pd.alertsFor(escalationId)).toHaveLength(1);

    // Real time passes (pg-boss's own retry would have come after ~5 s) and the clock reaches 29 s: nothing.
    await new Promise((r) => setTimeout(r, 1500));
    advance(29_000);
    expect(await t.hub.triage.engine.tick()).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sl.requests).toHaveLength(1);

    // At 30 s (plus the jitter VendorHttp adds) the tick claims it and the message is posted.
    advance(1_500);
    expect(await t.hub.triage.engine.tick()).toBe(1);
    await waitFor(() => sl.messages.length === 1, 30_000, 'Slack message');
    await waitFor(async () => (await stepOf(escalationId)).status === 'done', 30_000, 'step done');
    const events = await db().selectFrom('escalation_events').select(['kind', 'detail']).where('escalation_id', '=', escalationId).orderBy('at').execute();
    expect(events.map((e) => e.kind)).toEqual(['opened', 'target.opened', 'step.deferred', 'target.opened', 'step.ran']);
    expect(pd.alertsFor(escalationId)[0]!.log).toEqual(['trigger']);
  });

  it('PagerDuty 429 and 5xx are retried 30 s apart (its documented advice), never sooner', async () => {
    pd.failNext(429);
    const started = now.getTime();
    const sent = pd.requests.length;
    const escalationId = await escalationFor('pd-limited', 'Someone hacked our account, all admin passwords changed, urgent');
    const first = await deferred(escalationId, 'pagerduty', 1);
    expect(new Date(first.due_at).getTime() - started).toBe(30_000);
    expect(pd.requests.slice(sent).map((r) => r.status)).toEqual([429]);

    pd.failNext(503);
    advance(30_000);
    expect(await t.hub.triage.engine.tick()).toBe(1);
    const second = await deferred(escalationId, 'pagerduty', 2);
    expect(new Date(second.due_at).getTime() - now.getTime()).toBe(30_000);

    advance(29_000);
    expect(await t.hub.triage.engine.tick()).toBe(0);
    advance(1_000);
    expect(await t.hub.triage.engine.tick()).toBe(1);
    await waitFor(() => pd.alertsFor(escalationId).length === 1, 30_000, 'PagerDuty alert');
    expect(pd.requests.slice(sent).map((r) => r.status)).toEqual([429, 503, 202]);
  });

  it('acknowledging while a step waits out a vendor cancels it', async () => {
    sl.failNext(429, { retryAfterSeconds: 120 });
    const escalationId = await escalationFor('slack-acked', 'Someone hacked our account, they changed the admin password, urgent');
    await deferred(escalationId, 'slack', 1);
    expect(await t.hub.triage.engine.acknowledge(escalationId, 'Ravi', 'dashboard')).toBe(true);
    expect((await stepOf(escalationId)).status).toBe('cancelled');
    advance(121_000);
    await t.hub.triage.engine.tick();
    await new Promise((r) => setTimeout(r, 1000));
    expect(sl.messages.filter((m) => m.mrkdwn.some((text) => text.includes(escalationId)))).toHaveLength(0);
  });

  it('a follow-up refused with Retry-After is re-queued to start after it (the job’s start_after), telling only the targets still waiting', async () => {
    const escalationId = await escalationFor('slack-notify', 'Someone hacked our account and changed the admin password again, urgent');
    await waitFor(async () => (await stepOf(escalationId)).status === 'done', 30_000, 'step done');
    sl.failNext(429, { retryAfterSeconds: 45 });
    const before = sl.requests.length;
    const acknowledgedAt = now.getTime();
    expect(await t.hub.triage.engine.acknowledge(escalationId, 'Ravi', 'dashboard')).toBe(true);
    const deferral = await waitFor(
      () => db().selectFrom('escalation_events').select('detail').where('escalation_id', '=', escalationId).where('kind', '=', 'notify.deferred').executeTakeFirst(),
      30_000,
      'notify deferred',
    );
    expect(Date.parse(String(deferral.detail['until']))).toBeGreaterThanOrEqual(acknowledgedAt + 45_000);
    const waiting = await sql<{ start_after: Date }>`
      SELECT start_after FROM pgboss.job WHERE name = 'escalation.notify' AND state = 'created' AND data->>'escalationId' = ${escalationId}`.execute(db());
    expect(waiting.rows).toHaveLength(1);
    expect(new Date(waiting.rows[0]!.start_after).getTime()).toBeGreaterThanOrEqual(acknowledgedAt + 45_000);
    // Not retried meanwhile by the job's own backoff.
    await new Promise((r) => setTimeout(r, 1500));
    expect(sl.requests.length).toBe(before + 1);
  });
});
