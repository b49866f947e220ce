import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { phpSignedQuerySignature } from '../fakes/helpscout/index.js';
import { helpScoutAppSignature, phpJsonEncode, signedParams, verifyHelpScoutAppQuery } from '../../src/sidebar/helpscout-app-signature.js';

/**
 * Help Scout's App Developer Platform signature (developer.helpscout.com/apps/guides/signature-validation):
 * base64 HMAC-SHA1 over `json_encode` of the remaining query parameters, as the guide's PHP sample
 * does. The vectors below were computed with PHP 8.2.36 (Debian php8.2-cli), running the sample's
 * own steps on the query string:
 *
 *   parse_str($qs, $data); unset($data['X-HelpScout-Signature']);
 *   $json = json_encode($data); echo $json, base64_encode(hash_hmac('sha1', $json, $secret, true));
 *
 * (parse_str fills an array exactly as PHP fills $_GET.) They prove the readings our notes mark as
 * inference: `/` written `\/`, non-ASCII as lowercase `\uxxxx` (surrogate pairs above U+FFFF),
 * query order kept, `.`/space in names become `_`, a repeated name keeps its first place and last
 * value, and keys 0…n-1 (or nothing) encode as a JSON list.
 */
const SECRET = 'app-secret-0123456789abcdef';
const PHP_VECTORS: { query: string; json: string; signature: string }[] = [
  { query: 'conversation-id=123456&mailbox-id=85', json: '{"conversation-id":"123456","mailbox-id":"85"}', signature: 'kJoNBCJ0Cx2cAlC/5Np2syTAZQM=' },
  { query: 'mailbox-id=85&conversation-id=123456', json: '{"mailbox-id":"85","conversation-id":"123456"}', signature: 'tPDibnqzXfVq6QTMyA3OF7rXbx4=' },
  {
    query: 'conversation-id=123456&mailbox-id=85&path=%2Fmailbox%2F85%2Ftickets&agent-name=Ren%C3%A9e+%C3%85ngstr%C3%B6m+%F0%9F%98%80',
    json: '{"conversation-id":"123456","mailbox-id":"85","path":"\\/mailbox\\/85\\/tickets","agent-name":"Ren\\u00e9e \\u00c5ngstr\\u00f6m \\ud83d\\ude00"}',
    signature: '93RjC8dkd724rD405jXAcIjYZzk=',
  },
  { query: 'a.b=1&a+c=2&d=%22q%22%5C%0A%7F', json: '{"a_b":"1","a_c":"2","d":"\\"q\\"\\\\\\n\u007f"}', signature: 'OntGkaHvPZQNgja/Q/cpMjUNvks=' },
  { query: '0=x&1=y', json: '["x","y"]', signature: 'GuLTp22XSJGmDLXi5hiJRMBC+oY=' },
  { query: '', json: '[]', signature: 'jPyGfaFU99gdhkBKRsM9gz8jRUI=' },
  { query: 'x=1&y=2&x=3', json: '{"x":"3","y":"2"}', signature: 'u3gEf9stjaW3lhHe1YlVVsvDfH0=' },
  { query: 'a=100%25&b=%zz', json: '{"a":"100%","b":"%zz"}', signature: 'Kjs+YH1TyL+5NyzUFllbEpXghmI=' },
  { query: 'n%C3%B8m=%E6%97%A5%E6%9C%AC&conversation-id=1', json: '{"n\\u00f8m":"\\u65e5\\u672c","conversation-id":"1"}', signature: 'cT5KqwBTT3hVwC0toYUIG3Tsg/I=' },
];

