import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import pino from 'pino';
import { ImapPoller, parseImapUrl, type ImapPollerDeps } from '../../../src/channels/email/imap-poller.js';
import { loadConfig } from '../../../src/config.js';
import { DOVECOT, startDovecot } from '../../support/dovecot.js';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';

const MAILBOX = 'support@acme.example';
const REPLY_SECRET = 'reply-secret-0123456789abcdef';

function rawMail(n: number, headers = ''): Buffer {
  return Buffer.from(
    [
      `From: Customer ${n} <customer${n}@example.com>`,
      `To: ${MAILBOX}`,
      `Subject: Question ${n}`,
      `Message-ID: <imap-${n}@example.com>`,
      `Date: Mon, 3 Mar 2025 10:00:${String(n % 60).padStart(2, '0')} +0000`,
      ...(headers ? [headers] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Hello, this is question number ${n}.`,
      '',
    ].join('\r\n'),
  );
}

const bounce = Buffer.from(
  [
    'From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>',
    `To: ${MAILBOX}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Message-ID: <bounce-1@mx.example.net>',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.example.net',
    '',
    'Final-Recipient: rfc822; gone@example.com',
    'Action: failed',
    'Status: 5.1.1',
    '--b--',
    '',
  ].join('\r\n'),
);

describe('parseImapUrl', () => {
  it('reads host, port, TLS, credentials, folder and moveTo; the account key holds no password', () => {
    expect(parseImapUrl('imaps://me%40acme.example:p%40ss@imap.acme.example/Support%20Mail?moveTo=Done')).toEqual({
      host: 'imap.acme.example',
      port: 993,
      secure: true,
      user: 'me@acme.example',
      password: 'p@ss',
      folder: 'Support Mail',
      moveTo: 'Done',
      account: 'me@acme.example@imap.acme.example:993/Support Mail',
    });
    expect(parseImapUrl('imap://u:p@127.0.0.1:1143')).toMatchObject({ port: 1143, secure: false, folder: 'INBOX', moveTo: null });
  });
});

describe('IMAP configuration', () => {
  it('MAIL_IMAP_URL needs MAIL_INBOUND_ADDRESS, must be imap(s)://, and is redacted; the poll interval defaults to 60 s', () => {
    expect(() => loadConfig([], { MAIL_IMAP_URL: 'imap://u:p@127.0.0.1/INBOX' })).toThrow(/mail\.inboundAddress \(or MAIL_INBOUND_ADDRESS\): is required when an IMAP URL is set/);
    expect(() => loadConfig([], { MAIL_IMAP_URL: 'pop3://u:p@127.0.0.1', MAIL_INBOUND_ADDRESS: MAILBOX, MAIL_REPLY_SECRET: REPLY_SECRET })).toThrow(/MAIL_IMAP_URL.*imap:\/\/ or imaps:\/\//);
    const loaded = loadConfig([], { MAIL_IMAP_URL: 'imaps://u:hunter2-secret@imap.example.com/INBOX', MAIL_INBOUND_ADDRESS: MAILBOX, MAIL_REPLY_SECRET: REPLY_SECRET });
    expect(loaded.config.mail).toMatchObject({ imapUrl: 'imaps://u:hunter2-secret@imap.example.com/INBOX', imapPollSeconds: 60 });
    expect(JSON.stringify(loaded.redacted())).not.toContain('hunter2');
  });
});

describe.skipIf(!existsSync(DOVECOT))('IMAP polling against a real dovecot (skipped: /usr/sbin/dovecot is not installed)', () => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let t: TestHub;
  let admin: ImapFlow;
  const log = pino({ level: 'silent' });

  beforeAll(async () => {
    dovecot = await startDovecot();
    t = await startTestHub('pglite', { env: { MAIL_INBOUND_ADDRESS: MAILBOX, MAIL_REPLY_SECRET: REPLY_SECRET, SMTP_PORT: '0', SMTP_HOST: '127.0.0.1' } });
    admin = await dovecot.client('support');
    for (const folder of ['Support', 'Failing', 'Moving', 'Done']) await admin.mailboxCreate(folder);
  });
  afterAll(async () => {
    await admin?.logout().catch(() => undefined);
    await t?.stop();
    await dovecot?.stop();
  });

  /** The deps createEmailChannel gives its poller. */
  const pollerFor = (url: string, overrides: Partial<ImapPollerDeps> = {}) =>
    new ImapPoller({
      store: t.hub.store,
      log,
      ingest: (m) => t.hub.ingest(m),
      mailbox: MAILBOX,
      domain: 'acme.example',
      replySecret: REPLY_SECRET,
      maxMessageBytes: 1024 * 1024,
      url,
      ...overrides,
    });

  const storedIds = async () =>
    (await t.hub.store.db.selectFrom('messages').select('source_message_id').where('source_message_id', 'like', '<imap-%').orderBy('source_message_id').execute()).map((r) => r.source_message_id);

  const flagsIn = async (folder: string) => {
    const lock = await admin.getMailboxLock(folder);
    try {
      const all = await admin.fetchAll('1:*', { uid: true, flags: true }, { uid: true });
      return all.map((m) => ({ uid: m.uid, seen: m.flags?.has('\\Seen') ?? false }));
    } finally {
      lock.release();
    }
  };

  it('20 messages → 20 stored and flagged \\Seen; polling again stores nothing; one new message → one more', async () => {
    for (let n = 1; n <= 20; n++) await admin.append('Support', rawMail(n));
    const poller = pollerFor(dovecot.url('support', 'Support'));

    expect(await poller.pollOnce()).toEqual({ fetched: 20, stored: 20, skipped: 0 });
    const ids = await storedIds();
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
    expect((await flagsIn('Support')).every((m) => m.seen)).toBe(true);
    const conversation = await t.hub.store.db.selectFrom('conversations').selectAll().where('subject', '=', 'Question 7').executeTakeFirstOrThrow();
    expect(conversation).toMatchObject({ channel: 'email', source: `email:${MAILBOX}` });

    expect(await poller.pollOnce()).toEqual({ fetched: 0, stored: 0, skipped: 0 });
    expect(await storedIds()).toHaveLength(20);

    await admin.append('Support', rawMail(21));
    expect(await poller.pollOnce()).toEqual({ fetched: 1, stored: 1, skipped: 0 });
    expect(await storedIds()).toHaveLength(21);
    // A fresh poller (a restarted hub) resumes from imap_state, not from the start.
    expect(await pollerFor(dovecot.url('support', 'Support')).pollOnce()).toEqual({ fetched: 0, stored: 0, skipped: 0 });
  });

  it('a UIDVALIDITY change does not re-ingest old mail', async () => {
    const account = parseImapUrl(dovecot.url('support', 'Support')).account;
    const before = await t.hub.store.db.selectFrom('imap_state').selectAll().where('account', '=', account).executeTakeFirstOrThrow();

    // The folder is recreated (as a server migration or a rebuilt index does): new UIDVALIDITY,
    // UIDs from 1 again. The old mail comes back — most still \Seen, some having lost the flag.
    await admin.mailboxDelete('Support');
    await admin.mailboxCreate('Support');
    for (let n = 1; n <= 21; n++) await admin.append('Support', rawMail(n), n <= 11 ? ['\\Seen'] : []);
    await admin.append('Support', rawMail(22));

    const poller = pollerFor(dovecot.url('support', 'Support'));
    // Only the 11 unflagged are read; the 10 old ones among them are known by Message-ID.
    expect(await poller.pollOnce()).toEqual({ fetched: 11, stored: 1, skipped: 10 });
    const ids = await storedIds();
    expect(ids).toHaveLength(22);
    expect(new Set(ids).size).toBe(22);
    const after = await t.hub.store.db.selectFrom('imap_state').selectAll().where('account', '=', account).executeTakeFirstOrThrow();
    expect(Number(after.uid_validity)).not.toBe(Number(before.uid_validity));
    expect(Number(after.last_uid)).toBe(22);

    expect(await poller.pollOnce()).toEqual({ fetched: 0, stored: 0, skipped: 0 });
    await admin.append('Support', rawMail(23));
    expect(await poller.pollOnce()).toEqual({ fetched: 1, stored: 1, skipped: 0 });
    expect(await storedIds()).toHaveLength(23);
  });

  it('a bounce is flagged and passed over; a database failure stops the poll unadvanced and the mail is retried', async () => {
    await admin.append('Failing', bounce);
    await admin.append('Failing', rawMail(101));
    await admin.append('Failing', rawMail(102));
    let failures = 1;
    const flaky = pollerFor(dovecot.url('support', 'Failing'), {
      ingest: async (m) => {
        if (m.sourceMessageId === '<imap-102@example.com>' && failures-- > 0) throw new Error('database unavailable');
        return t.hub.ingest(m);
      },
    });
    await expect(flaky.pollOnce()).rejects.toThrow('database unavailable');
    // The bounce and 101 were handled and flagged; 102 was not.
    expect(await flagsIn('Failing')).toEqual([
      { uid: 1, seen: true },
      { uid: 2, seen: true },
      { uid: 3, seen: false },
    ]);
    expect(await t.hub.store.db.selectFrom('conversations').select('id').where('subject', 'like', 'Undelivered%').execute()).toHaveLength(0);

    expect(await flaky.pollOnce()).toEqual({ fetched: 1, stored: 1, skipped: 0 });
    expect((await storedIds()).filter((id) => /^<imap-10\d@/.test(id))).toEqual(['<imap-101@example.com>', '<imap-102@example.com>']);
    expect((await flagsIn('Failing')).every((m) => m.seen)).toBe(true);
  });

  it('moves processed mail to the ?moveTo= folder, and skips oversize mail without storing it', async () => {
    await admin.append('Moving', rawMail(201));
    await admin.append('Moving', rawMail(202, `X-Padding: ${'x'.repeat(3000)}`));
    const poller = pollerFor(dovecot.url('support', 'Moving', '?moveTo=Done'), { maxMessageBytes: 2048 });
    expect(await poller.pollOnce()).toEqual({ fetched: 1, stored: 1, skipped: 1 });
    expect(await flagsIn('Moving')).toEqual([]);
    expect((await flagsIn('Done')).map((m) => m.seen)).toEqual([true, true]);
    expect((await storedIds()).filter((id) => /^<imap-20\d@/.test(id))).toEqual(['<imap-201@example.com>']);
  });
});

describe.skipIf(!existsSync(DOVECOT))('the hub polls MAIL_IMAP_URL (skipped: /usr/sbin/dovecot is not installed)', () => {
  let dovecot: Awaited<ReturnType<typeof startDovecot>>;
  let t: TestHub | undefined;

  beforeAll(async () => {
    dovecot = await startDovecot();
  });
  afterAll(async () => {
    await t?.stop();
    await dovecot?.stop();
  });

  it('starts polling with the hub and stops with it', async () => {
    const client = await dovecot.client('hub');
    await client.append('INBOX', rawMail(301));
    await client.logout();
    t = await startTestHub('pglite', {
      env: {
        MAIL_INBOUND_ADDRESS: MAILBOX,
        MAIL_REPLY_SECRET: REPLY_SECRET,
        SMTP_PORT: '0',
        SMTP_HOST: '127.0.0.1',
        MAIL_IMAP_URL: dovecot.url('hub', 'INBOX'),
        MAIL_IMAP_POLL_SECONDS: '3600',
      },
    });
    expect(t.hub.loaded.config.mail.imapPollSeconds).toBe(3600);
    const hub = t.hub;
    await waitFor(
      () => hub.store.db.selectFrom('messages').select('id').where('source_message_id', '=', '<imap-301@example.com>').executeTakeFirst(),
      15_000,
      'the hub to poll the mailbox',
    );
    await t.stop();
    t = undefined;
  });
});
