/**
 * The classifier must read only what the customer wrote this time: quoted history and
 * signatures are removed before anything is scored.
 */
import { describe, expect, it } from 'vitest';
import { stripQuotedAndSignature } from '../../src/triage/strip.js';

describe('removing quoted history', () => {
  it('drops lines quoted with ">" wherever they are (inline replies keep the new lines)', () => {
    expect(stripQuotedAndSignature('> is it down?\nYes, since 9:00.\n> anything else?\nNo.')).toBe('Yes, since 9:00.\nNo.');
  });

  it('cuts at "On … wrote:" and everything after it', () => {
    const body = 'Works now.\n\nOn Mon, 3 Jun 2024 at 10:02, Ann <a@example.com> wrote:\nOld text without quote marks';
    expect(stripQuotedAndSignature(body)).toBe('Works now.');
  });

  it('cuts at an Outlook header block (From: followed by Sent:)', () => {
    const body = 'See below.\n\nFrom: Ann Lee <a@example.com>\nSent: Monday, June 3, 2024 10:00\nTo: Support\n\nOld text';
    expect(stripQuotedAndSignature(body)).toBe('See below.');
  });

  it('keeps a line that merely starts with "From:" when no header follows', () => {
    const body = 'From: the billing page, the Pay button does nothing.\nIt started today.';
    expect(stripQuotedAndSignature(body)).toBe(body);
  });

  it('cuts at a forwarded-message marker', () => {
    expect(stripQuotedAndSignature('FYI\n---------- Forwarded message ---------\nOld')).toBe('FYI');
  });
});

describe('removing signatures', () => {
  it('cuts at the "-- " signature delimiter', () => {
    expect(stripQuotedAndSignature('Please call me back.\n-- \nBob\nCritical Care Unit')).toBe('Please call me back.');
  });

  it('cuts at a sign-off alone on its line followed by a short signature block', () => {
    expect(stripQuotedAndSignature('The import fails.\n\nBest regards,\nJane Doe\nOps Lead, Outage Response')).toBe('The import fails.');
  });

  it('keeps a sentence that only begins with a sign-off word', () => {
    const body = 'Thanks, but the site is still down.';
    expect(stripQuotedAndSignature(body)).toBe(body);
  });

  it('keeps the message when a greeting-like "Thanks!" is followed by a long body', () => {
    const body = ['Thanks!', ...Array.from({ length: 8 }, (_, i) => `Line ${i} about the failed sync.`)].join('\n');
    expect(stripQuotedAndSignature(body)).toBe(body);
  });

  it('drops a mobile footer', () => {
    expect(stripQuotedAndSignature('Site is down again\n\nSent from my iPhone')).toBe('Site is down again');
  });
});
