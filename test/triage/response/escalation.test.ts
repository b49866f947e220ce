import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../../integrations/github/index.js';
import { helpscout } from '../../../integrations/helpscout/index.js';
import { pagerduty } from '../../../integrations/pagerduty/index.js';
import { slack } from '../../../integrations/slack/index.js';
import { loadConfig } from '../../../src/config.js';
import { startHub } from '../../../src/hub.js';
import { AcknowledgeLinks } from '../../../src/triage/escalation/links.js';
import { startFakeGitHub, type FakeGitHub } from '../../fakes/github/index.js';
import { startFakeHelpScout, type FakeHelpScout } from '../../fakes/helpscout/index.js';
import { startFakePagerDuty, type FakePagerDuty } from '../../fakes/pagerduty/index.js';
import { startFakeSlack, type FakeSlack } from '../../fakes/slack/index.js';
import { backends, createTestDatabase, testConfig, type TestDatabase } from '../../support/backends.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatMessage } from '../../support/inbound.js';
import { smtpSink } from '../../support/smtp-sink.js';

const LINK_SECRET = 'escalation-link-secret-0123456789';
const integrations = [helpscout, github, slack, pagerduty];

/**
 * Escalation end to end against the fakes, with the clock in the test's hand (issue 9 "must
 * show"): urgent chat → GitHub issue, once even though the first create's answer is lost → nothing
 * more during step 1 → on-call email and Slack at step 2, after a hub restart → acknowledged by
 * the signed link → step 3 (PagerDuty) never runs; the issue closed on GitHub → a note on the
 * helpdesk conversation.
 */
