import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { helpdeskChatAddress } from '../../src/capabilities/helpdesk.js';
import { userHash } from '../../src/channels/chat/identity.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { smtpSink } from '../support/smtp-sink.js';
import { chatEnv, IDENTITY_SECRET, Sdk } from '../channels/chat/support.js';
import { dynamicAppBody, postHelpScoutSidebar, testSources } from '../sidebar/support.js';

const SIDEBAR_SECRET = 'dynamic-app-secret-0123456789';

/** Every address a sunk mail was sent to. */
const recipients = (mail: { to?: { value: { address?: string }[] } | { value: { address?: string }[] }[] }) =>
  (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap((t) => t.value.map((v) => v.address ?? ''));

/**
 * Security review, item 1 (high): "any email can be made verified". A user with a valid
 * `user_hash` for their own id claimed `victim@example.com`; the signed Help Scout sidebar then
 * showed the victim's company, plan, card and billing address, and unread-reply mail went to the
 * claimed address. Reproduced here through the real API, sidebar and mail path.
 */
describe('security: identity claims (item 1)', () => {
  const sources = testSources();
  let t: TestHub;
  let base: string;
  let sink: Awaited<ReturnType<typeof smtpSink>>;

  beforeAll(async () => {
    sink = await smtpSink();
    t = await startTestHub('pglite', {
      integrations: [helpscout, ...sources.integrations],
      env: {
        ...chatEnv,
        ...sources.env,
        HELPSCOUT_SIDEBAR_SECRET: SIDEBAR_SECRET,
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
        CHAT_UNREAD_NOTIFY_AFTER_SECONDS: '5',
        ACK_ENABLED: 'false',
      },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
    await sink?.close();
  });

  const card = async (email: string) => {
    const response = await postHelpScoutSidebar(base, SIDEBAR_SECRET, dynamicAppBody({ customer: { email, emails: [] } }));
    expect(response.status).toBe(200);
    return ((await response.json()) as { html: string }).html;
  };

  it('a valid user_hash for one’s own id with the victim’s email beside it: the claim stays unverified, the card shows no billing data', async () => {
    const victim = 'victim@example.com';
    sources.accounts.set(victim, { company: 'Victim Holdings Ltd', plan: { name: 'Scale', interval: 'year', amountMinor: 120000, currency: 'eur' } });
    // The real owner signed in properly once (identity token): the address is proven — for them.
    const owner = new Sdk(base);
    await owner.identify('victim-user', { email: victim, name: 'Real Victim' });
    await owner.startConversation('hello from the owner', 'o-1');
    // The attack, as reproduced by the review.
    const attacker = new Sdk(base);
    const session = await attacker.call('POST', '/v1/sessions', { user: { id: 'attacker-1', email: victim, name: 'Real Victim' }, user_hash: userHash(IDENTITY_SECRET, 'attacker-1') });
    expect(session.status).toBe(201);
    expect(session.body['user']).toMatchObject({ email: victim, verified: false });
    attacker.token = session.body['session_token'];
    const started = await attacker.startConversation('please read me my billing address', 'a-1');
    const conversation = await t.hub.store.db.selectFrom('conversations').select('contact_id').where('id', '=', started.body['conversation']['id']).executeTakeFirstOrThrow();
    // The helpdesk knows the attacker's conversation by the attacker's own contact, never by the victim's address.
    const html = await card(helpdeskChatAddress(conversation.contact_id));
    expect(html).toContain('unverified sender');
    expect(html).not.toContain('Victim Holdings');
    expect(html).not.toContain('Scale');
    // The owner's own conversation still gets the owner's card.
    const ownerContact = await t.hub.store.db.selectFrom('contacts').select('id').where('identity_key', '=', 'acme:victim-user').executeTakeFirstOrThrow();
    expect(await card(helpdeskChatAddress(ownerContact.id))).toContain('Victim Holdings');
  });

  it('an address list or a display name in the email field is refused, so it can never be mailed', async () => {
    for (const email of ['a@example.com, b@example.com', '"Victim" <victim@example.com>']) {
      const res = await new Sdk(base).call('POST', '/v1/sessions', { user: { id: 'lister', email }, user_hash: userHash(IDENTITY_SECRET, 'lister') });
      expect(res.status, email).toBe(400);
    }
  });

  it('an unread agent reply is mailed only to a verified address, never to a user_hash claim', async () => {
    const claimer = new Sdk(base);
    const session = await claimer.call('POST', '/v1/sessions', { user: { id: 'mail-claimer', email: 'someone-else@example.com' }, user_hash: userHash(IDENTITY_SECRET, 'mail-claimer') });
    claimer.token = session.body['session_token'];
    const started = await claimer.startConversation('hi', 'm-1');
    const proven = new Sdk(base);
    await proven.identify('mail-proven', { email: 'proven-user@example.com' });
    const mine = await proven.startConversation('hi', 'p-1');
    for (const [conversationId, key] of [
      [started.body['conversation']['id'], 'r-claimer'],
      [mine.body['conversation']['id'], 'r-proven'],
    ] as const) {
      await t.hub.reply({ conversationId, source: 'test', sourceMessageId: key, authorKind: 'agent', authorName: 'Ana', text: `Reply ${key}`, html: null, metadata: {}, deliveredBy: 'hub' });
    }
    // Wait for the proven user's mail: by then the claimer's unread check has run too.
    const deadline = Date.now() + 60_000;
    while (!sink.mails.some((m) => recipients(m).includes('proven-user@example.com')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(sink.mails.some((m) => recipients(m).includes('proven-user@example.com'))).toBe(true);
    await new Promise((r) => setTimeout(r, 2000));
    expect(sink.mails.filter((m) => recipients(m).includes('someone-else@example.com'))).toEqual([]);
  });
});
