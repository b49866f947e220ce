import { createHmac, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrations } from '../../integrations/index.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { phpSignedQuerySignature } from '../fakes/helpscout/index.js';
import { mintPageToken, tokenKey } from '../../src/sidebar/app-token.js';
import { signedParams } from '../../src/sidebar/helpscout-app-signature.js';

/**
 * Fuzz of every way in that a stranger can reach without credentials (issue 21): each webhook,
 * relay and sidebar endpoint gets 10,000 requests (`npm run test:fuzz`; 2,000 in `npm test`) built by fast-check — random bytes, mutated
 * plausible payloads, plausible JSON, with missing, garbage and well-formed-but-wrong signatures
 * — and the dashboard's cookie and login-form parsers likewise. None may answer 5xx, none may be
 * accepted (2xx) without a valid signature. A further fifth of each endpoint's requests carry a
 * correct signature over the same fuzzed bodies, so the parsers behind the check are fuzzed too
 * (those may be accepted or refused, never a 5xx). Prints one line per endpoint:
 * `fuzz endpoint=… seed=S requests=N 5xx=0 unsigned_accepted=0 signed=M`.
 */
// `npm test` sends 2,000 per endpoint (CI's time budget) from a new seed each run, so runs add up
// to more ground than one fixed sample; `npm run test:fuzz` the full 10,000. Every line and every
// failure names the seed: FUZZ_SEED=… replays a run exactly.
const N = Number(process.env['FUZZ_N'] ?? 2_000);
const SEED = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
const replay = `replay: FUZZ_SEED=${SEED} FUZZ_N=${N} npx vitest run test/security/fuzz.test.ts`;

const secrets = {
  helpscout: 'helpscout-webhook-secret-01234567',
  zendesk: 'emVuZGVzay13ZWJob29rLXNlY3JldA==',
  stripe: 'whsec_fuzzing0123456789abcdef',
  github: 'github-webhook-secret-0123456789',
  pagerduty: 'pagerduty-webhook-secret-012345',
  helpscoutSidebar: 'helpscout-sidebar-secret-0123',
  helpscoutApp: 'helpscout-app-secret-0123456789abcdef',
  zendeskSidebar: 'zendesk-sidebar-token-0123456789abcdef0123456789abcdef',
  mailgun: 'mailgun-signing-key-0123456789abcdef',
  relay: 'relay:relay-password-0123456789',
};

/** What a request to an endpoint looks like when it is real; the fuzzer mutates from these. */
const plausible: Record<string, () => string> = {
  '/webhooks/helpscout': () => JSON.stringify({ id: 123, number: 1, status: 'active', tags: ['hub-0b6c54c4-6a8e-4a36-9a55-2d0d57e5a1f4'], threads: [{ id: 7, type: 'customer' }] }),
  '/webhooks/zendesk': () => JSON.stringify({ type: 'zen:event-type:ticket.comment_added', id: randomUUID(), detail: { id: '5', external_id: null, status: 'OPEN' }, event: { comment: { id: '9', is_public: true, author: { id: '2', is_staff: true } } } }),
  '/webhooks/stripe': () => JSON.stringify({ id: 'evt_1', object: 'event', type: 'customer.subscription.updated', data: { object: { id: 'sub_1', object: 'subscription', customer: 'cus_1' } } }),
  '/webhooks/github': () => JSON.stringify({ action: 'closed', issue: { number: 1, html_url: 'https://github.com/a/b/issues/1', labels: [{ name: 'support-hub' }] }, repository: { full_name: 'acme/support' } }),
  '/webhooks/pagerduty': () => JSON.stringify({ event: { id: 'E1', event_type: 'incident.acknowledged', resource_type: 'incident', occurred_at: new Date().toISOString(), data: { id: 'P1', type: 'incident', incident_key: 'k' } } }),
  '/sidebar/helpscout': () => JSON.stringify({ ticket: { id: 1, number: 2 }, customer: { email: 'jane@example.com', emails: ['jane@example.com'] }, mailbox: { id: 1 } }),
  '/sidebar/zendesk': () => JSON.stringify({ email: 'jane@example.com', name: 'Jane', ticketId: 1 }),
  '/inbound/email/postmark': () => JSON.stringify({ From: 'a@example.com', To: 'support@acme.example', Subject: 'hi', TextBody: 'hello', MessageID: randomUUID(), Headers: [] }),
  '/inbound/email/mailgun': () => new URLSearchParams({ sender: 'a@example.com', recipient: 'support@acme.example', subject: 'hi', 'body-plain': 'hello', timestamp: '1700000000', token: 'x'.repeat(50), signature: 'a'.repeat(64) }).toString(),
  '/inbound/email/mailgun/mime': () => new URLSearchParams({ recipient: 'support@acme.example', 'body-mime': 'From: a@example.com\r\n\r\nhi', timestamp: '1700000000', token: 'x'.repeat(50), signature: 'b'.repeat(64) }).toString(),
  '/inbound/email/sendgrid': () => new URLSearchParams({ from: 'a@example.com', to: 'support@acme.example', subject: 'hi', text: 'hello', envelope: '{"to":["support@acme.example"]}' }).toString(),
};

