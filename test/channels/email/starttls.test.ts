import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasOpenssl) console.log('STARTTLS test skipped: no openssl to make a certificate');

const mailEnv = {
  MAIL_INBOUND_ADDRESS: 'support@acme.example',
  MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
  SMTP_PORT: '0',
  SMTP_HOST: '127.0.0.1',
};

describe.skipIf(!hasOpenssl)('SMTP listener: STARTTLS with a configured certificate', () => {
  let dir: string;
  let secure: TestHub;
  let plain: TestHub;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=mx.acme.example', '-addext', 'subjectAltName=DNS:mx.acme.example', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    secure = await startTestHub('pglite', { env: { ...mailEnv, MAIL_SMTP_TLS_CERT_FILE: join(dir, 'cert.pem'), MAIL_SMTP_TLS_KEY_FILE: join(dir, 'key.pem') } });
    plain = await startTestHub('pglite', { env: mailEnv });
  });
  afterAll(async () => {
    await secure?.stop();
    await plain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('offers STARTTLS with the configured certificate; a sender that requires TLS delivers over it', async () => {
    // The sender trusts exactly our certificate and checks the name on it: the handshake only
    // succeeds if the listener presents the configured certificate.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: secure.hub.smtpPort!,
      secure: false,
      requireTLS: true,
      tls: { ca: [readFileSync(join(dir, 'cert.pem'))], servername: 'mx.acme.example', rejectUnauthorized: true },
    });
    await transport.sendMail({ from: 'tls@example.com', to: 'support@acme.example', subject: 'Over TLS', text: 'Sent over STARTTLS.', messageId: '<tls-1@example.com>' });
    transport.close();
    await waitFor(() => secure.hub.store.db.selectFrom('messages').select('id').where('source_message_id', '=', '<tls-1@example.com>').executeTakeFirst(), 10_000, 'stored');
  });

  it('without a certificate STARTTLS is not offered, so a sender that requires it fails cleanly', async () => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: plain.hub.smtpPort!, secure: false, requireTLS: true, tls: { rejectUnauthorized: false } });
    await expect(transport.sendMail({ from: 'tls@example.com', to: 'support@acme.example', subject: 'x', text: 'x' })).rejects.toThrow(/STARTTLS/i);
    transport.close();
  });

  it('a certificate without its key is a configuration error naming the missing setting', async () => {
    await expect(startTestHub('pglite', { env: { ...mailEnv, MAIL_SMTP_TLS_CERT_FILE: join(dir, 'cert.pem') } })).rejects.toThrow(/MAIL_SMTP_TLS_KEY_FILE|smtpTlsKeyFile/);
  });
});
