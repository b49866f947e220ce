import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeMailgun, forwardMimeFields, forwardParsedFields, officialFields, storeNotifyFields, type FormField } from '../../fakes/mailgun/index.js';
import { MAILBOX, MAILGUN_KEY, messageCount, plainMail, startRelayHub, storedMail, storedMails, type RelayHub } from './relay-helpers.js';

const OFFICIAL = fileURLToPath(new URL('../../../../shared/data/vendor/official/email-relays/mailgun/', import.meta.url));
const example = (name: string) => JSON.parse(readFileSync(OFFICIAL + name, 'utf8')) as Record<string, string>;
const EXAMPLE_MESSAGE_ID = '<CABPem2N_Ucj3wRRZnLVpVF_fRjkTBXHZReZC3zY-hHsRa=T51g@samples.mailgun.com>';

describe('Mailgun routes', () => {
  let relay: RelayHub;
  const mailgun = fakeMailgun({ signingKey: MAILGUN_KEY });
  const parsedUrl = () => `${relay.base}/inbound/email/mailgun`;
  const mimeUrl = () => `${relay.base}/inbound/email/mailgun/mime`;
  beforeAll(async () => {
    relay = await startRelayHub();
  });
  afterAll(() => relay?.t.stop());

  it("stores the parsed form a route set up as the README says posts (the docs' forward() example), once per signature block", async () => {
    const fields = officialFields(example('mailgun-route-forward-parsed.fields.json'));
    const block = mailgun.sign();
    const first = await mailgun.forward(parsedUrl(), fields, { signature: block });
    expect(first).toMatchObject({ outcome: 'accepted', status: 200, json: { status: 'stored' } });
    const mail = await storedMail(relay.t, EXAMPLE_MESSAGE_ID);
    expect(mail).toMatchObject({ text: "Testing Mailgun's forwarded and stored message routes :)", subject: 'Message Routes', contactEmail: 'user@samples.mailgun.com', contactName: 'Excited User' });
    const again = await mailgun.forward(parsedUrl(), fields, { signature: block });
    expect(again).toMatchObject({ outcome: 'accepted', json: { status: 'duplicate' } });
    // The store(notify=…) example names the same message: it is the same mail, stored once.
    const stored = await mailgun.forward(parsedUrl(), officialFields(example('mailgun-route-store-notify.fields.json')));
    expect(stored).toMatchObject({ outcome: 'accepted', json: { status: 'duplicate' } });
    expect(await storedMails(relay.t, EXAMPLE_MESSAGE_ID)).toHaveLength(1);
  });

  it('rebuilds a parsed post with attachments (multipart) into a mail that keeps Reply-To, threading and the files', async () => {
    const root = plainMail('<mg-root@example.com>', { from: 'Mia Mailgun <mia@example.com>', subject: 'Broken export' });
    expect((await mailgun.forward(mimeUrl(), await forwardMimeFields({ raw: root, recipient: MAILBOX }))).outcome).toBe('accepted');
    const reply = Buffer.from(
      [
        'From: Mia Mailgun <mia@example.com>',
        'Reply-To: Mia at home <mia@home.example>',
        `To: ${MAILBOX}`,
        'Subject: Re: Broken export',
        'Message-ID: <mg-reply@example.com>',
        'In-Reply-To: <mg-root@example.com>',
        'References: <mg-root@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b1"',
        '',
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Screenshot attached.',
        '--b1',
        'Content-Type: image/png; name="shot.png"',
        'Content-Disposition: attachment; filename="shot.png"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('not really a png').toString('base64'),
        '--b1--',
        '',
      ].join('\r\n'),
    );
    const fields = await forwardParsedFields({ raw: reply, recipient: MAILBOX });
    expect(fields.map((f) => f.name)).toEqual(expect.arrayContaining(['message-headers', 'body-plain', 'attachment-count', 'attachment-1']));
    const result = await mailgun.forward(parsedUrl(), fields);
    expect(result.outcome).toBe('accepted');
    expect(mailgun.requests.at(-1)!.contentType).toMatch(/^multipart\/form-data/);
    const [first, second] = [await storedMail(relay.t, '<mg-root@example.com>'), await storedMail(relay.t, '<mg-reply@example.com>')];
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.text).toBe('Screenshot attached.');
    expect(second.metadata).toMatchObject({ inReplyTo: '<mg-root@example.com>', references: ['<mg-root@example.com>'] });
    expect(second.kept?.replyTo).toEqual([{ address: 'mia@home.example', name: 'Mia at home' }]);
    expect(second.attachments.map((a) => [a.filename, a.contentType, a.content.toString()])).toEqual([['shot.png', 'image/png', 'not really a png']]);
  });

  it('serves the raw-MIME route (URL ending in mime) and a store(notify=…) post', async () => {
    expect((await mailgun.forward(mimeUrl(), await forwardMimeFields({ raw: plainMail('<mg-mime@example.com>'), recipient: MAILBOX }))).outcome).toBe('accepted');
    expect((await storedMail(relay.t, '<mg-mime@example.com>')).text).toBe('Hello through the relay.');
    const notify = await storeNotifyFields({ raw: plainMail('<mg-store@example.com>', { text: 'Stored first.' }), recipient: MAILBOX }, 'mg.acme.example');
    expect((await mailgun.forward(parsedUrl(), notify)).outcome).toBe('accepted');
    expect((await storedMail(relay.t, '<mg-store@example.com>')).text).toBe('Stored first.');
  });

  it('refuses a forged, missing or too old signature with 406 (Mailgun does not retry it) and stores nothing', async () => {
    const fields = await forwardMimeFields({ raw: plainMail('<mg-forged@example.com>'), recipient: MAILBOX });
    const now = Math.floor(Date.now() / 1000);
    const results = [
      await mailgun.forward(mimeUrl(), fields, { signature: mailgun.sign(undefined, undefined, 'another-key-0123456789') }),
      await mailgun.forward(mimeUrl(), fields, { signature: { ...mailgun.sign(), signature: '0'.repeat(64) } }),
      await mailgun.forward(mimeUrl(), fields, { signature: null }),
      await mailgun.forward(mimeUrl(), fields, { signature: mailgun.sign(String(now - 10 * 3600)) }),
      await mailgun.forward(mimeUrl(), fields, { signature: mailgun.sign(String(now + 3600)) }),
    ];
    expect(results.map((r) => [r.outcome, r.attempts.length, r.status])).toEqual(Array(5).fill(['rejected', 1, 406]));
    expect(await storedMails(relay.t, '<mg-forged@example.com>')).toHaveLength(0);
  });

  it('accepts a retry carrying the signature of a first attempt made hours ago (Mailgun retries for 8 hours)', async () => {
    const fields = await forwardMimeFields({ raw: plainMail('<mg-late@example.com>'), recipient: MAILBOX });
    const result = await mailgun.forward(mimeUrl(), fields, { signature: mailgun.sign(String(Math.floor(Date.now() / 1000) - 4 * 3600)) });
    expect(result.outcome).toBe('accepted');
  });

  it('answers 406 to a mail the pipeline refuses, which stops Mailgun', async () => {
    const fields: FormField[] = [{ name: 'recipient', value: MAILBOX }, { name: 'body-mime', value: 'garbage' }];
    const result = await mailgun.forward(mimeUrl(), fields);
    expect([result.outcome, result.status]).toEqual(['rejected', 406]);
  });

  describe('an unsigned 100 MB post (the unauthenticated path)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    /** Live JavaScript memory (heap and buffers) after a full collection; buffers go in the second pass. */
    const live = async () => {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    // 100 MB at about 25 MB/s, so the collections sampling live memory (a few a second) see the
    // whole post go by rather than only its end.
    const hundredMegabytes = {
      async *stream() {
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        for (let sent = 0; sent < 100 * 1024 * 1024; sent += chunk.length) {
          yield chunk;
          if (sent % (1024 * 1024) === 0) await new Promise((resolve) => setTimeout(resolve, 40));
        }
      },
    };
    const spools = () => readdirSync(tmpdir()).filter((name) => name.startsWith('hub-relay-')).length;

    async function measured(send: () => Promise<{ status: number }>): Promise<{ status: number; growth: number; samples: number }> {
      const baseline = await live();
      let peak = baseline;
      let samples = 0;
      let sampling: Promise<void> | null = null;
      const sampler = setInterval(() => {
        sampling ??= live().then((now) => {
          peak = Math.max(peak, now);
          samples++;
          sampling = null;
        });
      }, 200);
      try {
        const { status } = await send();
        clearInterval(sampler);
        await sampling;
        peak = Math.max(peak, await live());
        return { status, growth: peak - baseline, samples };
      } finally {
        clearInterval(sampler);
      }
    }

    it('is cut off at the size limit while streaming: 413, memory grows by less than 5 MB, nothing stored, no spool left', async () => {
      const before = { messages: await messageCount(relay.t), spools: spools() };
      const { status, growth, samples } = await measured(async () =>
        mailgun.forward(parsedUrl(), [{ name: 'recipient', value: MAILBOX }, { name: 'body-mime', value: hundredMegabytes }], { signature: null, noRetry: true }),
      );
      expect(status).toBe(413);
      expect(samples).toBeGreaterThan(3);
      expect(growth).toBeLessThan(5 * 1024 * 1024);
      expect(await messageCount(relay.t)).toBe(before.messages);
      expect(spools()).toBe(before.spools);
    });

    it('with a forged signature first, is refused (406) before the body is read', async () => {
      const before = await messageCount(relay.t);
      const started = Date.now();
      const { status, growth } = await measured(async () =>
        mailgun.forward(parsedUrl(), [{ name: 'recipient', value: MAILBOX }, { name: 'body-mime', value: hundredMegabytes }], {
          noRetry: true,
          signature: mailgun.sign(undefined, undefined, 'another-key-0123456789'),
          signatureFirst: true,
        }),
      );
      expect(status).toBe(406);
      expect(growth).toBeLessThan(5 * 1024 * 1024);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(await messageCount(relay.t)).toBe(before);
    });
  });
});
