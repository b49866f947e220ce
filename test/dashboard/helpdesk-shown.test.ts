import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helpscout } from '../../integrations/helpscout/index.js';
import { zendesk } from '../../integrations/zendesk/index.js';
import { pushRequest } from '../../src/sync/push.js';
import { AUTH_FAILURES_TO_PAUSE } from '../../src/sync/integration-state.js';
import type { FakeHelpdesk } from '../fakes/helpdesk-fake.js';
import { startFakeHelpScout } from '../fakes/helpscout/server.js';
import { startFakeZendesk } from '../fakes/zendesk/server.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { RecordingChannel, startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

/**
 * Issue 22 item 4: each conversation syncs to exactly one helpdesk (ARCHITECTURE §6), and the
 * dashboard names that one only. With Help Scout and Zendesk both enabled and chat routed to Help
 * Scout, an urgent chat is "in helpscout" on its page, the queue's helpdesk filter offers only
 * helpdesks that hold conversations, and a Zendesk filter does not list the chat. A push for the
 * helpdesk a conversation is not routed to (the triage hook queues one per enabled helpdesk)
 * leaves no trace, paused or not; rows older versions left behind are not shown and are cleared.
 */
describe('the dashboard shows the one helpdesk a conversation syncs to', () => {
  let t: TestHub;
  let fakes: { helpscout: FakeHelpdesk; zendesk: FakeHelpdesk };
  let staff: StaffClient;
  let conversationId: string;
  const chat = new RecordingChannel('chat');

  beforeAll(async () => {
    fakes = { helpscout: await startFakeHelpScout(), zendesk: await startFakeZendesk() };
    t = await startTestHub('pglite', {
      integrations: [helpscout, zendesk],
      channels: [chat],
      env: { ...fakes.helpscout.env, ...fakes.zendesk.env, SYNC_HELPDESK: 'helpscout', ESCALATION_TICK_SECONDS: '300', LOG_LEVEL: 'error' },
    });
    const base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    const account = await createStaff(t.hub, 'triage');
    staff = new StaffClient(base);
    expect((await staff.login(account.email, account.password)).status).toBe(303);
  });
  afterAll(async () => {
    await t?.stop();
    await fakes?.helpscout.close();
    await fakes?.zendesk.close();
  });

  const db = () => t.hub.store.db;
  const rowsOf = (id: string) => db().selectFrom('sync_conversations').select(['integration_id', 'external_id', 'dirty']).where('conversation_id', '=', id).orderBy('integration_id').execute();
  const pushesSettled = () =>
    waitFor(
      async () => (await t.hub.queue.counts()).filter((c) => c.queue === 'sync.push' && ['created', 'retry', 'active'].includes(c.state)).every((c) => c.count === 0),
      30_000,
      'sync pushes settled',
    );
  const helpdeskChoices = (html: string) => [...(html.match(/<select[^>]*name="helpdesk"[\s\S]*?<\/select>/)?.[0] ?? '').matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);

  it('an urgent chat routed to Help Scout is in Help Scout only, and the dashboard says so', async () => {
    const result = await t.hub.ingest(chatMessage({ id: 'route-1', user: 'routed', text: 'Urgent: someone hacked our account and the payroll export is broken, nobody can get paid!' }));
    conversationId = result.conversation.id;
    await waitFor(async () => (await rowsOf(conversationId)).some((r) => r.integration_id === 'helpscout' && r.external_id), 30_000, 'created in Help Scout');
    await waitFor(() => db().selectFrom('escalations').select('id').where('conversation_id', '=', conversationId).executeTakeFirst(), 30_000, 'escalation opened');
    await pushesSettled();
    expect((await rowsOf(conversationId)).map((r) => r.integration_id)).toEqual(['helpscout']);
    expect(fakes.zendesk.conversations()).toEqual([]);

    const page = await staff.page(`/dashboard/conversations/${conversationId}`);
    expect(page).toMatch(/· in helpscout #\w+/);
    expect(page).not.toContain('in zendesk');

    const queue = await staff.page('/dashboard/queue?status=any');
    expect(helpdeskChoices(queue)).toEqual(['any', 'helpscout']);
    expect(queue).toContain(`/dashboard/conversations/${conversationId}`);
    expect(queue).toContain('→ helpscout');
    expect(await staff.page('/dashboard/queue?status=any&helpdesk=helpscout')).toContain(`/dashboard/conversations/${conversationId}`);
    expect(await staff.page('/dashboard/queue?status=any&helpdesk=zendesk')).not.toContain(`/dashboard/conversations/${conversationId}`);
  });

  it('a push for Zendesk while Zendesk is paused does not mark the Help Scout conversation as waiting for Zendesk', async () => {
    for (let i = 0; i < AUTH_FAILURES_TO_PAUSE; i++) await t.hub.sync.states.authFailed('zendesk', 'test: token revoked', new Date());
    expect((await t.hub.sync.states.all())['zendesk']?.status).toBe('needs_reauth');
    await t.hub.queue.enqueue([pushRequest('zendesk', conversationId)]);
    await pushesSettled();
    expect((await rowsOf(conversationId)).map((r) => r.integration_id)).toEqual(['helpscout']);
    await t.hub.sync.states.resume('zendesk');
  });

  it('a row an older version left for Zendesk (nothing there) is not shown, and the next push for Zendesk clears it', async () => {
    await db().insertInto('sync_conversations').values({ integration_id: 'zendesk', conversation_id: conversationId, dirty: false }).execute();
    const page = await staff.page(`/dashboard/conversations/${conversationId}`);
    expect(page).not.toContain('in zendesk');
    expect(helpdeskChoices(await staff.page('/dashboard/queue?status=any'))).toEqual(['any', 'helpscout']);
    expect(await staff.page('/dashboard/queue?status=any&helpdesk=zendesk')).not.toContain(`/dashboard/conversations/${conversationId}`);

    // Older versions also marked it dirty while Zendesk was paused: that row would be re-queued by
    // every reconciliation round. The push finds the route and removes the empty row.
    await db().updateTable('sync_conversations').set({ dirty: true }).where('integration_id', '=', 'zendesk').where('conversation_id', '=', conversationId).execute();
    await t.hub.queue.enqueue([pushRequest('zendesk', conversationId)]);
    await pushesSettled();
    expect((await rowsOf(conversationId)).map((r) => r.integration_id)).toEqual(['helpscout']);
    expect(fakes.zendesk.conversations()).toEqual([]);
  });
});
