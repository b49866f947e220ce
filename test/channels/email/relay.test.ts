import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Server } from 'node:http';
import { createHmac } from 'node:crypto';
import { signHubPayload } from '../../../src/http/hub-signature.js';
import { startTestHub, type TestHub } from '../../support/hub.js';

const RELAY_SECRET = 'relay-secret-0123456789abcdef';
const BASIC = 'postmark:relay-password-0123';
const MAILGUN_KEY = 'key-mailgun-signing-0123456789';
const mailgunSignature = (timestamp: string, token: string, key = MAILGUN_KEY) => createHmac('sha256', key).update(timestamp + token).digest('hex');

const rawMail = (messageId: string, extra = '') =>
  Buffer.from(
    `From: Rita Relay <rita@example.com>\r\nTo: support@acme.example\r\nSubject: Relayed\r\nMessage-ID: ${messageId}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\n\r\nHello through the relay.\r\n`,
  );

describe('inbound mail relayed over HTTP', () => {
  let t: TestHub;
  let server: Server;
  beforeAll(async () => {
    t = await startTestHub('pglite', {
      env: {
        MAIL_INBOUND_ADDRESS: 'support@acme.example',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        MAIL_RELAY_SECRET: RELAY_SECRET,
        MAIL_RELAY_BASIC_AUTH: BASIC,
        MAILGUN_SIGNING_KEY: MAILGUN_KEY,
        SMTP_PORT: '0',
        SMTP_HOST: '127.0.0.1',
      },
    });
    await t.hub.listen(0, '127.0.0.1');
    server = t.hub.server()!;
  });
  afterAll(() => t?.stop());

  const stored = (messageId: string) => t.hub.store.db.selectFrom('messages').selectAll().where('source_message_id', '=', messageId).execute();

  it('accepts raw MIME signed with X-Hub-Signature, once however often it is relayed', async () => {
    const body = rawMail('<relay-1@example.com>');
    const send = () => request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(body);
    const first = await send();
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('stored');
    expect((await send()).body.status).toBe('duplicate');
    expect(await stored('<relay-1@example.com>')).toHaveLength(1);
  });

  it('refuses a missing, wrong or stale signature, or a body changed by one byte, and stores nothing', async () => {
    const body = rawMail('<relay-forged@example.com>');
    const changed = Buffer.from(body);
    changed[changed.length - 3] = 0x21;
    const cases = [
      await request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').send(body),
      await request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload('another-secret-0123456789', body)).send(body),
      await request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body, new Date(Date.now() - 600_000))).send(body),
      await request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(changed),
    ];
    expect(cases.map((c) => c.status)).toEqual([401, 401, 401, 401]);
    expect(await stored('<relay-forged@example.com>')).toHaveLength(0);
  });

  it('accepts Postmark inbound JSON with basic auth, keeping the threading headers', async () => {
    const payload = {
      FromFull: { Email: 'paula@example.com', Name: 'Paula Postmark' },
      ToFull: [{ Email: 'support@acme.example', Name: '' }],
      Subject: 'Via Postmark',
      TextBody: 'Hello from Postmark.\n\nOn Mon, Jan 5, 2026 at 9:00 AM Support <support@acme.example> wrote:\n> old text',
      Headers: [
        { Name: 'Message-ID', Value: '<pm-1@example.com>' },
        { Name: 'References', Value: '<pm-root@example.com>' },
      ],
      Attachments: [{ Name: 'note.txt', Content: Buffer.from('hi').toString('base64'), ContentType: 'text/plain' }],
    };
    const auth = `Basic ${Buffer.from(BASIC).toString('base64')}`;
    expect((await request(server).post('/inbound/email/postmark').send(payload)).status).toBe(401);
    const ok = await request(server).post('/inbound/email/postmark').set('Authorization', auth).send(payload);
    expect(ok.status).toBe(200);
    const [message] = await stored('<pm-1@example.com>');
    expect(message!.text).toBe('Hello from Postmark.');
    expect(message!.metadata).toMatchObject({ references: ['<pm-root@example.com>'] });
    const conversation = await t.hub.store.db.selectFrom('conversations').selectAll().where('id', '=', message!.conversation_id).executeTakeFirstOrThrow();
    expect(conversation.thread_key).toBe('<pm-root@example.com>');
    const malformed = await request(server).post('/inbound/email/postmark').set('Authorization', auth).set('Content-Type', 'application/json').send('{"FromFull":');
    expect(malformed.status).toBe(400);
    const wrongShape = await request(server).post('/inbound/email/postmark').set('Authorization', auth).send({ Subject: 'no sender' });
    expect(wrongShape.status).toBe(400);
  });

  it('accepts a Mailgun MIME route with a valid signature, once per token', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const token = 'a'.repeat(50);
    const post = (sig: string, ts = timestamp, tok = token) =>
      request(server).post('/inbound/email/mailgun').field('timestamp', ts).field('token', tok).field('signature', sig).field('body-mime', rawMail('<mg-1@example.com>').toString());
    expect((await post('0'.repeat(64))).status).toBe(401);
    expect((await post(mailgunSignature(timestamp, token, 'another-key-0123456789'))).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await post(mailgunSignature(stale, token), stale)).status).toBe(401);
    expect(await stored('<mg-1@example.com>')).toHaveLength(0);
    const ok = await post(mailgunSignature(timestamp, token));
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('stored');
    expect((await post(mailgunSignature(timestamp, token))).body.status).toBe('duplicate');
    expect(await stored('<mg-1@example.com>')).toHaveLength(1);
    // A mail we will never accept answers 406, which stops Mailgun's retries.
    const other = 'b'.repeat(50);
    const refused = await request(server).post('/inbound/email/mailgun').field('timestamp', timestamp).field('token', other).field('signature', mailgunSignature(timestamp, other)).field('body-mime', 'garbage');
    expect(refused.status).toBe(406);
  });

  it('accepts SendGrid Inbound Parse raw MIME with basic auth', async () => {
    const auth = `Basic ${Buffer.from(BASIC).toString('base64')}`;
    expect((await request(server).post('/inbound/email/sendgrid').field('email', rawMail('<sg-1@example.com>').toString())).status).toBe(401);
    const ok = await request(server).post('/inbound/email/sendgrid').set('Authorization', auth).field('email', rawMail('<sg-1@example.com>').toString()).field('to', 'support@acme.example');
    expect(ok.status).toBe(200);
    expect(await stored('<sg-1@example.com>')).toHaveLength(1);
    const noEmail = await request(server).post('/inbound/email/sendgrid').set('Authorization', auth).field('to', 'support@acme.example');
    expect(noEmail.status).toBe(400);
  });

  it('answers 422 for a mail the pipeline refuses', async () => {
    const body = Buffer.from('not a mail at all');
    const res = await request(server).post('/inbound/email/raw').set('Content-Type', 'message/rfc822').set('X-Hub-Signature', signHubPayload(RELAY_SECRET, body)).send(body);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('mail_rejected');
  });
});
