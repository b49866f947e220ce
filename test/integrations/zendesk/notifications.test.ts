import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOp, startHarness, testStore, type Harness } from './support.js';

/**
 * ARCHITECTURE §6: the customer gets exactly one copy. Zendesk's requester triggers, edited with
 * "Tags: contains none of: hub_delivered", stay quiet on tickets the hub created (the hub delivers),
 * and keep mailing on tickets that started in Zendesk (the helpdesk delivers).
 */
describe('Zendesk customer notifications and the hub_delivered tag', () => {
  let db: Awaited<ReturnType<typeof testStore>>;
  let h: Harness;

  beforeAll(async () => {
    db = await testStore();
    h = await startHarness(db.store);
  });
  afterAll(async () => {
    await h?.close();
    await db?.close();
  });
  beforeEach(() => {
    h.fake.setNotifications(true);
    h.fake.setTriggersExcludeHubTag(true);
  });

  const mailTo = (email: string) => h.fake.notifications().filter((n) => n.to === email);

  it('a hub-created ticket gets no Zendesk mail: not on creation, not for an agent reply', async () => {
    const email = `hub-${randomUUID()}@example.com`;
    const outcome = await h.zendesk.write({ ...createOp(randomUUID(), ['From chat']), customer: { email, name: 'Hub Customer', verified: true } });
    await h.fake.agentReply(outcome.externalId!, 'Reply the hub delivers');
    expect(mailTo(email)).toEqual([]);
  });

  it('a ticket that started in Zendesk is mailed by Zendesk: the auto-reply, agent replies, and the hub acknowledgement posted as a public reply', async () => {
    const email = `direct-${randomUUID()}@example.com`;
    const started = await h.fake.customerWrites({ email, subject: 'Help', text: 'Straight to the support address' });
    expect(mailTo(email).map((n) => n.kind)).toEqual(['auto-reply']);
    await h.fake.agentReply(started.conversationId, 'Agent answer');
    const ref = { conversationId: randomUUID(), externalId: started.conversationId, metadata: {} };
    const ack = await h.zendesk.write({ kind: 'reply', ref, key: 'ack', text: 'We got your message and will answer within 4 hours.' });
    expect(mailTo(email).map((n) => [n.kind, n.text])).toEqual([
      ['auto-reply', expect.any(String)],
      ['agent-reply', 'Agent answer'],
      ['agent-reply', 'We got your message and will answer within 4 hours.'],
    ]);
    expect(mailTo(email).at(-1)!.threadId).toBe(ack.threadIds[0]);
    // The customer's own mail is not echoed back to them.
    await h.fake.customerReplies(started.conversationId, 'thanks');
    expect(mailTo(email)).toHaveLength(3);
  });

  it('without the trigger edit Zendesk would mail hub customers too, and checkConnection warns about it', async () => {
    expect((await h.zendesk.checkConnection()).findings).toEqual(expect.arrayContaining([expect.objectContaining({ check: 'customer notifications', ok: true })]));
    h.fake.setTriggersExcludeHubTag(false);
    const email = `unedited-${randomUUID()}@example.com`;
    const outcome = await h.zendesk.write({ ...createOp(randomUUID(), ['From chat']), customer: { email, name: null, verified: false } });
    await h.fake.agentReply(outcome.externalId!, 'Sent twice');
    expect(mailTo(email).map((n) => n.kind)).toEqual(['other', 'agent-reply']);
    const check = await h.zendesk.checkConnection();
    expect(check.ok).toBe(true);
    const notifications = check.findings?.find((f) => f.check === 'customer notifications');
    expect(notifications?.ok).toBe(false);
    expect(notifications?.detail).toContain('Notify requester and CCs of comment update');
    expect(notifications?.detail).not.toContain('Notify all agents');
    expect(notifications?.hint).toContain('Tags contains none of hub_delivered');
  });

  it('with notifications switched off Zendesk mails nobody', async () => {
    h.fake.setNotifications(false);
    const email = `off-${randomUUID()}@example.com`;
    const started = await h.fake.customerWrites({ email, subject: 'Quiet', text: 'hello' });
    await h.fake.agentReply(started.conversationId, 'no mail');
    expect(mailTo(email)).toEqual([]);
  });
});
