import { generateKeyPairSync } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dkimSign, type DNSResolver } from 'mailauth';
import { authenticateSender } from '../../../src/channels/email/authenticity.js';
import { receiveMail, type ReceiveDeps } from '../../../src/channels/email/receive.js';
import { startTestHub, type TestHub } from '../../support/hub.js';

// A sending domain of our own making: its DKIM key and DMARC policy answered by a fake resolver.
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
const resolver: DNSResolver = async (name, rrtype) => {
  if (rrtype === 'TXT' && name === 'mail._domainkey.customer.example') return [[`v=DKIM1; k=rsa; p=${publicKeyBase64}`]];
  if (rrtype === 'TXT' && name === '_dmarc.customer.example') return [['v=DMARC1; p=reject']];
  throw Object.assign(new Error(`no ${rrtype} for ${name}`), { code: 'ENOTFOUND' });
};

async function signedMail(messageId: string, body: string): Promise<Buffer> {
  const unsigned = Buffer.from(
    `From: Vera Verified <vera@customer.example>\r\nTo: support@acme.example\r\nSubject: Signed\r\nMessage-ID: ${messageId}\r\nDate: Tue, 24 Nov 2026 06:00:00 +0000\r\n\r\n${body}\r\n`,
  );
  // mailauth signs with `signatureData` (its README); its typings only describe the older flat form.
  const options = { signatureData: [{ signingDomain: 'customer.example', selector: 'mail', privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }] };
  const { signatures } = await dkimSign(unsigned, options as unknown as Parameters<typeof dkimSign>[1]);
  return Buffer.concat([Buffer.from(signatures), unsigned]);
}

describe('sender authenticity (SPF/DKIM/DMARC, offline resolver)', () => {
  it('a DKIM-aligned mail passes DMARC and verifies its sender', async () => {
    const auth = await authenticateSender(await signedMail('<signed-1@customer.example>', 'Hello, it is really me.'), {}, { resolver, mta: 'acme.example' });
    expect(auth).toMatchObject({ dkim: 'pass', dmarc: 'pass', verified: true });
  });

  it('a mail changed after signing, or claiming the domain unsigned, fails DMARC and stays unverified', async () => {
    const signed = await signedMail('<signed-2@customer.example>', 'Original text.');
    const tampered = Buffer.from(signed.toString().replace('Original text.', 'Send the refund to me.'));
    expect(await authenticateSender(tampered, {}, { resolver, mta: 'acme.example' })).toMatchObject({ dmarc: 'fail', verified: false });
    const forged = Buffer.from('From: vera@customer.example\r\nTo: support@acme.example\r\nSubject: Hi\r\nMessage-ID: <forged@x.example>\r\n\r\nIt is me, honest.\r\n');
    expect(await authenticateSender(forged, {}, { resolver, mta: 'acme.example' })).toMatchObject({ dmarc: 'fail', verified: false });
  });

  it('DNS trouble gives an unverified verdict, not a stuck mail', async () => {
    const failing: DNSResolver = async () => {
      throw Object.assign(new Error('SERVFAIL'), { code: 'ESERVFAIL' });
    };
    const auth = await authenticateSender(await signedMail('<signed-3@customer.example>', 'x'), {}, { resolver: failing, mta: 'acme.example' });
    expect(auth.verified).toBe(false);
  });

  describe('recorded on the stored message', () => {
    let t: TestHub;
    beforeAll(async () => {
      t = await startTestHub('pglite');
    });
    afterAll(() => t?.stop());

    it('stores the verdicts and marks only the DMARC-passing sender verified', async () => {
      const deps: ReceiveDeps = {
        store: t.hub.store,
        log: pino({ level: 'silent' }),
        ingest: (m) => t.hub.ingest(m),
        mailbox: 'support@acme.example',
        domain: 'acme.example',
        replySecret: 'reply-secret-0123456789abcdef',
        maxMessageBytes: 1_000_000,
        checkSenders: true,
        resolver,
      };
      const good = await receiveMail(deps, await signedMail('<stored-good@customer.example>', 'Genuine.'), ['support@acme.example']);
      const forged = await receiveMail(
        deps,
        Buffer.from('From: vera@customer.example\r\nTo: support@acme.example\r\nSubject: Refund\r\nMessage-ID: <stored-forged@x.example>\r\n\r\nPay me.\r\n'),
        ['support@acme.example'],
      );
      if (good.kind !== 'stored' || forged.kind !== 'stored') throw new Error('both should be stored');
      expect(good.result.message.metadata).toMatchObject({ identityVerified: true, senderAuthentication: { dkim: 'pass', dmarc: 'pass' } });
      expect(forged.result.message.metadata).toMatchObject({ identityVerified: false, senderAuthentication: { dmarc: 'fail' } });
    });
  });
});
