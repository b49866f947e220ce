/**
 * Staff and the classifier read only what the customer wrote this time: the history each mail
 * client quotes below a reply, and the signature, are cut. Expected texts written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { stripEmailHistory } from '../../../src/channels/email/quoted.js';
import { fixture } from './helpers.js';

describe('replies from real clients', () => {
  it.each([
    // Gmail, attribution wrapped over two lines by the client.
    ['reply-gmail.eml', 'Thanks, that fixed it. The export works again.'],
    // Outlook: windows-1252 €/– decoded, sign-off block and the "____ From: Sent:" history cut.
    ['reply-outlook.eml', 'Hi,\n\nthe invoice still shows 119 € instead of 100 € – could you check?'],
    // Apple Mail: "Sent from my iPad" and the "> On … at …, … wrote:" history.
    ['reply-apple.eml', 'Yes, it syncs now after the update.'],
    // HTML-only Outlook reply: clean text from the HTML (no link targets, no image refs, no rule).
    ['html-only-outlook.eml', 'The login works on the new page, thanks.\n\nJonas'],
  ])('%s', async (name, expected) => {
    const mail = await fixture(name);
    expect(stripEmailHistory(mail.text)).toBe(expected);
  });
});

describe('attribution and header styles', () => {
  it.each([
    ['Gmail', 'Done.\n\nOn Mon, Jun 3, 2024 at 10:02 AM Ann Lee <ann@example.com> wrote:\n> old'],
    ['Gmail wrapped over three lines', 'Done.\n\nOn Mon, Jun 3, 2024 at 10:02 AM Ann Lee\n<ann@example.com>\nwrote:\nold'],
    ['Apple Mail', 'Done.\n\nOn 3 Jun 2024, at 10:02, Ann Lee <ann@example.com> wrote:\n\nold'],
    ['Outlook original message', 'Done.\n\n-----Original Message-----\nFrom: Ann\nSent: Monday\nold'],
    ['Outlook rule and header block', 'Done.\n\n________________________________\nFrom: Ann Lee\nSent: Monday, June 3, 2024 10:02\nold'],
    ['German Outlook', 'Done.\n\nVon: Ann Lee <ann@example.com>\nGesendet: Montag, 3. Juni 2024 10:02\nAn: Support\nBetreff: Alt'],
    ['German Gmail', 'Done.\n\nAm Mo., 3. Juni 2024 um 10:02 Uhr schrieb Ann Lee <ann@example.com>:\n> alt'],
    ['French Gmail', 'Done.\n\nLe lun. 3 juin 2024 à 10:02, Ann Lee <ann@example.com> a écrit :\n> ancien'],
    ['Spanish Gmail', 'Done.\n\nEl lun, 3 jun 2024 a las 10:02, Ann Lee (<ann@example.com>) escribió:\n> viejo'],
    ['Outlook mobile footer', 'Done.\n\nGet Outlook for iOS'],
  ])('%s', (_style, body) => {
    expect(stripEmailHistory(body)).toBe('Done.');
  });

  it('keeps a sentence that starts with "On" but is not an attribution', () => {
    const body = 'On Monday the sync failed.\nIt wrote: nothing to the log.';
    expect(stripEmailHistory(body)).toBe(body);
  });

  it('removes NUL bytes and trailing spaces', () => {
    expect(stripEmailHistory('Hello\u0000 there   \nBye')).toBe('Hello there\nBye');
  });
});