/** Headers a stranger might send: none, garbage, or the right shape with the wrong secret. */
function headerArbitrary(path: string): fc.Arbitrary<Record<string, string>> {
  const wrong = (secret: string) => fc.string({ maxLength: 200 }).map((body) => createHmac('sha256', `not-${secret}`).update(body).digest('base64'));
  const garbage = fc.oneof(fc.string({ maxLength: 300 }), fc.base64String({ maxLength: 120 }), fc.constant(''), fc.constant('v1=' + '0'.repeat(64)));
  const signature = fc.option(fc.oneof(garbage, wrong(path)), { nil: undefined });
  const contentType = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/plain', 'application/json; charset=latin1');
  return fc.record({ sig: signature, ts: fc.option(fc.oneof(fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())), fc.string({ maxLength: 30 })), { nil: undefined }), ct: contentType, auth: fc.option(fc.oneof(garbage, fc.constant('Basic ' + Buffer.from('relay:wrong').toString('base64'))), { nil: undefined }) }).map(({ sig, ts, ct, auth }) => {
    const headers: Record<string, string> = { 'content-type': ct };
    if (sig !== undefined) {
      for (const name of ['x-helpscout-signature', 'x-zendesk-webhook-signature', 'stripe-signature', 'x-hub-signature-256', 'x-pagerduty-signature', 'x-twilio-email-event-webhook-signature']) headers[name] = sig.replace(/[\r\n]/g, '');
    }
    if (ts !== undefined) {
      headers['x-zendesk-webhook-signature-timestamp'] = ts.replace(/[\r\n]/g, '');
      headers['x-twilio-email-event-webhook-timestamp'] = ts.replace(/[\r\n]/g, '');
    }
    if (auth !== undefined) headers['authorization'] = auth.replace(/[\r\n]/g, '');
    headers['x-helpscout-event'] = 'convo.customer.reply.created';
    headers['x-github-event'] = 'issues';
    headers['x-github-delivery'] = randomUUID();
    return headers;
  });
}

function bodyArbitrary(path: string): fc.Arbitrary<Buffer> {
  const base = plausible[path]!;
  const mutate = fc.tuple(fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.string({ maxLength: 3 })), { maxLength: 6 })).map(([edits]) => {
    const chars = [...base()];
    for (const [at, op, text] of edits) {
      const i = chars.length === 0 ? 0 : at % chars.length;
      if (op === 0) chars.splice(i, 1);
      else if (op === 1) chars.splice(i, 0, text);
      else chars[i] = '"{}[],:0-e\\&='.charAt(at % 13);
    }
    return Buffer.from(chars.join(''));
  });
  return fc.oneof(
    { weight: 3, arbitrary: mutate },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 1500 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((json) => Buffer.from(json)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from(base())) },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '[]', '{}', '"x"', '9'.repeat(400)).map((s) => Buffer.from(s)) },
  );
}