describe('Help Scout app signature: the PHP sample’s serialisation', () => {
  it.each(PHP_VECTORS)('serialises and signs "$query" byte for byte as PHP does', ({ query, json, signature }) => {
    const signed = signedParams(query);
    expect(signed.ok).toBe(true);
    if (!signed.ok) return;
    expect(phpJsonEncode(signed.params)).toBe(json);
    expect(helpScoutAppSignature(SECRET, signed.params)).toBe(signature);
    // …and the query with that signature appended verifies.
    expect(verifyHelpScoutAppQuery(SECRET, `?${query}${query ? '&' : ''}X-HelpScout-Signature=${encodeURIComponent(signature)}`).ok).toBe(true);
  });

  it('differs from JSON.stringify exactly where the notes say (a "/" or a non-ASCII value)', () => {
    const params: [string, string][] = [['path', '/a'], ['name', 'Zoë']];
    expect(phpJsonEncode(params)).not.toBe(JSON.stringify(Object.fromEntries(params)));
    const naive = createHmac('sha1', SECRET).update(JSON.stringify(Object.fromEntries(params))).digest('base64');
    const query = `path=%2Fa&name=Zo%C3%AB&X-HelpScout-Signature=${encodeURIComponent(naive)}`;
    expect(verifyHelpScoutAppQuery(SECRET, query)).toEqual({ ok: false, reason: 'invalid X-HelpScout-Signature' });
  });

  it('leaves out the parameters of the configured callback URL and the signature itself', () => {
    const signature = PHP_VECTORS[0]!.signature;
    const query = `hub-mailbox=support&conversation-id=123456&mailbox-id=85&X-HelpScout-Signature=${encodeURIComponent(signature)}`;
    expect(verifyHelpScoutAppQuery(SECRET, query, new Set(['hub-mailbox'])).ok).toBe(true);
    expect(verifyHelpScoutAppQuery(SECRET, query).ok).toBe(false);
  });

  it('refuses a missing, doubled or wrong signature, a reordered query, PHP array names and bytes that are not UTF-8', () => {
    const { signature } = PHP_VECTORS[0]!;
    expect(verifyHelpScoutAppQuery(SECRET, 'conversation-id=123456&mailbox-id=85')).toEqual({ ok: false, reason: 'missing X-HelpScout-Signature query parameter' });
    const sig = encodeURIComponent(signature);
    expect(verifyHelpScoutAppQuery(SECRET, `conversation-id=123456&mailbox-id=85&X-HelpScout-Signature=${sig}&X-HelpScout-Signature=${sig}`).ok).toBe(false);
    expect(verifyHelpScoutAppQuery('another-secret', `conversation-id=123456&mailbox-id=85&X-HelpScout-Signature=${sig}`).ok).toBe(false);
    expect(verifyHelpScoutAppQuery(SECRET, `mailbox-id=85&conversation-id=123456&X-HelpScout-Signature=${sig}`).ok).toBe(false);
    expect(verifyHelpScoutAppQuery(SECRET, `conversation-id=123457&mailbox-id=85&X-HelpScout-Signature=${sig}`).ok).toBe(false);
    expect(verifyHelpScoutAppQuery(SECRET, `conversation-id[]=1&X-HelpScout-Signature=${sig}`).ok).toBe(false);
    expect(verifyHelpScoutAppQuery(SECRET, `name=%FF&X-HelpScout-Signature=${sig}`).ok).toBe(false);
  });

  it('accepts a base64 "+" that arrived unencoded (read as a space)', () => {
    const { query, signature } = PHP_VECTORS[4]!;
    expect(signature).toContain('+');
    expect(verifyHelpScoutAppQuery(SECRET, `${query}&X-HelpScout-Signature=${signature}`).ok).toBe(true);
  });

  it('agrees with the fake host’s independent PHP-style signer on any query of plain names and arbitrary values, and never throws on garbage', () => {
    const name = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_-]{0,15}$/);
    const value = fc.string({ unit: 'grapheme', maxLength: 40 });
    fc.assert(
      fc.property(fc.uniqueArray(fc.tuple(name, value), { minLength: 1, maxLength: 6, selector: ([n]) => n }), (pairs) => {
        const query = new URLSearchParams(pairs);
        query.append('X-HelpScout-Signature', phpSignedQuerySignature(SECRET, pairs));
        expect(verifyHelpScoutAppQuery(SECRET, query.toString())).toMatchObject({ ok: true });
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (garbage) => {
        expect(verifyHelpScoutAppQuery(SECRET, garbage).ok).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});
