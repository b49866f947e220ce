/**
 * No acknowledgement may ever answer a machine: out-of-office replies, mailing lists and
 * bounces are recognised (RFC 3834, RFC 3464), and our own mail coming back is a loop.
 * Expected values were written from how each sender marks its mail, before the guard existed.
 */
import { describe, expect, it } from 'vitest';
import { classifyAutomatedMail } from '../../../src/channels/email/loop-guard.js';
import { parseMail } from '../../../src/channels/email/parse.js';
import { fixture } from './helpers.js';

const own = { ownDomains: ['hub.example'], ownAddresses: ['support@hub.example'] };

describe('auto-replies and bounces from real senders', () => {
  it.each([
    ['ooo-gmail.eml', true, false, ['Auto-Submitted: auto-replied']],
    ['ooo-outlook.eml', true, false, ['Auto-Submitted: auto-generated', 'X-Auto-Response-Suppress: All', 'subject "Automatic reply: Invoice question"']],
    ['ooo-list-vacation.eml', true, false, ['X-Autoreply: yes', 'Precedence: list', 'List-Unsubscribe present (mailing list)', 'subject "Out of Office: Re: [users] Sync stuck at 99%"']],
    ['bounce-postfix.eml', true, true, ['Auto-Submitted: auto-replied', 'multipart/report; report-type=delivery-status', 'from mailer-daemon@mx.customer.example', 'empty Return-Path', 'subject "Undelivered Mail Returned to Sender"']],
    ['bounce-exchange.eml', false, true, ['multipart/report; report-type=delivery-status', 'from postmaster@contoso.com', 'subject "Undeliverable: Re: Your ticket #4414"']],
    ['bounce-gmail.eml', true, true, ['Auto-Submitted: auto-replied', 'multipart/report; report-type=delivery-status', 'from mailer-daemon@googlemail.com', 'X-Failed-Recipients present', 'empty Return-Path', 'subject "Delivery Status Notification (Failure)"']],
    ['reply-gmail.eml', false, false, []],
    ['reply-outlook.eml', false, false, []],
    ['reply-apple.eml', false, false, []],
  ] as const)('%s → autoReply %s, bounce %s', async (name, autoReply, bounce, reasons) => {
    expect(classifyAutomatedMail(await fixture(name), own)).toEqual({ autoReply, bounce, reasons });
  });
});

async function headersOnly(head: string): Promise<Awaited<ReturnType<typeof parseMail>>> {
  return parseMail(Buffer.from(`${head}\r\n\r\nbody\r\n`));
}

describe('loop guard rules', () => {
  it('Auto-Submitted: no is an ordinary message (RFC 3834 §5.1)', async () => {
    const verdict = classifyAutomatedMail(await headersOnly('From: a@customer.example\r\nAuto-Submitted: no'));
    expect(verdict.autoReply).toBe(false);
  });

  it('a message whose Message-ID is in our own domain is our own mail coming back', async () => {
    const verdict = classifyAutomatedMail(await headersOnly('From: a@customer.example\r\nMessage-ID: <x1@mail.hub.example>'), own);
    expect(verdict).toMatchObject({ autoReply: true, reasons: ['Message-ID in our own domain mail.hub.example'] });
  });

  it('mail from one of our own addresses is a loop', async () => {
    const verdict = classifyAutomatedMail(await headersOnly('From: Support <SUPPORT@hub.example>'), own);
    expect(verdict.reasons).toEqual(['from our own address support@hub.example']);
  });

  it('an empty Return-Path alone counts as a bounce, but not on a marked auto-reply (RFC 3834 §3.3)', async () => {
    expect(classifyAutomatedMail(await headersOnly('Return-Path: <>\r\nFrom: a@customer.example')).bounce).toBe(true);
    expect(classifyAutomatedMail(await headersOnly('Return-Path: <>\r\nFrom: a@customer.example\r\nAuto-Submitted: auto-replied')).bounce).toBe(false);
  });

  it('Precedence: bulk, junk and auto_reply are automatic; first-class is not', async () => {
    for (const value of ['bulk', 'junk', 'auto_reply', 'list']) {
      expect(classifyAutomatedMail(await headersOnly(`From: a@c.example\r\nPrecedence: ${value}`)).autoReply).toBe(true);
    }
    expect(classifyAutomatedMail(await headersOnly('From: a@c.example\r\nPrecedence: first-class')).autoReply).toBe(false);
  });

  it('X-Autorespond marks an auto-reply; a customer subject about "out of office" does not', async () => {
    expect(classifyAutomatedMail(await headersOnly('From: a@c.example\r\nX-Autorespond: vacation')).autoReply).toBe(true);
    expect(classifyAutomatedMail(await headersOnly('From: a@c.example\r\nSubject: Out of office mode is broken')).autoReply).toBe(false);
  });
});
