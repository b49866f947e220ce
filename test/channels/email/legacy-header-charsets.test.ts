/**
 * Headers sent as raw 8-bit bytes in a legacy charset, without RFC 2047 encoded-words (common
 * from older Chinese, Japanese and Korean clients and web forms), read as the sender meant them:
 * when a header's bytes are not valid UTF-8 (RFC 6532), they are decoded by the charset the
 * message declares for its text; valid UTF-8 stays as it is; with no usable declaration they are
 * read as windows-1252. Fixture bytes are made here with iconv-lite, so each test shows exactly
 * which bytes arrive.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseMail } from '../../../src/channels/email/parse.js';

type Part = string | Buffer;

/** A message from header lines (strings are ASCII, Buffers are raw bytes) and a body. */
function message(headers: Part[][], body: Part): Buffer {
  const lines = headers.map((line) => Buffer.concat(line.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part))));
  return Buffer.concat([...lines.flatMap((line) => [line, Buffer.from('\r\n')]), Buffer.from('\r\n'), typeof body === 'string' ? Buffer.from(body, 'latin1') : body]);
}

function legacyMail(charset: string, subject: string, name: string, body: string): Buffer {
  return message(
    [
      ['From: "', iconv.encode(name, charset), '" <sender@example.net>'],
      ['To: support@hub.example'],
      ['Subject: ', iconv.encode(subject, charset)],
      ['Message-ID: <legacy@example.net>'],
      ['MIME-Version: 1.0'],
      [`Content-Type: text/plain; charset=${charset}`],
      ['Content-Transfer-Encoding: 8bit'],
    ],
    Buffer.concat([iconv.encode(body, charset), Buffer.from('\r\n')]),
  );
}

describe('raw 8-bit headers in legacy charsets', () => {
  it('decodes a GB2312 subject and sender name sent without encoded-words by the declared charset', async () => {
    const raw = legacyMail('GB2312', '关于订单的问题：无法付款', '张伟', '你好，我无法付款。');
    const mail = await parseMail(raw);
    expect(mail.subject).toBe('关于订单的问题：无法付款');
    expect(mail.from).toEqual({ address: 'sender@example.net', name: '张伟' });
    expect(mail.text.trim()).toBe('你好，我无法付款。');
    // What was stored is still what was sent.
    expect(mail.raw.equals(raw)).toBe(true);
  });

  it('reads GB2312-labelled text that uses GBK characters (senders label GBK as GB2312)', async () => {
    // 镕 and 喆 are in GBK but not in GB2312.
    const mail = await parseMail(legacyMail('GB2312', '朱镕基和陈喆的账户', '陈喆', '正文'));
    expect(mail.subject).toBe('朱镕基和陈喆的账户');
    expect(mail.from?.name).toBe('陈喆');
  });

  it('decodes a Shift_JIS subject when only the first text part of a multipart message names the charset', async () => {
    const subject = 'ご注文の商品が届きません';
    const raw = message(
      [
        ['From: ', iconv.encode('山田太郎', 'Shift_JIS'), ' <taro@example.jp>'],
        ['To: support@hub.example'],
        ['Subject: ', iconv.encode(subject, 'Shift_JIS')],
        ['MIME-Version: 1.0'],
        ['Content-Type: multipart/alternative;'],
        ['\tboundary="sep"'],
      ],
      Buffer.concat([
        Buffer.from('--sep\r\nContent-Type: text/plain;\r\n\tcharset="Shift_JIS"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n'),
        iconv.encode('よろしくお願いします。', 'Shift_JIS'),
        Buffer.from('\r\n--sep\r\nContent-Type: text/html; charset="Shift_JIS"\r\n\r\n<p>x</p>\r\n--sep--\r\n'),
      ]),
    );
    const mail = await parseMail(raw);
    expect(mail.subject).toBe(subject);
    expect(mail.from).toEqual({ address: 'taro@example.jp', name: '山田太郎' });
    expect(mail.text.trim()).toBe('よろしくお願いします。');
  });

  it.each([
    ['EUC-KR', '주문 문의: 결제가 안 됩니다', '김민준'],
    ['Big5', '訂單問題：無法付款', '陳大文'],
    ['ISO-8859-2', 'Zamówienie: płatność nie działa', 'Łukasz Żółć'],
    ['windows-1251', 'Заказ: не проходит оплата', 'Иван Петров'],
    ['windows-1252', 'Commande: paiement refusé – « urgent »', 'Renée Dupré'],
    ['ISO-8859-15', 'Facture de 100 € incorrecte', 'Zoë Œuvray'],
  ])('decodes a raw %s subject and sender name by the declared charset', async (charset, subject, name) => {
    const mail = await parseMail(legacyMail(charset, subject, name, 'body'));
    expect(mail.subject).toBe(subject);
    expect(mail.from?.name).toBe(name);
  });

  it('keeps a raw UTF-8 subject as it is, whatever charset the body declares (RFC 6532)', async () => {
    const raw = message(
      [['From: ', Buffer.from('Jürgen Groß', 'utf8'), ' <jg@example.de>'], ['Subject: ', Buffer.from('Grüße aus Köln – 你好', 'utf8')], ['Content-Type: text/plain; charset=GB2312']],
      'hello\r\n',
    );
    const mail = await parseMail(raw);
    expect(mail.subject).toBe('Grüße aus Köln – 你好');
    expect(mail.from?.name).toBe('Jürgen Groß');
  });

  it('still decodes encoded-words, and ASCII headers are untouched', async () => {
    const raw = message(
      [['From: =?GB2312?B?', iconv.encode('张伟', 'GB2312').toString('base64'), '?= <zw@example.cn>'], ['Subject: =?GB2312?B?', iconv.encode('无法登录', 'GB2312').toString('base64'), '?='], ['Content-Type: text/plain; charset=GB2312']],
      'x\r\n',
    );
    const mail = await parseMail(raw);
    expect(mail.subject).toBe('无法登录');
    expect(mail.from?.name).toBe('张伟');
  });

  it('reads raw 8-bit headers as windows-1252 when the message declares no charset, or one that does not fit', async () => {
    // No Content-Type at all (RFC 2045 §5.2 would say US-ASCII, which 8-bit bytes cannot be):
    // windows-1252, the WHATWG default for unlabelled legacy text, maps every byte to a character.
    const undeclared = message([['From: ', iconv.encode('Renée', 'windows-1252'), ' <r@example.fr>'], ['Subject: ', iconv.encode('Café à 5 €', 'windows-1252')]], 'x\r\n');
    const mail = await parseMail(undeclared);
    expect(mail.subject).toBe('Café à 5 €');
    expect(mail.from?.name).toBe('Renée');

    // Declared UTF-8 (or a name no decoder knows), yet the bytes are not UTF-8: the same fallback.
    for (const declared of ['utf-8', 'x-no-such-charset']) {
      const mislabelled = message([['Subject: ', iconv.encode('Réclamation n° 12', 'windows-1252')], [`Content-Type: text/plain; charset="${declared}"`]], 'x\r\n');
      expect((await parseMail(mislabelled)).subject).toBe('Réclamation n° 12');
    }
  });
});
