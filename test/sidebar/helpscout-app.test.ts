import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { product } from '../../integrations/product/index.js';
import { stripe } from '../../integrations/stripe/index.js';
import { mintPageToken, tokenKey } from '../../src/sidebar/app-token.js';
import { phpSignedQuerySignature, startFakeHelpScout, type FakeHelpScout } from '../fakes/helpscout/index.js';
import { APP_SECRET, CALLBACK_PARAM, LEGACY_SECRET, askCard, conversationFor, pageToken, seedStripeCustomer, startAppWorld, type AppWorld } from './app-support.js';
import { dynamicAppBody, helpScoutCardHtml } from './support.js';

/**
 * GET /sidebar/helpscout/app, Help Scout's App Developer Platform page, over real HTTP: signed
 * by the fake sidebar host the documented (PHP) way; data from a fake Stripe and the product's
 * endpoint, whose requests are counted to show a refused page fetched nothing.
 */
describe('Help Scout sidebar app: signed page, card token, data rules', () => {
  let world: AppWorld;

  beforeAll(async () => {
    // Both kinds of app share the mailbox list (101 is the Dynamic App body's default mailbox).
    world = await startAppWorld({ HELPSCOUT_SIDEBAR_MAILBOX_IDS: '85,101' });
  });
  afterAll(() => world?.stop());

  const page = (url: string) => fetch(url);

  it('serves a verified page framed only by Help Scout: CSP frame-ancestors, no X-Frame-Options, no inline script, no data in the page', async () => {
    seedStripeCustomer(world.fake, 'frame@pancake.example', 'Frame Foods');
    const url = world.host.signedUrl(conversationFor(501, { email: 'frame@pancake.example' }));
    expect(url).toContain(`${CALLBACK_PARAM[0]}=`); // the operator's own parameter rides along unsigned
    const response = await page(url);
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain('frame-ancestors https://secure.helpscout.net');
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
    const html = await response.text();
    expect([...html.matchAll(/<script\b([^>]*)>/g)].every(([, attributes]) => /\bsrc=/.test(attributes!))).toBe(true);
    expect(html).not.toContain('frame@pancake.example');
    expect(html).not.toContain('Frame Foods');
    expect(html).not.toContain(APP_SECRET);
    pageToken(html);
    // Elsewhere helmet's defaults stay: the legacy callback info page still refuses framing.
    expect((await fetch(`${world.base}/sidebar/helpscout`)).headers.get('x-frame-options')).toBe('SAMEORIGIN');
  });

  it('valid signature → the card for the conversation’s customer (plan, renewal, seats); the side panel token gives the full view', async () => {
    const { customer } = seedStripeCustomer(world.fake, 'jane@pancake.example', 'Pancake Palace GmbH');
    const html = await (await page(world.host.signedUrl(conversationFor(502, { email: 'jane@pancake.example' })))).text();
    const answer = await askCard(world.base, pageToken(html), { view: 'sidebar', email: 'jane@pancake.example', emails: ['jane@pancake.example'], name: 'Jane Doe' });
    expect(answer.status).toBe(200);
    const card = (await answer.json()) as { html: string; kind: string; panelToken: string };
    expect(card.kind).toBe('account');
    expect(card.html).toContain('<bdi>Pancake Palace GmbH</bdi>');
    expect(card.html).toContain('Team · €588.00 / month');
    expect(card.html).toContain('<dt>Renews</dt>');
    expect(card.html).toContain('12 in plan');
    expect(card.html).not.toContain('dashboard.stripe.com'); // links are for the side panel

    // The panel token carries the bound customer: the body's word is ignored.
    const full = await askCard(world.base, card.panelToken, { view: 'panel', email: 'someone-else@pancake.example' });
    expect(full.status).toBe(200);
    const panel = (await full.json()) as { html: string; panelToken?: string };
    expect(panel.html).toContain(`https://dashboard.stripe.com/test/customers/${customer.id}`);
    expect(panel.html).toContain('<bdi>Pancake Palace GmbH</bdi>');
    expect(panel.panelToken).toBeUndefined();
  });

  it('refuses missing, wrong, other-secret, changed and reordered signatures with a small page and fetches nothing', async () => {
    seedStripeCustomer(world.fake, 'victim@pancake.example', 'Victim Waffles');
    const conversation = conversationFor(503, { email: 'victim@pancake.example' });
    const good = new URL(world.host.signedUrl(conversation));
    const without = new URL(good);
    without.searchParams.delete('X-HelpScout-Signature');
    const wrong = new URL(good);
    wrong.searchParams.set('X-HelpScout-Signature', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    const otherSecret = new URL(world.host.signedUrl(conversation, { secret: 'another-apps-secret-0123456789' }));
    const changed = new URL(good);
    changed.searchParams.set('conversation-id', '504');
    // Swapping two signed parameters changes the JSON the PHP sample signs (key order is kept).
    const reordered = new URL(good);
    const entries = [...good.searchParams];
    const [a, b] = [entries.findIndex(([n]) => n === 'conversation-id'), entries.findIndex(([n]) => n === 'mailbox-id')];
    [entries[a], entries[b]] = [entries[b]!, entries[a]!];
    reordered.search = new URLSearchParams(entries).toString();
    const before = world.callsFor('victim@pancake.example');
    for (const [what, url] of Object.entries({ without, wrong, otherSecret, changed, reordered })) {
      const response = await page(url.toString());
      expect(response.status, what).toBe(401);
      expect(response.headers.get('content-security-policy'), what).toContain('frame-ancestors https://secure.helpscout.net');
      const html = await response.text();
      expect(html, what).toContain('Support Hub could not verify that this page was opened by Help Scout');
      expect(html, what).not.toContain('hub-card-token');
      expect(html, what).not.toMatch(/Victim|victim@|at .*\.ts:\d+/);
    }
    // The same page, validly signed, works: the refusals were about the signature alone.
    expect((await page(good.toString())).status).toBe(200);
    // No card endpoint call without a token from a verified page, nor with a forged or foreign one.
    for (const token of [null, 'hsa1.e30.AAAA', pageTokenOfOtherApp()]) {
      const refused = await askCard(world.base, token, { email: 'victim@pancake.example' });
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('Victim');
    }
    expect(world.callsFor('victim@pancake.example')).toBe(before);
    expect(before).toBe(0);
  });

  it('binds a page token to the first customer asked for: a second customer is refused', async () => {
    seedStripeCustomer(world.fake, 'first@pancake.example', 'First Crepes');
    const html = await (await page(world.host.signedUrl(conversationFor(505, { email: 'first@pancake.example' })))).text();
    const token = pageToken(html);
    // Without Help Scout's context (it did not arrive in time) nothing is bound yet.
    const empty = (await (await askCard(world.base, token, {})).json()) as { html: string; panelToken?: string };
    expect(empty.html).toContain('No customer email on this conversation yet.');
    expect((await askCard(world.base, token, { email: 'first@pancake.example' })).status).toBe(200);
    expect((await askCard(world.base, token, { email: 'first@pancake.example' })).status).toBe(200);
    const other = await askCard(world.base, token, { email: 'other@pancake.example' });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('card_token_bound');
    expect(world.callsFor('other@pancake.example')).toBe(0);
  });


  it('answers a bad card request body with a clear 4xx and binds nothing: malformed JSON, too large, compressed', async () => {
    seedStripeCustomer(world.fake, 'body@pancake.example', 'Body Waffles');
    const token = pageToken(await (await page(world.host.signedUrl(conversationFor(506, { email: 'body@pancake.example' })))).text());
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${world.base}/sidebar/helpscout/app/card`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers }, body });
    const errorOf = async (response: Response) => ({ status: response.status, code: ((await response.json()) as { error: { code: string } }).error.code });
    expect(await errorOf(await post('{"email": "body@pancake'))).toEqual({ status: 400, code: 'malformed_json' });
    expect(await errorOf(await post(JSON.stringify({ email: 'body@pancake.example', name: 'x'.repeat(17_000) })))).toEqual({ status: 413, code: 'body_too_large' });
    expect(await errorOf(await post('{}', { 'content-encoding': 'gzip' }))).toEqual({ status: 415, code: 'unsupported_encoding' });
    expect(world.callsFor('body@pancake.example')).toBe(0);
    // None of them bound the token: the first good request is for whoever it names.
    expect((await askCard(world.base, token, { email: 'body@pancake.example' })).status).toBe(200);
  });
  it('refuses an expired card token, and shows no card in a mailbox the app is not enabled for', async () => {
    const expired = mintPageToken(tokenKey(APP_SECRET), { conversationId: '510', mailboxId: '85' }, Date.now() - 11 * 60_000);
    const refused = await askCard(world.base, expired, { email: 'expired@pancake.example' });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain('expired');
    const elsewhere = await page(world.host.signedUrl({ ...conversationFor(511, { email: 'elsewhere@pancake.example' }), mailboxId: 86 }));
    expect(elsewhere.status).toBe(200);
    const html = await elsewhere.text();
    expect(html).toContain('Support Hub is not enabled for this mailbox.');
    expect(html).not.toContain('hub-card-token');
    expect(world.callsFor('expired@pancake.example') + world.callsFor('elsewhere@pancake.example')).toBe(0);
  });

  it('checks a signed timestamp parameter when one is present: a stale one is refused', async () => {
    const conversation = conversationFor(506, { email: 'fresh@pancake.example' });
    const fresh = await page(world.host.signedUrl(conversation, { extra: [['timestamp', String(Math.floor(Date.now() / 1000))]] }));
    expect(fresh.status).toBe(200);
    const stale = await page(world.host.signedUrl(conversation, { extra: [['timestamp', String(Math.floor(Date.now() / 1000) - 3600)]] }));
    expect(stale.status).toBe(401);
    expect(await stale.text()).toContain('older than 5 minutes');
  });

  it('shows an unverified sender’s card without account data and asks neither Stripe nor the product', async () => {
    const email = 'claimed@pancake.example';
    seedStripeCustomer(world.fake, email, 'Claimed Account Inc');
    world.productEndpoint.accounts.set(email, { company: 'Claimed Account Inc' });
    await world.t.hub.ingest({
      channel: 'chat',
      source: 'chat:app1',
      sourceMessageId: 'app-anon-1',
      thread: { key: 'app-anon-1' },
      contact: { identityKind: 'chat', identityKey: 'app1:visitor-app-1', email, name: 'Visitor who typed an email', verified: false },
      text: 'What plan am I on?',
    });
    const html = await (await page(world.host.signedUrl(conversationFor(507, { email })))).text();
    const card = (await (await askCard(world.base, pageToken(html), { email })).json()) as { html: string; kind: string; panelToken: string };
    expect(card.kind).toBe('unverified');
    expect(card.html).toContain('<span class="badge red">unverified sender</span>');
    expect(card.html).not.toContain('Claimed Account Inc');
    const panel = (await (await askCard(world.base, card.panelToken, { view: 'panel' })).json()) as { html: string };
    expect(panel.html).not.toContain('Claimed Account Inc');
    expect(world.callsFor(email)).toBe(0);
  });

  it('shows the fuller view in the side panel: recent conversations with urgency, the device and the open escalation', async () => {
    const email = 'history@pancake.example';
    seedStripeCustomer(world.fake, email, 'History Hotcakes');
    const { conversation, message } = await world.t.hub.ingest({
      channel: 'chat',
      source: 'chat:app1',
      sourceMessageId: 'app-history-1',
      thread: { key: 'app-history-1' },
      contact: { identityKind: 'chat', identityKey: 'app1:user-history', email, name: 'Hana History', verified: true },
      text: 'Payroll export fails for everyone',
      metadata: { device: { platform: 'ios', osVersion: 'iOS 18.1', appVersion: '4.2.0' } },
    });
    await world.t.hub.store.db
      .insertInto('triage_results')
      .values({ conversation_id: conversation.id, message_id: message.id, level: 'urgent', score: 9, confidence: 'high', evidence: '[]', classified_text: 'Payroll export fails for everyone', classified_at: new Date() })
      .execute();
    await world.t.hub.store.db
      .insertInto('escalations')
      .values({ id: randomUUID(), conversation_id: conversation.id, policy: 'urgent', level: 'urgent', title: 'Payroll export fails for everyone', status: 'open', opened_at: new Date('2026-12-06T09:30:00Z') })
      .execute();
    const html = await (await page(world.host.signedUrl(conversationFor(509, { email })))).text();
    const card = (await (await askCard(world.base, pageToken(html), { email })).json()) as { html: string; panelToken: string };
    const panel = ((await (await askCard(world.base, card.panelToken, { view: 'panel' })).json()) as { html: string }).html;
    expect(panel).toContain('<dt>Latest</dt><dd><bdi>Payroll export fails for everyone</bdi> <span class="badge red">urgent</span>');
    expect(panel).toContain('<dt>Open escalation</dt><dd><bdi>Payroll export fails for everyone</bdi> <span class="badge red">not acknowledged</span>');
    expect(panel).toContain('urgent · opened 2026-12-06 09:30 UTC');
    expect(panel).toContain('iOS 18.1');
    expect(panel).toContain('dashboard.stripe.com');
    // The sidebar's short view keeps to who, plan and counts.
    expect(card.html).not.toContain('Open escalation');
    expect(card.html).toContain('<dt>Conversations</dt>');
    // The legacy Dynamic App's card is as it was: no escalation line.
    const legacy = await helpScoutCardHtml(world.base, LEGACY_SECRET, dynamicAppBody({ customer: { email, emails: [email] } }));
    expect(legacy).toContain('Payroll export fails for everyone');
    expect(legacy).not.toContain('Open escalation');
  });

  it('says "unavailable" within the budget while Stripe hangs, instead of waiting', async () => {
    seedStripeCustomer(world.fake, 'hang@pancake.example', 'Hanging Grill');
    world.productEndpoint.accounts.set('hang@pancake.example', { company: 'Hanging Grill' });
    const html = await (await page(world.host.signedUrl(conversationFor(508, { email: 'hang@pancake.example' })))).text();
    world.fake.hang = true;
    try {
      const started = Date.now();
      const card = (await (await askCard(world.base, pageToken(html), { email: 'hang@pancake.example' })).json()) as { html: string };
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(card.html).toContain('Hanging Grill');
      expect(card.html).toContain('<span class="badge orange">unavailable</span>');
    } finally {
      world.fake.hang = false;
    }
  });

  it('keeps the legacy Dynamic App working unchanged beside it', async () => {
    seedStripeCustomer(world.fake, 'legacy@pancake.example', 'Legacy Latkes');
    const html = await helpScoutCardHtml(world.base, LEGACY_SECRET, dynamicAppBody({ customer: { email: 'legacy@pancake.example', emails: ['legacy@pancake.example'] } }));
    expect(html).toContain('<h4>Legacy Latkes</h4>');
    expect(html).toContain('Team · €588.00 / month');
  });

  it('serves the bundled script (with Help Scout’s SDK) and the stylesheet', async () => {
    const script = await fetch(`${world.base}/sidebar/helpscout/app/app.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('javascript');
    const text = await script.text();
    expect(text).toContain('GET_APP_CONTEXT'); // the SDK's message names, bundled from npm
    expect(text).toContain('SET_APP_HEIGHT');
    expect((await fetch(`${world.base}/sidebar/helpscout/app/app.css`)).status).toBe(200);
  });
});

/** A token minted for another app (another secret) in the same format. */
function pageTokenOfOtherApp(): string {
  // Same shape as ours but keyed with another secret: its MAC cannot match.
  return `hsa1.${Buffer.from(JSON.stringify({ i: 'x', k: 'page', c: '503', m: '85', x: Date.now() + 60_000 })).toString('base64url')}.${phpSignedQuerySignature('x', [['a', 'b']]).replace(/=+$/, '')}`;
}

describe('Help Scout sidebar app with Mailbox API credentials: the customer comes from Help Scout', () => {
  let world: AppWorld;
  let helpScoutFake: FakeHelpScout;

  beforeAll(async () => {
    helpScoutFake = await startFakeHelpScout();
    world = await startAppWorld(helpScoutFake.env as Record<string, string>, [helpscout, stripe, product]);
  });
  afterAll(async () => {
    await world?.stop();
    await helpScoutFake?.close();
  });

  it('reads the conversation’s customer from the Mailbox API and ignores the email the page sends', async () => {
    seedStripeCustomer(world.fake, 'api-customer@pancake.example', 'API Pancakes');
    seedStripeCustomer(world.fake, 'not-them@pancake.example', 'Someone Else Ltd');
    const { conversationId } = await helpScoutFake.customerWrites({ email: 'api-customer@pancake.example', name: 'Api Customer', subject: 'Renewal?', text: 'When do we renew?' });
    const conversation = { ...conversationFor(Number(conversationId), { email: 'not-them@pancake.example' }), mailboxId: 85 };
    const html = await (await fetch(world.host.signedUrl(conversation))).text();
    const card = (await (await askCard(world.base, pageToken(html), { email: 'not-them@pancake.example' })).json()) as { html: string };
    expect(card.html).toContain('API Pancakes');
    expect(card.html).not.toContain('Someone Else');
    expect(helpScoutFake.requests().some((r) => r.method === 'GET' && r.path.startsWith(`/v2/conversations/${conversationId}`))).toBe(true);
  });
});
