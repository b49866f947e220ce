import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../integrations/github/index.js';
import { helpscout } from '../../integrations/helpscout/index.js';
import { zendesk } from '../../integrations/zendesk/index.js';
import { helpdeskChatAddress } from '../../src/capabilities/helpdesk.js';
import { HubError } from '../../src/errors.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/github/index.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';
import { startFakeZendesk } from '../fakes/zendesk/server.js';
import { chatEnv, Sdk } from '../channels/chat/support.js';
import { backends } from '../support/backends.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { filesMentioning, whereMentioned } from '../support/person-scan.js';
import { smtpSink } from '../support/smtp-sink.js';
import { readZip } from '../support/zip.js';

const CONFIG = `sync:
  helpdesk: helpscout
  routes:
    "email:support@acme.example": zendesk
escalation:
  policies:
    - name: urgent
      match: { levels: [urgent] }
      steps:
        - { after: 0, targets: [github] }
`;

const LEE = { email: 'lee.park@example.com', name: 'Lee Park', user: 'lee-7' };
const SAM = { email: 'sam.other@example.com', name: 'Sam Other', user: 'sam-9' };
const PAYSLIP = Buffer.from('%PDF-1.4 payslip of Lee Park for November, net 3,210.00\n%%EOF\n');

/**
 * Issue 27's must-show: one person seeded across chat (an identified SDK user with a device),
 * email with an attachment, triage, an escalation to GitHub, an incident shared with a second
 * person, and both helpdesks (chat syncs to Help Scout, the mailbox to Zendesk). The export holds
 * exactly the first person's data; the erasure leaves no row, byte or file that names them —
 * checked by scanning every table (pg-boss's too) and the data directory, not by asking the code
 * that erased — leaves the second person as they were, and both fakes report their deletions.
 */
