/**
 * The parse step hands later steps one shape whatever the sender's client did: lowercased
 * addresses, references always an array, a stable Message-ID, repaired charsets, clean text
 * from HTML-only mail, attachments flagged over the size limit, the raw bytes kept.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailParseError, parseMail, syntheticMessageId } from '../../../src/channels/email/parse.js';
import { identifySender } from '../../../src/channels/email/sender.js';
import { FIXTURES, fixture } from './helpers.js';

describe('parseMail', () => {
  it('normalises a single References value to an array and keeps several in order', async () => {
    expect((await fixture('no-message-id.eml')).references).toEqual(['<only-one@hub.example>']);
    expect((await fixture('reply-outlook.eml')).references).toEqual(['<ticket-4417.q@hub.example>', '<ticket-4417.r1@hub.example>']);
    expect((await fixture('reply-outlook.eml')).inReplyTo).toBe('<ticket-4417.r1@hub.example>');
  });

  it('gives a mail without Message-ID a synthetic one that is the same on every parse', async () => {
    const raw = readFileSync(`${FIXTURES}no-message-id.eml`);
    const first = await parseMail(raw);
    expect(first.messageId).toMatch(/^<[0-9a-f]{64}@synthetic\.invalid>$/);
    expect(first.syntheticMessageId).toBe(true);
    expect((await parseMail(Buffer.from(raw))).messageId).toBe(first.messageId);
    expect(syntheticMessageId(Buffer.concat([raw, Buffer.from('x')]))).not.toBe(first.messageId);
  });

  it('gives a mail whose Message-ID header was cut short ("<" alone) a synthetic one, never "<>"', async () => {
    // Found by the fuzz test (a truncated FreeScout seed): "<>" would thread unrelated mail together.
    for (const header of ['<', '<>', ' < ']) {
      const mail = await parseMail(Buffer.from(`From: a@customer.example\r\nTo: support@hub.example\r\nMessage-ID: ${header}\r\nSubject: hi\r\n\r\nhello\r\n`));
      expect(mail.messageId).toMatch(/^<[0-9a-f]{64}@synthetic\.invalid>$/);
      expect(mail.syntheticMessageId).toBe(true);
    }
  });

  it('lowercases addresses and drops quotes around display names', async () => {
    const mail = await fixture('reply-gmail.eml');
    expect(mail.from).toEqual({ address: 'ann.lee@gmail.com', name: 'Ann Lee' });
    expect((await fixture('reply-outlook.eml')).from).toEqual({ address: 'jonas.meier@contoso.com', name: 'Jonas Meier' });
    expect((await fixture('reply-outlook.eml')).to).toEqual([{ address: 'support@hub.example', name: '' }]);
  });

  it('repairs UTF-8 labelled ISO-8859-1 in headers and body', async () => {
    const mail = await fixture('mislabelled-utf8.eml');
    expect(mail.subject).toBe('Problème de facture');
    expect(mail.from?.name).toBe('Renée Dupré');
    expect(mail.text.trim()).toBe('La facture est erronée – merci de vérifier.');
  });

  it('decodes windows-1252 (€ and – in the 0x80–0x9F range)', async () => {
    expect((await fixture('reply-outlook.eml')).text).toContain('119 € instead of 100 € – could');
  });

  it('makes a text version of HTML-only mail and keeps the HTML', async () => {
    const mail = await fixture('html-only-outlook.eml');
    expect(mail.textFromHtml).toBe(true);
    expect(mail.text).toContain('The login works on the new page, thanks.');
    expect(mail.text).not.toMatch(/https:|cid:|p\{margin/);
    expect(mail.html).toContain('href="https://app.example/login"');
    expect((await fixture('reply-gmail.eml')).textFromHtml).toBe(false);
  });

  it('keeps attachments up to the limit and flags larger ones without their content', async () => {
    const raw = readFileSync(`${FIXTURES}two-messages.box`).toString('latin1').split('\nFrom bob')[1]!;
    const box = Buffer.from(raw.slice(raw.indexOf('\n') + 1), 'latin1');
    const kept = await parseMail(box);
    expect(kept.attachments).toMatchObject([{ filename: 'app.log', size: 8, overLimit: false }]);
    expect(kept.attachments[0]!.content?.toString()).toBe('error 42');
    const limited = await parseMail(box, { maxAttachmentBytes: 4 });
    expect(limited.attachments).toMatchObject([{ filename: 'app.log', size: 8, overLimit: true, content: null }]);
  });

  it('keeps the original bytes', async () => {
    const raw = readFileSync(`${FIXTURES}bounce-postfix.eml`);
    expect((await parseMail(raw)).raw.equals(raw)).toBe(true);
  });

  it('rejects what is not a mail, with a reason', async () => {
    await expect(parseMail(Buffer.alloc(0))).rejects.toMatchObject({ reason: 'empty' });
    await expect(parseMail(Buffer.from('\u0000\u0000 no header here'))).rejects.toMatchObject({ reason: 'no_headers' });
    await expect(parseMail(Buffer.from('From: a@b.example\r\n\r\nhi'), { maxMessageBytes: 5 })).rejects.toBeInstanceOf(MailParseError);
  });
});

describe('identifySender', () => {
  const ann = { address: 'ann@customer.example', name: 'Ann' };
  const ours = { address: 'forms@hub.example', name: 'Website form' };

  it('is the From author by default, even with a Reply-To', () => {
    expect(identifySender({ from: ann, replyTo: [{ address: 'billing@customer.example', name: '' }], sender: null })).toEqual({ ...ann, source: 'from' });
  });

  it('takes Reply-To when From is one of our own addresses (a contact form sending as us)', () => {
    expect(identifySender({ from: ours, replyTo: [ann], sender: null }, { ownAddresses: ['forms@hub.example'] })).toEqual({ ...ann, source: 'reply-to' });
  });

  it('falls back to Sender when there is no From', () => {
    expect(identifySender({ from: null, replyTo: [], sender: ann })).toEqual({ ...ann, source: 'sender' });
    expect(identifySender({ from: null, replyTo: [], sender: null })).toBeNull();
  });
});
