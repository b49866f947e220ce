import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeMailgun, forwardMimeFields, forwardParsedFields } from '../../fakes/mailgun/index.js';
import { fakePostmark, inboundPayload } from '../../fakes/postmark/index.js';
import { defaultPayloadFields, fakeSendGrid, policyKeyPair, rawPayloadFields } from '../../fakes/sendgrid/index.js';
import {
  CP1252_NAME,
  CP1252_SUBJECT,
  CP1252_TEXT,
  JP_NAME,
  JP_SUBJECT,
  JP_TEXT,
  MAILBOX,
  MAILGUN_KEY,
  cp1252Mail,
  encodeIso2022jp,
  iso2022jpMail,
  startRelayHub,
  storedMail,
  type RelayHub,
} from './relay-helpers.js';

/**
 * 8-bit and non-UTF-8 mail through every relay: the stored text must be the Unicode the sender
 * wrote. A windows-1252 body sent 8-bit is not UTF-8, so decoding a form field as UTF-8 (and
 * encoding it back) replaces its bytes; ISO-2022-JP arrives from SendGrid's parsed form in its
 * own charset, named in `charsets`.
 */
const policy = policyKeyPair();

interface Relay {
  name: string;
  send(relay: RelayHub, raw: Buffer): Promise<{ outcome: string; status: number }>;
}

const mailgun = fakeMailgun({ signingKey: MAILGUN_KEY });
const sendgrid = fakeSendGrid({ privateKey: policy.privateKey });
const RELAYS: Relay[] = [
  { name: 'postmark (raw email included)', send: async (r, raw) => fakePostmark().post(`${r.baseWithAuth}/inbound/email/postmark`, await inboundPayload(raw, { recipient: MAILBOX, includeRawEmail: true })) },
  { name: 'postmark (parsed fields only)', send: async (r, raw) => fakePostmark().post(`${r.baseWithAuth}/inbound/email/postmark`, await inboundPayload(raw, { recipient: MAILBOX })) },
  { name: 'mailgun parsed route', send: async (r, raw) => mailgun.forward(`${r.base}/inbound/email/mailgun`, await forwardParsedFields({ raw, recipient: MAILBOX })) },
  { name: 'mailgun mime route', send: async (r, raw) => mailgun.forward(`${r.base}/inbound/email/mailgun/mime`, await forwardMimeFields({ raw, recipient: MAILBOX })) },
  { name: 'sendgrid default payload', send: async (r, raw) => sendgrid.post(`${r.base}/inbound/email/sendgrid`, await defaultPayloadFields({ raw, recipient: MAILBOX })) },
  { name: 'sendgrid raw payload', send: async (r, raw) => sendgrid.post(`${r.base}/inbound/email/sendgrid`, await rawPayloadFields({ raw, recipient: MAILBOX })) },
];

describe('8-bit and non-UTF-8 mail through the relays', () => {
  let relay: RelayHub;
  beforeAll(async () => {
    relay = await startRelayHub({ SENDGRID_PARSE_PUBLIC_KEY: policy.publicKey });
  });
  afterAll(() => relay?.t.stop());

  it('the test mails are what they claim: windows-1252 bytes that are not UTF-8, ISO-2022-JP that decodes to the Japanese text', () => {
    const body = cp1252Mail('<check@example.de>');
    expect(body.includes(Buffer.from([0x80]))).toBe(true); // € in windows-1252
    expect(() => new TextDecoder('utf-8', { fatal: true }).decode(body)).toThrow();
    expect(new TextDecoder('iso-2022-jp').decode(encodeIso2022jp(JP_TEXT))).toBe(JP_TEXT);
  });

  for (const [index, via] of RELAYS.entries()) {
    it(`${via.name}: windows-1252 8-bit mail is stored as the right Unicode`, async () => {
      const id = `<cp1252-${index}@example.de>`;
      expect((await via.send(relay, cp1252Mail(id))).outcome).toBe('accepted');
      expect(await storedMail(relay.t, id)).toMatchObject({ text: CP1252_TEXT, subject: CP1252_SUBJECT, contactName: CP1252_NAME, contactEmail: 'juergen@example.de' });
    });

    it(`${via.name}: ISO-2022-JP mail is stored as the right Unicode`, async () => {
      const id = `<jis-${index}@example.jp>`;
      expect((await via.send(relay, iso2022jpMail(id))).outcome).toBe('accepted');
      expect(await storedMail(relay.t, id)).toMatchObject({ text: JP_TEXT, subject: JP_SUBJECT, contactName: JP_NAME, contactEmail: 'taro@example.jp' });
    });
  }
});