describe.each(backends)('customer data rights on %s', (backend) => {
  let t: TestHub;
  let fakes: { helpscout: FakeHelpdesk; zendesk: FakeHelpdesk };
  let gh: FakeGitHub;
  let sink: Awaited<ReturnType<typeof smtpSink>>;
  let base: string;
  const lee = { conversations: [] as string[] };
  const sam = { conversations: [] as string[] };

  beforeAll(async () => {
    [fakes, gh, sink] = await Promise.all([
      Promise.all([startFakeHelpScout(), startFakeZendesk()]).then(([helpscoutFake, zendeskFake]) => ({ helpscout: helpscoutFake, zendesk: zendeskFake })),
      startFakeGitHub(),
      smtpSink(),
    ]);
    const configPath = join(mkdtempSync(join(tmpdir(), 'hub-privacy-')), 'hub.yaml');
    writeFileSync(configPath, CONFIG);
    t = await startTestHub(backend, {
      integrations: [helpscout, zendesk, github],
      env: {
        ...fakes.helpscout.env,
        ...fakes.zendesk.env,
        ...gh.env,
        ...chatEnv,
        HUB_CONFIG: configPath,
        MAIL_INBOUND_ADDRESS: 'support@acme.example',
        MAIL_REPLY_SECRET: 'reply-secret-0123456789abcdef',
        SMTP_PORT: '0',
        SMTP_HOST: '127.0.0.1',
        MAIL_SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
        MAIL_FROM: 'Acme Support <support@acme.example>',
        ESCALATION_TICK_SECONDS: '300',
      },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
    await Promise.all([fakes?.helpscout.close(), fakes?.zendesk.close(), gh?.close(), sink?.close()]);
  });

  const db = () => t.hub.store.db;

  const pushToken = (person: typeof LEE, clientId: string) => `fcm-${person.user}-${clientId}`;

  async function chatAs(person: typeof LEE, text: string, clientId: string): Promise<string> {
    const sdk = new Sdk(base);
    await sdk.identify(person.user, { email: person.email, name: person.name });
    // The app registered the phone for push notifications (PUT /v1/push-token): a device token is theirs too.
    expect((await sdk.call('PUT', '/v1/push-token', { token: pushToken(person, clientId), platform: 'android' })).status).toBe(204);
    const res = await sdk.startConversation(text, clientId);
    expect(res.status).toBe(201);
    return res.body['conversation']['id'] as string;
  }

  async function mailAs(person: typeof LEE, subject: string, text: string, attachment?: Buffer): Promise<string> {
    const client = nodemailer.createTransport({ host: '127.0.0.1', port: t.hub.smtpPort!, secure: false, ignoreTLS: true });
    const messageId = `<${subject.replace(/\W+/g, '-')}-${person.user}@example.com>`;
    await client.sendMail({
      from: `${person.name} <${person.email}>`,
      to: 'support@acme.example',
      subject,
      text,
      messageId,
      ...(attachment ? { attachments: [{ filename: 'payslip.pdf', content: attachment, contentType: 'application/pdf' }] } : {}),
    });
    client.close();
    const row = await waitFor(() => db().selectFrom('mail_message_ids').select('conversation_id').where('message_id', '=', messageId).executeTakeFirst(), 20_000, `mail ${messageId} stored`);
    return row.conversation_id;
  }

  const syncedEverywhere = (ids: string[]) =>
    waitFor(
      async () => {
        const rows = await db().selectFrom('sync_conversations').select(['conversation_id', 'external_id', 'dirty']).where('conversation_id', 'in', ids).execute();
        return rows.filter((r) => r.external_id && !r.dirty).length === ids.length;
      },
      60_000,
      'every conversation in its helpdesk',
    );

  it('seeds two people across chat, email, triage, an escalation, an incident and both helpdesks', async () => {
    lee.conversations.push(await chatAs(LEE, 'URGENT: the payroll export is broken and nobody at our company can get paid today!', 'lee-1'));
    lee.conversations.push(await chatAs(LEE, 'Your site is down! Nobody can log in.', 'lee-2'));
    lee.conversations.push(await mailAs(LEE, 'Payslip wrong', 'My payslip for November shows the wrong net amount, see attached.', PAYSLIP));
    sam.conversations.push(await chatAs(SAM, 'The service is down for all our users too.', 'sam-1'));
    sam.conversations.push(await mailAs(SAM, 'Invoice question', 'How do I download my invoice for March?'));
    await t.hub.reply({ conversationId: lee.conversations[0]!, source: 'helpdesk-test', sourceMessageId: 'agent-1', authorKind: 'agent', authorName: 'Ana', text: 'We are on it, Lee.' });

    await syncedEverywhere([...lee.conversations, ...sam.conversations]);
    await waitFor(() => db().selectFrom('escalation_targets').select('url').where('state', '=', 'opened').where('url', 'is not', null).executeTakeFirst(), 30_000, 'the GitHub issue');
    const incident = await waitFor(
      async () => {
        const members = await db().selectFrom('incident_conversations').select(['conversation_id', 'incident_id']).where('conversation_id', 'in', [lee.conversations[1]!, sam.conversations[0]!]).execute();
        return members.length === 2 && members[0]!.incident_id === members[1]!.incident_id ? members[0]!.incident_id : null;
      },
      30_000,
      'one incident for both outage reports',
    );
    expect(incident).toBeTruthy();
    // The outage is urgent, so the incident is escalated too; its issue quotes the first reports, Lee's among them.
    await waitFor(
      () =>
        db()
          .selectFrom('escalation_targets')
          .innerJoin('escalations', 'escalations.id', 'escalation_targets.escalation_id')
          .select('escalation_targets.url')
          .where('escalations.incident_id', '=', incident)
          .where('escalation_targets.state', '=', 'opened')
          .executeTakeFirst(),
      30_000,
      'the incident’s GitHub issue',
    );
    expect(await db().selectFrom('triage_results').select('conversation_id').where('conversation_id', 'in', lee.conversations).execute()).toHaveLength(3);
    expect(await db().selectFrom('attachments').select('id').execute()).toHaveLength(1);
    expect(fakes.helpscout.conversations().filter((c) => lee.conversations.includes(c.hubConversationId ?? ''))).toHaveLength(2);
    expect(fakes.zendesk.conversations().filter((c) => lee.conversations.includes(c.hubConversationId ?? ''))).toHaveLength(1);
  });

  it('finds the person by email, by chat user and by helpdesk customer id', async () => {
    const byEmail = await t.hub.privacy.find({ email: 'Lee.Park@Example.com' });
    expect(new Set(byEmail.conversationIds)).toEqual(new Set(lee.conversations));
    expect(byEmail.counts).toMatchObject({ conversations: 3, attachments: 1, rawMails: 1, triageResults: 3, incidentMemberships: 1, escalations: 1, helpdeskConversations: 3, chatSessions: 2 });
    const byChat = await t.hub.privacy.find({ chatUser: `acme:${LEE.user}` });
    expect(new Set(byChat.conversationIds)).toEqual(new Set(lee.conversations));
    const zendeskRow = await db().selectFrom('sync_conversations').select('metadata').where('conversation_id', '=', lee.conversations[2]!).executeTakeFirstOrThrow();
    const requesterId = zendesk.capabilities.helpdesk ? t.hub.registry.get('helpdesk', 'zendesk')!.customerIdsIn!(zendeskRow.metadata)[0]! : '';
    const byHelpdesk = await t.hub.privacy.find({ helpdesk: 'zendesk', customerId: requesterId });
    expect(new Set(byHelpdesk.conversationIds)).toEqual(new Set(lee.conversations));
    await expect(t.hub.privacy.find({ email: 'nobody@example.com' })).rejects.toThrow(/nothing in the hub concerns nobody@example.com/);
  });

  it('exports exactly the person’s data: a document per conversation, the attachment, the raw mail, a README', async () => {
    const footprint = await t.hub.privacy.find({ email: LEE.email });
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const summary = await t.hub.privacy.export(footprint, { email: LEE.email }, out, { id: null, email: 'dpo@acme.example' });
    const files = await readZip(Buffer.concat(chunks));
    const names = [...files.keys()].sort();
    expect(names.filter((n) => n.startsWith('conversations/'))).toHaveLength(3);
    expect(names).toEqual(expect.arrayContaining(['README.txt', 'person.json']));
    expect(summary).toMatchObject({ conversations: 3, attachments: 1, rawMails: 1 });

    const payslip = names.find((n) => n.startsWith('attachments/'))!;
    expect(payslip).toMatch(/payslip\.pdf$/);
    expect(files.get(payslip)!.equals(PAYSLIP)).toBe(true);
    const eml = names.find((n) => n.startsWith('mail/'))!;
    expect(files.get(eml)!.toString()).toContain(`From: ${LEE.name} <${LEE.email}>`);

    const documents = names.filter((n) => n.startsWith('conversations/')).map((n) => JSON.parse(files.get(n)!.toString()) as Record<string, any>);
    expect(new Set(documents.map((d) => d['id']))).toEqual(new Set(lee.conversations));
    const texts = documents.flatMap((d) => (d['messages'] as { text: string }[]).map((m) => m.text)).join('\n');
    expect(texts).toContain('the payroll export is broken');
    expect(texts).toContain('Your site is down!');
    expect(texts).toContain('My payslip for November');
    expect(texts).toContain('We are on it, Lee.');
    const urgent = documents.find((d) => d['id'] === lee.conversations[0])!;
    expect(urgent['urgency']).toMatchObject({ level: 'urgent' });
    expect(urgent['escalation']['toldTo'][0]).toMatchObject({ target: 'github', state: 'opened' });
    expect(documents.find((d) => d['id'] === lee.conversations[1])!['incident']).toMatchObject({ status: 'open' });
    const person = JSON.parse(files.get('person.json')!.toString()) as { devicesAndSessions: { device: Record<string, unknown> }[] };
    expect(person.devicesAndSessions[0]!.device).toMatchObject({ platform: 'ios', model: 'iPhone15,2' });
    expect((person as unknown as { pushDevices: { token: string }[] }).pushDevices.map((d) => d.token)).toContain(pushToken(LEE, 'lee-1'));
    expect(files.get('README.txt')!.toString()).toContain('Your data held by our support system');

    // Nothing of the other person.
    const whole = [...files.values()].map((b) => b.toString('latin1')).join('\n');
    for (const needle of [SAM.email, SAM.name, ...sam.conversations, 'How do I download my invoice']) expect(whole).not.toContain(needle);
  });

  it('refuses an erasure without the matching confirmation or for someone unknown, changing nothing', async () => {
    const before = await tableSizes();
    const actor = { id: null, email: 'test' };
    await expect(t.hub.privacy.requestErasure({ query: { email: LEE.email }, confirm: SAM.email, reason: 'test', actor })).rejects.toThrow(/confirmation must repeat lee.park@example.com/);
    await expect(t.hub.privacy.requestErasure({ query: { email: 'nobody@example.com' }, confirm: 'nobody@example.com', reason: 'test', actor })).rejects.toBeInstanceOf(HubError);
    expect(await tableSizes()).toEqual(before);
  });

  it('erases the person everywhere: no row, byte or file names them; the other person is untouched; both helpdesks report their deletions', async () => {
    const footprint = await t.hub.privacy.find({ email: LEE.email });
    const ids = await personIds(lee.conversations, footprint.contacts.map((c) => c.id));
    // Their address, name, chat identity, every id, the address the helpdesk knew their chat by, and their words.
    const words = ['the payroll export is broken', 'My payslip for November', 'We are on it, Lee'];
    const needles = [LEE.email, LEE.name, `acme:${LEE.user}`, pushToken(LEE, 'lee-1'), ...ids, ...footprint.contacts.map((c) => helpdeskChatAddress(c.id)), ...words];
    expect((await whereMentioned(db(), needles)).length).toBeGreaterThan(10);
    const samBefore = await personSnapshot(sam.conversations);
    // Lee's own escalation, and the incident's if it has one (it quotes the first reports, Lee's among them).
    const issueUrls = (
      await db().selectFrom('escalation_targets').select('url').where('state', '=', 'opened').execute()
    ).map((r) => r.url!);
    expect(issueUrls).toHaveLength(2);

    // A pull of one of Lee's helpdesk conversations waiting to run: it names the helpdesk's id, not
    // ours, and would fail on the erased rows (keeping their ids in its error); it goes too.
    const leeAtHelpScout = await db().selectFrom('sync_conversations').select(['integration_id', 'external_id']).where('conversation_id', '=', lee.conversations[0]!).executeTakeFirstOrThrow();
    const pullKey = `${leeAtHelpScout.integration_id}:${leeAtHelpScout.external_id}`;
    await t.hub.queue.enqueue([{ name: 'sync.pull', data: { integrationId: leeAtHelpScout.integration_id, externalId: leeAtHelpScout.external_id! }, singletonKey: pullKey, startAfter: new Date(Date.now() + 3_600_000) }]);
    const waitingPull = (await sql<{ id: string }>`SELECT id FROM pgboss.job WHERE singleton_key = ${pullKey} AND state = 'created'`.execute(db())).rows[0]!.id;
    // (The helpdesk's own deletion webhooks may queue new pulls afterwards; those find nothing.)
    const pullsWaiting = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM pgboss.job WHERE id = ${waitingPull}`.execute(db())).rows[0]!.n);
    expect(await pullsWaiting()).toBe(1);

    const { requestId } = await t.hub.privacy.requestErasure({
      query: { email: LEE.email },
      confirm: LEE.email,
      reason: `Lee Park asked by mail (${LEE.email}) to delete everything`,
      actor: { id: null, email: 'dpo@acme.example' },
    });
    const report = await waitFor(async () => {
      const r = await t.hub.privacy.erasure(requestId);
      return r.state === 'done' ? r : null;
    }, 60_000, 'the erasure to finish');

    expect(await whereMentioned(db(), needles)).toEqual([]);
    expect(await pullsWaiting()).toBe(0);
    expect(filesMentioning(t.database.dataDir, [LEE.email, LEE.name, ...words])).toEqual([]);
    expect(await personSnapshot(sam.conversations)).toEqual(samBefore);

    expect(report.removed).toMatchObject({ conversations: 3, attachments: 1, rawMails: 1 });
    const step = (id: string) => report.helpdesks.find((h) => h.integration === id)!;
    expect(step('helpscout')).toMatchObject({ state: 'done' });
    expect(step('helpscout').done.join(' ')).toMatch(/2 conversations deleted/);
    expect(step('zendesk')).toMatchObject({ state: 'done' });
    expect(step('zendesk').done.join(' ')).toMatch(/permanently deleted/);
    for (const url of issueUrls) expect(report.manual.join('\n')).toContain(`${url} `);
    expect(report.manual.join('\n')).toMatch(/holds the incident the hub escalated, which may quote them/);

    const leftAt = (fake: FakeHelpdesk) =>
      fake.conversations().filter((c) => lee.conversations.includes(c.hubConversationId ?? '') || c.customerEmail === LEE.email || footprint.contacts.some((k) => c.customerEmail === helpdeskChatAddress(k.id)));
    expect(leftAt(fakes.helpscout)).toEqual([]);
    expect(leftAt(fakes.zendesk)).toEqual([]);
    expect(fakes.helpscout.conversations().filter((c) => sam.conversations.includes(c.hubConversationId ?? ''))).toHaveLength(1);
    expect(fakes.zendesk.conversations().filter((c) => sam.conversations.includes(c.hubConversationId ?? ''))).toHaveLength(1);

    // Audited: who, when, why — the why without the person's name or address.
    const audit = await db().selectFrom('audit_log').select(['action', 'staff_email', 'detail']).where('action', 'like', 'privacy.erase%').orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['privacy.erase.requested', 'privacy.erase.done']);
    expect(await db().selectFrom('audit_log').select('action').where('action', '=', 'privacy.export').execute()).toHaveLength(1);
    expect(audit[0]!.staff_email).toBe('dpo@acme.example');
    expect(JSON.stringify(audit[0]!.detail)).toContain('[the person] asked by mail ([the person]) to delete everything');

    // Again: harmless, and nothing is found.
    await expect(t.hub.privacy.find({ email: LEE.email })).rejects.toThrow(/nothing in the hub concerns/);
    await t.hub.privacy.runErasure(requestId);
    expect((await t.hub.privacy.erasure(requestId)).state).toBe('done');
  });

  /** Every id the hub gave the person's rows: contacts, conversations, messages, attachments, escalations. */
  async function personIds(conversationIds: string[], contactIds: string[]): Promise<string[]> {
    const messages = await db().selectFrom('messages').select('id').where('conversation_id', 'in', conversationIds).execute();
    const attachments = await db().selectFrom('attachments').select('id').where('contact_id', 'in', contactIds).execute();
    const escalations = await db().selectFrom('escalations').select('id').where('conversation_id', 'in', conversationIds).execute();
    return [...contactIds, ...conversationIds, ...messages.map((m) => m.id), ...attachments.map((a) => a.id), ...escalations.map((e) => e.id)];
  }

  async function personSnapshot(conversationIds: string[]) {
    return {
      conversations: await db().selectFrom('conversations').select(['id', 'contact_id', 'subject', 'status']).where('id', 'in', conversationIds).orderBy('id').execute(),
      messages: await db().selectFrom('messages').select(['id', 'text']).where('conversation_id', 'in', conversationIds).orderBy('id').execute(),
      triage: await db().selectFrom('triage_results').select(['conversation_id', 'level']).where('conversation_id', 'in', conversationIds).orderBy('conversation_id').execute(),
      incident: await db().selectFrom('incident_conversations').select(['conversation_id', 'incident_id']).where('conversation_id', 'in', conversationIds).execute(),
      synced: await db().selectFrom('sync_conversations').select(['integration_id', 'external_id']).where('conversation_id', 'in', conversationIds).orderBy('integration_id').execute(),
      mail: await db().selectFrom('mail_message_ids').select(['message_id', 'raw']).where('conversation_id', 'in', conversationIds).orderBy('message_id').execute(),
    };
  }

  async function tableSizes(): Promise<Record<string, number>> {
    const sizes: Record<string, number> = {};
    for (const table of ['contacts', 'conversations', 'messages', 'attachments', 'mail_message_ids', 'privacy_requests', 'audit_log', 'sync_conversations'] as const) {
      sizes[table] = Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    }
    return sizes;
  }
});
