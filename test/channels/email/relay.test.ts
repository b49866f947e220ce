import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { signHubPayload } from '../../../src/http/hub-signature.js';
import { fakePostmark, inboundPayload } from '../../fakes/postmark/index.js';
import { defaultPayloadFields, fakeSendGrid, officialFields, policyKeyPair, rawPayloadFields } from '../../fakes/sendgrid/index.js';
import { MAILBOX, RELAY_SECRET, messageCount, plainMail, startRelayHub, storedMail, storedMails, type RelayHub } from './relay-helpers.js';

const OFFICIAL = fileURLToPath(new URL('../../../../shared/data/vendor/official/email-relays/', import.meta.url));
const official = (path: string) => JSON.parse(readFileSync(OFFICIAL + path, 'utf8')) as Record<string, unknown>;

const policy = policyKeyPair();

describe('inbound mail relayed over HTTP', () => {
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub({ SENDGRID_PARSE_PUBLIC_KEY: policy.publicKey });
  });
  afterAll(() => relay?.t.stop());

  describe('raw MIME signed with X-Hub-Signature', () => {
    const server = () => relay.t.hub.server()!;

    it('is stored once however often it is relayed', async () => {
      const body = plainMail('<relay-1@example.com>');
      const send = () => request(server()).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(body);
      const first = await send();
      expect(first.status).toBe(200);
      expect(first.body.status).toBe('stored');
      expect((await send()).body.status).toBe('duplicate');
      expect(await storedMails(relay.t, '<relay-1@example.com>')).toHaveLength(1);
    });

    it('refuses a missing, wrong or stale signature, or a body changed by one byte, and stores nothing', async () => {
      const body = plainMail('<relay-forged@example.com>');
      const changed = Buffer.from(body);
      changed[changed.length - 3] = 0x21;
      const post = () => request(server()).post('/inbound/email/raw').set('Content-Type', 'message/rfc822');
      const cases = [
        await post().send(body),
        await post().set('X-Hub-Signature', signHubPayload('another-secret-0123456789', body)).send(body),
        await post().set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body, new Date(Date.now() - 600_000))).send(body),
        await post().set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(changed),
      ];
      expect(cases.map((c) => c.status)).toEqual([401, 401, 401, 401]);
      expect(await storedMails(relay.t, '<relay-forged@example.com>')).toHaveLength(0);
    });

    it('answers 422 for a mail the pipeline refuses', async () => {
      const body = Buffer.from('not a mail at all');
      const res = await request(server()).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(body);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('mail_rejected');
    });
  });

  describe('Postmark inbound JSON, basic auth in the webhook URL', () => {
    const url = () => `${relay.baseWithAuth}/inbound/email/postmark`;

    it('stores the mail with its threading headers; without the URL credentials Postmark keeps retrying (401) and nothing is stored', async () => {
      const postmark = fakePostmark();
      const raw = plainMail('<pm-1@example.com>', {
        from: 'Paula Postmark <paula@example.com>',
        subject: 'Via Postmark',
        text: 'Hello from Postmark.\r\n\r\nOn Mon, Jan 5, 2026 at 9:00 AM Support <support@acme.example> wrote:\r\n> old text',
        extra: ['References: <pm-root@example.com>'],
      });
      const payload = await inboundPayload(raw, { recipient: MAILBOX });
      const refused = await postmark.post(`${relay.base}/inbound/email/postmark`, payload);
      expect(refused.outcome).toBe('gave_up');
      expect(refused.attempts.map((a) => a.status)).toEqual(Array(11).fill(401));
      expect(await storedMails(relay.t, '<pm-1@example.com>')).toHaveLength(0);

      const accepted = await postmark.post(url(), payload);
      expect(accepted).toMatchObject({ outcome: 'accepted', status: 200 });
      const mail = await storedMail(relay.t, '<pm-1@example.com>');
      expect(mail.text).toBe('Hello from Postmark.');
      expect(mail.metadata).toMatchObject({ references: ['<pm-root@example.com>'] });
      const conversation = await relay.t.hub.store.db.selectFrom('conversations').selectAll().where('id', '=', mail.conversationId).executeTakeFirstOrThrow();
      expect(conversation.thread_key).toBe('<pm-root@example.com>');
    });

    it('keeps Reply-To, which Postmark sends only as the top-level ReplyTo: a contact form sending as our own address is the customer behind Reply-To', async () => {
      const raw = plainMail('<pm-form@acme.example>', {
        from: `Acme Website <${MAILBOX}>`,
        subject: 'Contact form',
        text: 'Please call me back about my order.',
        extra: ['Reply-To: Carla Customer <carla@example.com>'],
      });
      const payload = await inboundPayload(raw, { recipient: MAILBOX });
      expect(payload.ReplyTo).toBe('"Carla Customer" <carla@example.com>');
      expect(payload.Headers.map((h) => h.Name.toLowerCase())).not.toContain('reply-to');
      expect((await fakePostmark().post(url(), payload)).outcome).toBe('accepted');
      const mail = await storedMail(relay.t, '<pm-form@acme.example>');
      expect(mail.contactEmail).toBe('carla@example.com');
      expect(mail.contactName).toBe('Carla Customer');
      expect(mail.kept?.replyTo).toEqual([{ address: 'carla@example.com', name: 'Carla Customer' }]);
    });

    it("takes the dashboard's Check payload (attachments under Data, ReplyTo top-level)", async () => {
      const check = official('postmark/postmark-inbound-check-payload.json');
      const before = await messageCount(relay.t);
      expect((await fakePostmark().post(url(), check)).outcome).toBe('accepted');
      expect(await messageCount(relay.t)).toBe(before + 1);
      const row = await relay.t.hub.store.db.selectFrom('messages').select('source_message_id').orderBy('position', 'desc').limit(1).executeTakeFirstOrThrow();
      const mail = await storedMail(relay.t, row.source_message_id);
      expect(mail.kept?.replyTo).toEqual([{ address: 'replyto@example.com', name: '' }]);
      expect(mail.attachments.map((a) => [a.filename, a.content.toString('utf8')])).toEqual([['test.txt', 'This is attachment contents, base-64 encoded.']]);
    });

    it('answers 400 to a payload that is not Postmark inbound JSON', async () => {
      const postmark = fakePostmark();
      const result = await postmark.post(url(), { Subject: 'no sender' });
      expect(result.attempts[0]!.status).toBe(400);
    });
  });

  describe('SendGrid Inbound Parse with a signature security policy', () => {
    const url = () => `${relay.base}/inbound/email/sendgrid`;

    it('stores the default (parsed) payload, attachments and threading included', async () => {
      const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
      const raw = Buffer.from(
        [
          'From: Sam Sender <sam@example.com>',
          `To: ${MAILBOX}`,
          'Subject: Parsed by SendGrid',
          'Message-ID: <sg-parsed@example.com>',
          'In-Reply-To: <sg-root@example.com>',
          'References: <sg-root@example.com>',
          'MIME-Version: 1.0',
          'Content-Type: multipart/mixed; boundary="outer"',
          '',
          '--outer',
          'Content-Type: text/plain; charset=utf-8',
          '',
          'The report is attached.',
          '--outer',
          'Content-Type: application/pdf; name="report.pdf"',
          'Content-Disposition: attachment; filename="report.pdf"',
          'Content-Transfer-Encoding: base64',
          '',
          Buffer.from('%PDF-1.4 fake').toString('base64'),
          '--outer--',
          '',
        ].join('\r\n'),
      );
      const result = await sendgrid.post(url(), await defaultPayloadFields({ raw, recipient: MAILBOX }));
      expect(result).toMatchObject({ outcome: 'accepted', status: 200 });
      const mail = await storedMail(relay.t, '<sg-parsed@example.com>');
      expect(mail).toMatchObject({ text: 'The report is attached.', subject: 'Parsed by SendGrid', contactEmail: 'sam@example.com', contactName: 'Sam Sender' });
      expect(mail.metadata).toMatchObject({ inReplyTo: '<sg-root@example.com>', references: ['<sg-root@example.com>'] });
      expect(mail.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([['report.pdf', 'application/pdf', '%PDF-1.4 fake']]);
    });

    it('stores the "Send Raw" payload byte for byte', async () => {
      const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
      const result = await sendgrid.post(url(), await rawPayloadFields({ raw: plainMail('<sg-raw@example.com>'), recipient: MAILBOX }));
      expect(result.outcome).toBe('accepted');
      expect((await storedMail(relay.t, '<sg-raw@example.com>')).text).toBe('Hello through the relay.');
    });

    it('refuses an unsigned, forged, tampered or stale request, and stores nothing (SendGrid drops a 4xx without retrying)', async () => {
      const fields = await rawPayloadFields({ raw: plainMail('<sg-forged@example.com>'), recipient: MAILBOX });
      const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
      const results = [
        await sendgrid.post(url(), fields, { signWith: null }),
        await sendgrid.post(url(), fields, { signWith: policyKeyPair().privateKey }),
        await sendgrid.post(url(), fields, { tamper: (body) => Buffer.from(body.toString('latin1').replace('Hello', 'Jello'), 'latin1') }),
        await sendgrid.post(url(), fields, { timestamp: String(Math.floor(Date.now() / 1000) - 80 * 3600) }),
      ];
      expect(results.map((r) => [r.outcome, r.attempts.length, r.status])).toEqual([
        ['rejected', 1, 401],
        ['rejected', 1, 403],
        ['rejected', 1, 403],
        ['rejected', 1, 403],
      ]);
      expect(await storedMails(relay.t, '<sg-forged@example.com>')).toHaveLength(0);
    });

    it('accepts a retry that repeats a signature from hours ago (SendGrid retries 5xx for 72 hours)', async () => {
      const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
      const fields = await rawPayloadFields({ raw: plainMail('<sg-retry@example.com>'), recipient: MAILBOX });
      const result = await sendgrid.post(url(), fields, { timestamp: String(Math.floor(Date.now() / 1000) - 5 * 3600) });
      expect(result.outcome).toBe('accepted');
    });

    it('answers a mail the pipeline refuses with 200 "rejected" (anything else would be retried or dropped unseen)', async () => {
      const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
      const fields = (await rawPayloadFields({ raw: plainMail('<sg-garbage@example.com>'), recipient: MAILBOX })).map((f) => (f.name === 'email' ? { ...f, value: 'not a mail at all' } : f));
      const result = await sendgrid.post(url(), fields);
      expect(result).toMatchObject({ outcome: 'accepted', status: 200, json: { status: 'rejected' } });
    });

    it("takes the docs' default example, whose attachment files a $_POST dump does not show", async () => {
      const example = official('sendgrid/sendgrid-inbound-parse-default.fields.json') as Record<string, string>;
      const result = await fakeSendGrid({ privateKey: policy.privateKey }).post(url(), officialFields(example, { attachment1: Buffer.from('jpeg bytes'), attachment2: Buffer.from('docx bytes') }));
      expect(result.outcome).toBe('accepted');
      const mail = await storedMail(relay.t, '<CAN_P_JMvV7ZpAQhOnDienypLrJmuhN=LQWweu4yScw4jQyXY2w@mail.gmail.com>');
      expect(mail).toMatchObject({ text: "Here's an email with multiple attachments", contactEmail: 'example@example.com', contactName: 'Sender Name', subject: 'Different File Types' });
      expect(mail.attachments.map((a) => a.filename).sort()).toEqual(['DockMcWordface.docx', 'MG_2359.jpg']);
    });
  });
});

describe('SendGrid Inbound Parse with basic auth in the URL (no security policy configured)', () => {
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub();
  });
  afterAll(() => relay?.t.stop());

  it('stores the mail with the credentials and refuses it without them', async () => {
    const sendgrid = fakeSendGrid();
    const fields = await rawPayloadFields({ raw: plainMail('<sg-basic@example.com>'), recipient: MAILBOX });
    const refused = await sendgrid.post(`${relay.base}/inbound/email/sendgrid`, fields);
    expect([refused.outcome, refused.status]).toEqual(['rejected', 401]);
    expect(await storedMails(relay.t, '<sg-basic@example.com>')).toHaveLength(0);
    const accepted = await sendgrid.post(`${relay.baseWithAuth}/inbound/email/sendgrid`, fields);
    expect(accepted.outcome).toBe('accepted');
    expect(await storedMails(relay.t, '<sg-basic@example.com>')).toHaveLength(1);
  });
});
