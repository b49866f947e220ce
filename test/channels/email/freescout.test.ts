/**
 * Real-world parser edge cases from FreeScout's test suite (charsets, broken boundaries, NUL
 * bytes, RFC 2231 parameters) must come out with the right sender, subject and attachments.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyAutomatedMail } from '../../../src/channels/email/loop-guard.js';
import { parseMail } from '../../../src/channels/email/parse.js';
import { stripEmailHistory } from '../../../src/channels/email/quoted.js';
import { FREESCOUT } from './helpers.js';

const JP_SUBJECT = '☆第132号　「ガーデン&エクステリア」専門店のためのＱ&Ａサロン　【月刊エクステリア・ワーク】';
const VIENNA_SUBJECT = '386 - 400021804 - 19., Heiligenstädter Straße 80 - 0819306 - Anfrage Vergabevorschlag';

const expected: Record<string, { from: string; name: string; subject: string; attachments: string[]; text?: string }> = {
  'issue-4567.eml': { from: 'analisismadrid@xxx.org', name: 'Análisis EC Madrid', subject: JP_SUBJECT, attachments: [JP_SUBJECT] },
  'message-1.eml': { from: 'analisismadrid@xxx.org', name: 'Análisis EC Madrid', subject: JP_SUBJECT, attachments: [JP_SUBJECT] },
  'message-1b.eml': { from: 'from@there.com', name: '', subject: VIENNA_SUBJECT, attachments: ['2021_Mängelliste_0819306.xlsx'] },
  'message-1symbols.eml': { from: 'from@there.com', name: '', subject: VIENNA_SUBJECT, attachments: ['Checkliste 10.,DAVIDGASSE 76-80;2;2.pdf'] },
  'message-2.eml': {
    from: 'test@mail.com',
    name: '',
    subject: 'Test bad boundary',
    attachments: ['file.pdf'],
    text: 'This message may contain an attachment in a PDF format.\n\nSpecial Comments\n-\nSee attached document',
  },
  'message-3.eml': { from: 'analisismadrid@xxx.org', name: 'Análisis EC Madrid', subject: '1', attachments: [], text: '1' },
  'message-4-null-bytes.eml': { from: 'a.volga@nami-ag.ru', name: '', subject: 'активизация виндойс', attachments: ['image001.png'] },
  'message-5-iso-2022-jp.eml': { from: 'noreply@example.org', name: 'アマゾン', subject: 'ご注文商品を本日お届けします', attachments: [], text: '※ アマゾン 配送部' },
};

describe('FreeScout raw messages', () => {
  const files = readdirSync(FREESCOUT).filter((file) => file.endsWith('.eml')).sort();

  it('the table covers every message in the folder', () => {
    expect(files).toEqual(Object.keys(expected).sort());
  });

  it.each(files)('%s: sender, subject and attachment names as the message says', async (file) => {
    const mail = await parseMail(readFileSync(FREESCOUT + file));
    const want = expected[file]!;
    expect(mail.from).toEqual({ address: want.from, name: want.name });
    expect(mail.subject).toBe(want.subject);
    expect(mail.attachments.map((attachment) => attachment.filename)).toEqual(want.attachments);
    const text = stripEmailHistory(mail.text);
    if (want.text !== undefined) expect(text).toBe(want.text);
    expect(text).not.toContain('\u0000');
    expect(classifyAutomatedMail(mail)).toEqual({ autoReply: false, bounce: false, reasons: [] });
    expect(mail.messageId).toMatch(/^<[^<>\s]+>$/);
  });

  it('message-4 keeps its Russian body text, NUL bytes removed', async () => {
    const mail = await parseMail(readFileSync(`${FREESCOUT}message-4-null-bytes.eml`));
    expect(mail.text).toContain('Уважаемые системные администраторы');
    expect(mail.messageId).toBe('<000d01dcbc24$795cc640$6c1652c0$@nami-ag.ru>');
  });
});