for (const backend of backends) {
  describe(`escalation policy end to end (${backend})`, () => {
    let database: TestDatabase;
    let t: TestHub;
    let hubUrl: string;
    let gh: FakeGitHub;
    let sl: FakeSlack;
    let pd: FakePagerDuty;
    let hs: FakeHelpScout;
    let sink: Awaited<ReturnType<typeof smtpSink>>;
    const chat = new RecordingChannel('chat');
    let now = new Date('2026-03-10T10:00:00Z');
    const clock = () => now;
    const advance = (minutes: number) => (now = new Date(now.getTime() + minutes * 60_000));
    let env: Record<string, string>;

    const start = async () => {
      t = await startTestHub(backend, { database, integrations, channels: [chat], clock, env });
      hubUrl = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
      hs.setWebhookTarget(`${hubUrl}/webhooks/helpscout`);
    };

    beforeAll(async () => {
      [gh, sl, pd, hs, sink] = await Promise.all([startFakeGitHub(), startFakeSlack(), startFakePagerDuty(), startFakeHelpScout(), smtpSink()]);
      database = await createTestDatabase(backend);
      env = {
        ...gh.env,
        ...hs.env,
        SLACK_WEBHOOK_URL: sl.webhookUrl,
        PAGERDUTY_ROUTING_KEY: pd.routingKey,
        PAGERDUTY_API_BASE: pd.url,
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
        ONCALL_EMAIL: 'oncall@acme.example',
        HUB_PUBLIC_URL: 'http://hub.test',
        ESCALATION_LINK_SECRET: LINK_SECRET,
        // Steps are driven by tick() below, after the clock moves.
        ESCALATION_TICK_SECONDS: '300',
      };
      await start();
    });
    afterAll(async () => {
      await t?.stop();
      await database?.drop();
      await Promise.all([gh?.close(), sl?.close(), pd?.close(), hs?.close(), sink?.close()]);
    });

    let conversationId: string;
    let escalationId: string;
    let issueNumber: number;

    it('urgent chat → one GitHub issue, even though the first create lost its answer', async () => {
      gh.dropNextResponse();
      const result = await t.hub.ingest(chatMessage({ id: 'hacked-1', user: 'mallory-victim', text: 'Someone hacked our account and changed the admin password, urgent' }));
      conversationId = result.conversation.id;
      const escalation = await waitFor(() => t.hub.store.db.selectFrom('escalations').selectAll().where('conversation_id', '=', conversationId).executeTakeFirst(), 30_000, 'escalation');
      escalationId = escalation.id;
      expect(escalation.level).toBe('urgent');
      expect(escalation.category).toBe('security');
      const target = await waitFor(
        () => t.hub.store.db.selectFrom('escalation_targets').selectAll().where('escalation_id', '=', escalationId).where('target', '=', 'github').where('state', '=', 'opened').executeTakeFirst(),
        60_000,
        'GitHub issue recorded',
      );
      expect(target.attempts).toBe(2);
      expect(gh.issuesByMarker(escalationId)).toHaveLength(1);
      const issue = gh.issueByMarker(escalationId)!;
      issueNumber = issue['number'] as number;
      expect(String(target.external_id)).toBe(String(issueNumber));
      expect(issue['body']).toContain('hacked');
      expect(issue['body']).toContain('http://hub.test/escalations/acknowledge?token=');
    });

    it('nothing more while step 1 is running (10 minutes, no acknowledgement)', async () => {
      advance(10);
      await t.hub.triage.tick();
      await new Promise((r) => setTimeout(r, 1500));
      expect(sl.messages).toHaveLength(0);
      expect(sink.mails.filter((m) => m.subject?.includes('[Urgent]'))).toHaveLength(0);
      expect(pd.alerts).toHaveLength(0);
    });

    it('after a restart, step 2 mails on-call and posts to Slack at 15 minutes', async () => {
      await t.hub.stop();
      await start();
      advance(6);
      await t.hub.triage.tick();
      const mail = await waitFor(() => sink.mails.find((m) => m.subject?.includes('[Urgent]')), 30_000, 'on-call mail');
      await waitFor(() => sl.messages.length === 1, 30_000, 'Slack message');
      expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('oncall@acme.example');
      expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
      expect(pd.alerts).toHaveLength(0);
    });

    it('acknowledged through the signed link (GET shows, POST acts, once)', async () => {
      const mail = sink.mails.find((m) => m.subject?.includes('[Urgent]'))!;
      const link = /http:\/\/hub\.test(\/escalations\/acknowledge\?token=\S+)/.exec(mail.text ?? '')![1]!;
      const page = await fetch(`${hubUrl}${link}`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Acknowledge this escalation?');
      // Viewing changed nothing (link scanners fetch every link in a mail).
      expect((await t.hub.store.db.selectFrom('escalations').select('status').where('id', '=', escalationId).executeTakeFirstOrThrow()).status).toBe('open');
      const token = decodeURIComponent(new URL(`http://x${link}`).searchParams.get('token')!);
      const post = await fetch(`${hubUrl}/escalations/acknowledge`, { method: 'POST', body: new URLSearchParams({ token }) });
      expect(post.status).toBe(200);
      expect(await post.text()).toContain('Acknowledged');
      expect((await t.hub.store.db.selectFrom('escalations').select('status').where('id', '=', escalationId).executeTakeFirstOrThrow()).status).toBe('acknowledged');
      const again = await fetch(`${hubUrl}/escalations/acknowledge`, { method: 'POST', body: new URLSearchParams({ token }) });
      expect(again.status).toBe(410);
    });

    it('step 3 (PagerDuty at 30 minutes) never runs', async () => {
      advance(20);
      await t.hub.triage.tick();
      await new Promise((r) => setTimeout(r, 1500));
      expect(pd.alerts).toHaveLength(0);
      const steps = await t.hub.store.db.selectFrom('escalation_steps').select(['step', 'status']).where('escalation_id', '=', escalationId).orderBy('step').execute();
      expect(steps.map((s) => s.status)).toEqual(['done', 'done', 'cancelled']);
    });

    it('the issue closed on GitHub resolves the escalation and leaves a note on the helpdesk conversation', async () => {
      const delivery = gh.closeIssue(issueNumber, 'octocat');
      const answer = await gh.sendWebhook(`${hubUrl}/webhooks/github`, delivery);
      expect(answer.status).toBe(200);
      expect((await t.hub.store.db.selectFrom('escalations').select('status').where('id', '=', escalationId).executeTakeFirstOrThrow()).status).toBe('resolved');
      const external = await waitFor(
        () => t.hub.store.db.selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', conversationId).where('external_id', 'is not', null).executeTakeFirst(),
        30_000,
        'conversation at Help Scout',
      );
      await waitFor(() => hs.conversation(external.external_id!)?.threads.some((th) => th.kind === 'note' && /resolved at github by octocat/i.test(th.text)), 30_000, 'note at Help Scout');
      // A redelivery of the same webhook acts once.
      const again = await gh.sendWebhook(`${hubUrl}/webhooks/github`, delivery);
      expect(again.status).toBe(200);
      const notes = hs.conversation(external.external_id!)!.threads.filter((th) => /resolved at github/i.test(th.text));
      expect(notes).toHaveLength(1);
    });

    it('bad input: a GitHub webhook with a bad signature → 401; forged or expired links → 403', async () => {
      const delivery = gh.reopenIssue(issueNumber, 'octocat');
      const altered = Buffer.from(delivery.rawBody);
      altered[10]! ^= 1;
      const res = await fetch(`${hubUrl}/webhooks/github`, { method: 'POST', headers: delivery.headers as Record<string, string>, body: altered });
      expect(res.status).toBe(401);
      const forged = new AcknowledgeLinks('http://hub.test', 'another-secret-0123456789abcdef', 60).token(escalationId, now);
      expect((await fetch(`${hubUrl}/escalations/acknowledge?token=${encodeURIComponent(forged)}`)).status).toBe(403);
      const expired = new AcknowledgeLinks('http://hub.test', LINK_SECRET, 5).token(escalationId, new Date(now.getTime() - 10 * 60_000));
      expect((await fetch(`${hubUrl}/escalations/acknowledge`, { method: 'POST', body: new URLSearchParams({ token: expired }) })).status).toBe(403);
      expect((await fetch(`${hubUrl}/escalations/acknowledge?token=garbage`)).status).toBe(403);
    });
  });
}

describe('escalation policy configuration', () => {
  const file = (yaml: string) => {
    const path = join(mkdtempSync(join(tmpdir(), 'hub-policy-')), 'hub.yaml');
    writeFileSync(path, yaml);
    return path;
  };

  it('a malformed policy is a start-up error naming the key', () => {
    const path = file('escalation:\n  policies:\n    - name: urgent\n      steps:\n        - after: soon\n          targets: [github]\n');
    expect(() => loadConfig([], { HUB_CONFIG: path })).toThrow(/escalation\.policies\.0\.steps\.0\.after.*must be a delay/);
    const unordered = file('escalation:\n  policies:\n    - name: urgent\n      steps:\n        - { after: 30m, targets: [email] }\n        - { after: 5m, targets: [email] }\n');
    expect(() => loadConfig([], { HUB_CONFIG: unordered })).toThrow(/escalation\.policies\.0\.steps\.1\.after.*in order/);
  });

  it('a policy naming a target this hub does not have is a start-up error naming the key', async () => {
    const database = await createTestDatabase('pglite');
    try {
      const path = file('escalation:\n  policies:\n    - name: urgent\n      steps:\n        - { after: 0, targets: [pagerduty] }\n');
      const loaded = testConfig(database, { HUB_CONFIG: path, HUB_DATA_DIR: database.dataDir });
      await expect(startHub(loaded, { integrations: [] })).rejects.toThrow(/escalation\.policies\.0\.steps\.0\.targets\.0: target "pagerduty" is not configured/);
    } finally {
      await database.drop();
    }
  });
});
