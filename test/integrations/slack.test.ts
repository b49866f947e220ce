import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { VendorError } from '../../src/vendors/error.js';
import { createSlackEscalation, slack, slackConfigSchema } from '../../integrations/slack/index.js';
import type { SlackEscalation } from '../../integrations/slack/escalation.js';
import { describeEscalationContract, escalationRequest } from '../contract/escalation.js';
import { targetContext, vendorFailure } from '../support/escalation-target.js';
import { startSlackEscalationFake, type SlackEscalationFake } from '../fakes/slack/index.js';

describeEscalationContract('Slack', { integration: slack, startFake: () => startSlackEscalationFake() });

describe('Slack escalations', () => {
  let fake: SlackEscalationFake;
  let target: SlackEscalation;
  let clock = Date.now();

  beforeAll(async () => {
    fake = await startSlackEscalationFake({ rateLimit: null });
  });
  afterAll(() => fake.close());
  // A fresh target per test: it remembers the last refusal.
  beforeEach(() => {
    fake.slack.restore();
    fake.slack.rateLimit = null;
    clock = Date.now();
    target = createSlackEscalation(slackConfigSchema.parse(fake.config), targetContext, { now: () => clock });
  });

  const textOf = (escalationId: string) => fake.messagesFor(escalationId)[0]!.message.mrkdwn.join('\n');

  it('customer text cannot ping anyone: <!channel>, <@U…> and links in it arrive escaped', async () => {
    const request = escalationRequest({
      title: 'Urgent: "<!here> site down"',
      summary: 'Jane wrote: <!channel> please look, and tell <@U0123456> & <https://evil.example|your bank>',
      evidence: [{ phrase: '<!everyone>', category: 'outage' }],
      recipients: [{ name: 'Ravi <Ops>', slack: 'U024BE7LH' }],
    });
    await target.open(request);
    const [posted] = fake.messagesFor(request.escalationId);
    expect(posted!.message.mentions).toEqual(['U024BE7LH']);
    const text = textOf(request.escalationId);
    expect(text).toContain('Jane wrote: &lt;!channel&gt; please look, and tell &lt;@U0123456&gt; &amp; &lt;https://evil.example|your bank&gt;');
    expect(text).toContain('&lt;!here&gt;');
    expect(text).toContain('&lt;!everyone&gt;');
    expect(text).not.toMatch(/<!(channel|here|everyone)>|<@U0123456>|<https:\/\/evil/);
  });

  it('on-call member ids are mentioned; @handles and names are plain text (webhooks cannot resolve handles)', async () => {
    const request = escalationRequest({
      recipients: [
        { name: 'Ravi Ops', slack: 'U024BE7LH' },
        { name: 'Mia Chen', slack: '@mia' },
        { name: 'Noor Haddad', email: 'noor@acme.example' },
      ],
    });
    await target.open(request);
    expect(fake.messagesFor(request.escalationId)[0]!.message.mentions).toEqual(['U024BE7LH']);
    expect(textOf(request.escalationId)).toContain('*On call:* <@U024BE7LH>, @mia (Mia Chen), Noor Haddad');
  });

  it('the alert shows level, category, conversations, evidence, and links back and to acknowledge', async () => {
    const request = escalationRequest({
      level: 'high',
      conversations: 3,
      acknowledgeUrl: 'https://hub.example/escalations/acknowledge?token=abc&step=2',
    });
    await target.open(request);
    const { payload } = fake.messagesFor(request.escalationId)[0]!.message;
    expect(payload.blocks?.[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: `:warning: ${request.title}`, emoji: true } });
    expect(payload.text).toBe(`High escalation: ${request.title}`);
    const text = textOf(request.escalationId);
    expect(text).toContain('*Level:* High   *Category:* outage   *Conversations:* 3');
    expect(text).toContain('*Evidence:* “site is down” (outage)');
    expect(text).toContain('<https://hub.example/dashboard/escalations/1|Open in Support Hub>');
    expect(text).toContain('<https://hub.example/escalations/acknowledge?token=abc&amp;step=2|Acknowledge>');
    expect(text).toContain(`Support Hub escalation ${request.escalationId} · opened`);
  });

  it('long customer text is shortened to Slack’s block limits instead of the post being refused', async () => {
    const request = escalationRequest({ title: 'x'.repeat(400), summary: '<'.repeat(5000) });
    await target.open(request);
    const { payload } = fake.messagesFor(request.escalationId)[0]!.message;
    const summary = (payload.blocks![2] as { text: { text: string } }).text.text;
    expect(summary.length).toBeLessThanOrEqual(3000);
    expect(summary).toMatch(/^(&lt;)+…$/);
    expect((payload.blocks![0] as { text: { text: string } }).text.text).toHaveLength(150);
  });

  it('follow-ups say who acknowledged or resolved it (and how), each naming the escalation', async () => {
    const request = escalationRequest();
    const receipt = await target.open(request);
    expect(receipt).toEqual({ externalId: request.escalationId, url: null });
    await target.update(receipt, { kind: 'acknowledged', by: 'Ravi Ops' });
    await target.update(receipt, { kind: 'comment', text: 'Looking at the <!channel> load balancer' });
    await target.update(receipt, { kind: 'resolved', by: null, text: 'Fixed: restarted.' });
    await target.update(receipt, { kind: 'resolved', by: 'Ravi Ops', text: 'Resolved by Ravi Ops.' });
    const followUps = fake.messagesFor(request.escalationId).slice(1);
    expect(followUps.map((m) => m.kind)).toEqual(['acknowledged', 'comment', 'resolved', 'resolved']);
    expect(followUps.map((m) => m.message.mrkdwn[0])).toEqual([
      ':eyes: Acknowledged by Ravi Ops',
      ':speech_balloon: Looking at the &lt;!channel&gt; load balancer',
      ':white_check_mark: Resolved: Fixed: restarted.',
      // The engine's default text is not repeated.
      ':white_check_mark: Resolved by Ravi Ops',
    ]);
    expect(followUps.every((m) => m.message.mentions.length === 0)).toBe(true);
  });

  it('a 429 is waited out once (Retry-After) and the message is posted', async () => {
    fake.slack.rateLimit = { perSecond: 1, burst: 1 };
    const first = escalationRequest();
    const second = escalationRequest();
    await target.open(first);
    const before = fake.slack.requests.length;
    const started = Date.now();
    await target.open(second);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(fake.slack.requests.slice(before).map((r) => r.status)).toEqual([429, 200]);
    expect(fake.opened(second.escalationId)).toBe(1);
  });

  it('a long Retry-After goes back to the engine as rate_limited, without holding the call', async () => {
    fake.slack.failNext(429, { retryAfterSeconds: 30 });
    const started = Date.now();
    const error = await vendorFailure(target.open(escalationRequest()));
    expect(error.kind).toBe('rate_limited');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a malformed message (400 invalid_payload) is "rejected": retrying the same post will not help', async () => {
    fake.slack.failNext(400);
    const error = await vendorFailure(target.open(escalationRequest()));
    expect(error.kind).toBe('rejected');
    expect(error.message).toContain('invalid_payload');
  });

  it('an archived channel (410) and a revoked token (403) need a person: "auth", and checkConnection says what to do', async () => {
    fake.slack.archiveChannel();
    const archived = await vendorFailure(target.open(escalationRequest()));
    expect(archived.kind).toBe('auth');
    expect(archived.message).toContain('channel_is_archived');
    const check = await target.checkConnection();
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('archived') });
    expect(check.hint).toContain('SLACK_WEBHOOK_URL');

    fake.slack.restore();
    fake.slack.failNext(403);
    expect((await vendorFailure(target.open(escalationRequest()))).kind).toBe('auth');

    // A post that works again clears it.
    await target.open(escalationRequest());
    expect((await target.checkConnection()).ok).toBe(true);
  });

  it('a remembered refusal is reported for 15 minutes, then no longer claimed (a fix in Slack cannot be seen without posting)', async () => {
    fake.slack.revoke();
    await vendorFailure(target.open(escalationRequest()));
    expect((await target.checkConnection()).ok).toBe(false);
    clock += 14 * 60_000;
    expect((await target.checkConnection()).ok).toBe(false);
    clock += 2 * 60_000;
    expect(await target.checkConnection()).toEqual({ ok: true, detail: 'configured (Slack incoming webhooks cannot be checked without posting)' });
  });

  it('a redirect is not followed (as Slack’s own client refuses them): the message goes nowhere else', async () => {
    const elsewhere: string[] = [];
    const other = createServer((req, res) => {
      elsewhere.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const redirecting = createServer((_req, res) => {
      res.writeHead(307, { location: `http://127.0.0.1:${(other.address() as AddressInfo).port}/collect` });
      res.end();
    });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/services/T1/B1/secret`;
      const redirected = createSlackEscalation(slackConfigSchema.parse({ webhookUrl: url }), targetContext);
      const error = await vendorFailure(redirected.open(escalationRequest()));
      expect(error.kind).toBe('unavailable');
      expect(elsewhere).toEqual([]);
    } finally {
      await Promise.all([new Promise((r) => redirecting.close(r)), new Promise((r) => other.close(r))]);
    }
  });

  it('checkConnection posts nothing', async () => {
    const before = fake.slack.requests.length;
    await target.checkConnection();
    expect(fake.slack.requests.length).toBe(before);
  });

  it('no error shows the webhook URL or its secret token (5xx, lost answer, refusals)', async () => {
    const errors: VendorError[] = [];
    fake.slack.failNext(500);
    errors.push(await vendorFailure(target.open(escalationRequest())));
    fake.slack.dropNextResponse();
    errors.push(await vendorFailure(target.open(escalationRequest())));
    fake.slack.revoke();
    errors.push(await vendorFailure(target.open(escalationRequest())));
    expect(errors.map((e) => [e.kind, e.outcomeUnknown])).toEqual([
      ['unavailable', true],
      ['unavailable', true],
      ['auth', false],
    ]);
    for (const error of errors) {
      for (const secret of fake.secrets) expect(`${error.message} ${String(error.cause ?? '')}`).not.toContain(secret);
      expect(error.message).toContain('/incoming-webhook');
    }
  });

  it('the fake accepts the legacy payload= form body and refuses a message without text or blocks', async () => {
    const form = await fetch(fake.slack.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ payload: JSON.stringify({ text: 'from a form' }) }).toString(),
    });
    expect([form.status, await form.text()]).toEqual([200, 'ok']);
    const empty = await fetch(fake.slack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect([empty.status, await empty.text()]).toEqual([400, 'no_text']);
    const broken = await fetch(fake.slack.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":' });
    expect([broken.status, await broken.text()]).toEqual([400, 'invalid_payload']);
  });
});

describe('Slack config', () => {
  const parse = (webhookUrl: string) => slackConfigSchema.safeParse({ webhookUrl });

  it('takes an https incoming webhook URL, and http only on loopback (tests)', () => {
    expect(parse('https://hooks.slack.com/services/T024BE7LD/B024BE7LH/abcDEF123').success).toBe(true);
    expect(parse('http://127.0.0.1:4000/services/T1/B1/abc').success).toBe(true);
    expect(parse('http://hooks.slack.com/services/T024BE7LD/B024BE7LH/abcDEF123').success).toBe(false);
    // Workflow webhooks take a different payload.
    expect(parse('https://hooks.slack.com/workflows/T024BE7LD/A0/123/abc').success).toBe(false);
    expect(parse('not a url').success).toBe(false);
  });

  it('a refused URL is not echoed in the error (it is the secret)', () => {
    const result = parse('http://hooks.slack.com/services/T024BE7LD/B024BE7LH/sekritToken');
    expect(JSON.stringify(result.error?.issues)).not.toContain('sekritToken');
  });

  it('SLACK_WEBHOOK_URL switches the escalation target on', () => {
    expect(slack.env).toEqual([expect.objectContaining({ env: 'SLACK_WEBHOOK_URL', key: 'webhookUrl' })]);
    expect(slack.capabilities.escalation?.requires).toEqual(['webhookUrl']);
  });
});