/** How each endpoint's real sender signs (the vendors' documented schemes), for the signed share. */
const signers: Record<string, (body: Buffer) => Record<string, string>> = {
  '/webhooks/helpscout': (body) => ({ 'x-helpscout-event': 'convo.customer.reply.created', 'x-helpscout-signature': createHmac('sha1', secrets.helpscout).update(body).digest('base64') }),
  '/webhooks/zendesk': (body) => {
    const timestamp = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { 'x-zendesk-webhook-signature-timestamp': timestamp, 'x-zendesk-webhook-signature': createHmac('sha256', secrets.zendesk).update(timestamp).update(body).digest('base64') };
  },
  '/webhooks/stripe': (body) => {
    const t = Math.floor(Date.now() / 1000);
    return { 'stripe-signature': `t=${t},v1=${createHmac('sha256', secrets.stripe).update(`${t}.`).update(body).digest('hex')}` };
  },
  '/webhooks/github': (body) => ({ 'x-github-event': 'issues', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': `sha256=${createHmac('sha256', secrets.github).update(body).digest('hex')}` }),
  '/webhooks/pagerduty': (body) => ({ 'x-pagerduty-signature': `v1=${createHmac('sha256', secrets.pagerduty).update(body).digest('hex')}` }),
  '/sidebar/helpscout': (body) => ({ 'x-helpscout-signature': createHmac('sha1', secrets.helpscoutSidebar).update(body).digest('base64') }),
  '/sidebar/zendesk': () => ({ authorization: `Bearer ${secrets.zendeskSidebar}` }),
  '/inbound/email/postmark': () => ({ authorization: `Basic ${Buffer.from(secrets.relay).toString('base64')}` }),
  '/inbound/email/sendgrid': () => ({ authorization: `Basic ${Buffer.from(secrets.relay).toString('base64')}` }),
};

// 10,000 requests per endpoint: ~15 s each on an idle machine, 60 s and more on a busy one.
describe('security: fuzzing every unauthenticated way in', { timeout: 600_000 }, () => {
  let t: TestHub;
  let base: string;
  beforeAll(async () => {
    t = await startTestHub('pglite', {
      integrations,
      env: {
        HELPSCOUT_CLIENT_ID: 'fuzz',
        HELPSCOUT_CLIENT_SECRET: 'fuzz-secret',
        HELPSCOUT_MAILBOX_ID: '1',
        HELPSCOUT_API_BASE: 'http://127.0.0.1:9/v2',
        HELPSCOUT_WEBHOOK_SECRET: secrets.helpscout,
        HELPSCOUT_SIDEBAR_SECRET: secrets.helpscoutSidebar,
        HELPSCOUT_APP_SECRET: secrets.helpscoutApp,
        ZENDESK_SUBDOMAIN: 'fuzz',
        ZENDESK_EMAIL: 'hub@fuzz.example',
        ZENDESK_API_TOKEN: 'fuzz-token',
        ZENDESK_API_BASE: 'http://127.0.0.1:9',
        ZENDESK_WEBHOOK_SECRET: secrets.zendesk,
        ZENDESK_SIDEBAR_TOKEN: secrets.zendeskSidebar,
        SYNC_HELPDESK: 'helpscout',
        STRIPE_SECRET_KEY: 'sk_test_fuzz',
        STRIPE_API_BASE: 'http://127.0.0.1:9',
        STRIPE_WEBHOOK_SECRET: secrets.stripe,
        GITHUB_TOKEN: 'ghp_fuzz',
        GITHUB_REPO: 'acme/support',
        GITHUB_API_BASE: 'http://127.0.0.1:9',
        GITHUB_WEBHOOK_SECRET: secrets.github,
        PAGERDUTY_ROUTING_KEY: 'R'.repeat(32),
        PAGERDUTY_API_BASE: 'http://127.0.0.1:9',
        PAGERDUTY_WEBHOOK_SECRET: secrets.pagerduty,
        MAIL_INBOUND_ADDRESS: 'support@acme.example',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        MAIL_RELAY_BASIC_AUTH: secrets.relay,
        MAILGUN_SIGNING_KEY: secrets.mailgun,
        ACK_ENABLED: 'false',
      },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const stored = async () => {
    const tables = ['deliveries', 'conversations', 'messages', 'contacts', 'staff_sessions'] as const;
    const rows = await Promise.all(tables.map((table) => t.hub.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()));
    return Object.fromEntries(tables.map((table, i) => [table, Number(rows[i]!.n)]));
  };

  /** Sends the samples 16 at a time; returns statuses counted. */
  interface FuzzRequest {
    path: string;
    method?: string;
    headers: Record<string, string>;
    body?: Buffer;
  }

  /** `answered` sees each answer's status and text (the sidebar app's check reads the body). */
  async function send(requests: FuzzRequest[], answered?: (request: FuzzRequest, status: number, text: string) => void): Promise<Map<number, number>> {
    const statuses = new Map<number, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < requests.length) {
          const request = requests[next++]!;
          let status: number;
          try {
            const response = await fetch(base + request.path, {
              method: request.method ?? 'POST',
              redirect: 'manual',
              headers: request.headers,
              ...(request.body !== undefined ? { body: new Uint8Array(request.body) } : {}),
            });
            const text = await response.text();
            status = response.status;
            answered?.(request, status, text);
          } catch {
            status = 0; // a header the client itself refused to send: not the hub's answer
          }
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    return statuses;
  }

  for (const path of Object.keys(plausible)) {
    it(`${path}: ${N} fuzzed requests → no 5xx, nothing accepted without a valid signature, nothing stored`, async () => {
      const before = await stored();
      const samples = fc.sample(fc.record({ headers: headerArbitrary(path), body: bodyArbitrary(path) }), { numRuns: N, seed: SEED });
      const statuses = await send(samples.map((s) => ({ path, ...s })));
      const errors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
      const accepted = [...statuses].filter(([status]) => status >= 200 && status < 300).reduce((sum, [, n]) => sum + n, 0);
      expect(await stored(), replay).toEqual(before);
      // The parsers behind the check: the same kind of bodies, correctly signed.
      const sign = signers[path];
      let signed = new Map<number, number>();
      if (sign) {
        const bodies = fc.sample(bodyArbitrary(path), { numRuns: Math.ceil(N / 5), seed: SEED + 1 });
        signed = await send(bodies.map((body) => ({ path, body, headers: { 'content-type': path.includes('mailgun') || path.includes('sendgrid') ? 'application/x-www-form-urlencoded' : 'application/json', ...sign(body) } })));
      }
      const signedErrors = [...signed].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
      const signedCount = [...signed.values()].reduce((a, b) => a + b, 0);
      process.stdout.write(
        `fuzz endpoint=${path} seed=${SEED} requests=${N} 5xx=${errors} unsigned_accepted=${accepted} statuses=${JSON.stringify(Object.fromEntries(statuses))} signed=${signedCount} signed_5xx=${signedErrors} signed_statuses=${JSON.stringify(Object.fromEntries(signed))}\n`,
      );
      expect(errors, replay).toBe(0);
      expect(accepted, replay).toBe(0);
      expect(signedErrors, replay).toBe(0);
    });
  }

  it(`Help Scout sidebar app: ${N} fuzzed page loads and card calls → no 5xx, no token or card without a valid signature`, async () => {
    // Page loads: query strings mutated from a signed one, random ones, PHP array names, broken
    // percent escapes, the signature repeated or wrong. An unsigned page must never carry a token.
    const name = fc.oneof(fc.constantFrom('conversation-id', 'mailbox-id', 'customer-id', 'X-HelpScout-Signature', 'a[]', 'a[b]', 'a.b', ' x', '%'), fc.string({ maxLength: 12 }));
    const value = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('%', '%E0%A4%A', '%FF', '/', 'Zoë', '😀', '+'), fc.nat().map(String));
    const query = fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) => pairs.map(([n, v]) => (Math.abs(n.length - v.length) % 3 === 0 ? `${n}=${v}` : `${encodeURIComponent(n)}=${encodeURIComponent(v)}`)).join('&'));
    const SIGNED_PARAMS: [string, string][] = [['conversation-id', '123'], ['mailbox-id', '85']];
    const signedQuery = (params: [string, string][]) => `${new URLSearchParams(params)}&X-HelpScout-Signature=${encodeURIComponent(phpSignedQuerySignature(secrets.helpscoutApp, params))}`;
    const mutatedSigned = fc.tuple(fc.nat(), fc.string({ maxLength: 3 })).map(([at, text]) => {
      const base = signedQuery(SIGNED_PARAMS);
      const i = at % base.length;
      return base.slice(0, i) + text + base.slice(i + 1);
    });
    const pages = fc.sample(fc.oneof(query, mutatedSigned, fc.string({ maxLength: 200 })), { numRuns: Math.ceil(N / 2), seed: SEED });
    // Card calls: tokens that are garbage, forged (right shape, wrong key), or the real shape with
    // a bit flipped; bodies fuzzed. None may be answered with a card.
    const key = tokenKey(secrets.helpscoutApp);
    const real = mintPageToken(key, { conversationId: '123', mailboxId: '85' });
    const forged = mintPageToken(tokenKey('another-secret-0123456789abcdef'), { conversationId: '123', mailboxId: '85' });
    const token = fc.oneof(fc.string({ maxLength: 200 }), fc.constant(forged), fc.nat().map((at) => real.slice(0, at % real.length) + (real[at % real.length] === 'A' ? 'B' : 'A') + real.slice((at % real.length) + 1)), fc.constant('hsa1..'), fc.constant(''));
    const cardBody = fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 300 }), fc.constant(JSON.stringify({ view: 'panel', email: 'jane@example.com' })));
    const cards = fc.sample(fc.tuple(token, cardBody), { numRuns: Math.floor(N / 2), seed: SEED + 2 });
    const requests: FuzzRequest[] = [
      ...pages.map((q): FuzzRequest => ({ path: `/sidebar/helpscout/app?${q.replace(/[#\s]/g, '')}`, method: 'GET', headers: {} })),
      ...cards.map(([tok, body]): FuzzRequest => ({ path: '/sidebar/helpscout/app/card', headers: { 'content-type': 'application/json', authorization: `Bearer ${tok.replace(/[\r\n]/g, '')}` }, body: Buffer.from(body) })),
    ];
    let minted = 0;
    const statuses = await send(requests, (request, status, text) => {
      // A token or a card is only right for a page whose signed parameters are the ones Help
      // Scout signed: a mutation that changes nothing PHP reads (hex case, a space for the
      // signature's +) may pass; any other content may not.
      if (status >= 200 && status < 300 && (text.includes('hub-card-token') || text.includes('"html"'))) {
        const asked = request.method === 'GET' ? signedParams(request.path.slice(request.path.indexOf('?'))) : null;
        if (!asked?.ok || JSON.stringify(asked.params) !== JSON.stringify(SIGNED_PARAMS)) minted++;
      }
    });
    // The parsers behind the check: correctly signed pages with fuzzed names and values.
    const signedPages = fc.sample(fc.array(fc.tuple(name, value), { minLength: 1, maxLength: 6 }), { numRuns: Math.ceil(N / 5), seed: SEED + 3 });
    const signed = await send(signedPages.map((params) => ({ path: `/sidebar/helpscout/app?${signedQuery(params)}`, method: 'GET', headers: {} })));
    const errors = [...statuses, ...signed].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(
      `fuzz endpoint=/sidebar/helpscout/app (+/card) seed=${SEED} requests=${N} 5xx=${errors} unsigned_accepted=${minted} statuses=${JSON.stringify(Object.fromEntries(statuses))} signed=${signedPages.length} signed_statuses=${JSON.stringify(Object.fromEntries(signed))}\n`,
    );
    expect(errors, replay).toBe(0);
    expect(minted, replay).toBe(0);
  });

  it(`dashboard cookie and login-form parsers: ${N} fuzzed requests → no 5xx, no login`, async () => {
    const cookie = fc.oneof(fc.string({ maxLength: 200 }), fc.constant('hub_staff=%E0%A4%A'), fc.string({ maxLength: 60 }).map((v) => `hub_staff=${v}; hub_device=${v}`));
    const form = fc.dictionary(fc.constantFrom('email', 'password', 'next', '_csrf', 'x', 'email[]'), fc.oneof(fc.string({ maxLength: 400 }), fc.constant('%'), fc.constant('a'.repeat(5000))));
    const samples = fc.sample(fc.tuple(cookie, form, fc.boolean()), { numRuns: N, seed: SEED });
    const statuses = await send(
      samples.map(([c, f, asGet]): FuzzRequest =>
        asGet
          ? { path: '/dashboard/queue', method: 'GET', headers: { cookie: c.replace(/[\r\n]/g, '') } }
          : { path: '/dashboard/login', headers: { cookie: c.replace(/[\r\n]/g, ''), 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(new URLSearchParams(f).toString()) },
      ),
    );
    const errors = [...statuses].filter(([status]) => status >= 500).reduce((sum, [, n]) => sum + n, 0);
    process.stdout.write(`fuzz endpoint=/dashboard (cookies, login form) seed=${SEED} requests=${N} 5xx=${errors} statuses=${JSON.stringify(Object.fromEntries(statuses))}\n`);
    expect(errors, replay).toBe(0);
    // No fuzzed login ever got in (a success redirects with a session; no staff exist here).
    const logins = await t.hub.store.db.selectFrom('audit_log').select('action').where('action', '=', 'login').execute();
    expect(logins, replay).toEqual([]);
  });
});
