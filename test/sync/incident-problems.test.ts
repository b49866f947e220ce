import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zendesk } from '../../integrations/zendesk/index.js';
import { pullRequest } from '../../src/sync/webhooks.js';
import { startFakeZendesk, type FakeZendesk } from '../fakes/zendesk/server.js';
import { backends } from '../support/backends.js';
import { createStaff, StaffClient } from '../support/dashboard.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatMessage } from '../support/inbound.js';

const ADMIN = 'admin-token-0123456789abcdefghij';
const PUBLIC_URL = 'https://hub.acme.example';
const REPORTS = 30;
const NOTE = 'Support Hub: this conversation is part of incident #';

/**
 * Incidents in Zendesk (issue 26, Zendesk half): a hub incident is one problem ticket, and every
 * member conversation's ticket an incident linked to it (`type: incident`, `problem_id`), through
 * the sync engine's durable writes. Staff split and merge re-link the tickets; a merged-away
 * problem is solved only once nothing links to it (solving a problem solves its incidents). An
 * agent solving the problem in Zendesk resolves the hub incident, and each customer gets the
 * hub's follow-up on their own channel once; resolving in the hub solves the problem.
 */
describe.each(backends)('incidents as Zendesk problem tickets on %s', (backend) => {
  let t: TestHub;
  let fake: FakeZendesk;
  let base: string;
  const down: string[] = [];
  let question: string;
  let incident: { id: string; number: number };
  let problemId: string;

  beforeAll(async () => {
    fake = await startFakeZendesk({ updateTicketLimit: null, perTicketLimit: null });
    t = await startTestHub(backend, {
      integrations: [zendesk],
      env: {
        ...fake.env,
        // Budgets generous: this test is about the links, not the vendor's limits.
        ZENDESK_RATE_LIMIT: '100000/60',
        ZENDESK_UPDATE_TICKET_RATE_LIMIT: '100000/60',
        ZENDESK_PER_TICKET_UPDATE_LIMIT: '100000/600',
        HUB_ADMIN_TOKEN: ADMIN,
        HUB_PUBLIC_URL: PUBLIC_URL,
        ESCALATION_TICK_SECONDS: '300',
      },
    });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
    fake.setWebhookTarget(`${base}/webhooks/zendesk`);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await fake?.close();
  });

  const admin = (path: string, body: unknown) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ticketOf = async (conversationId: string) => {
    const row = await t.hub.store.db.selectFrom('sync_conversations').select('external_id').where('conversation_id', '=', conversationId).executeTakeFirst();
    return row?.external_id ? fake.ticket(row.external_id) : null;
  };
  const linkedTo = async (conversationId: string) => {
    const ticket = await ticketOf(conversationId);
    return ticket?.type === 'incident' ? String(ticket.problem_id) : null;
  };
  const notes = async (conversationId: string) => ((await ticketOf(conversationId))?.comments ?? []).filter((c) => !c.public && c.body.startsWith(NOTE)).map((c) => c.body);
  const problemOf = async (incidentId: string) =>
    (await t.hub.store.db.selectFrom('sync_problems').select(['external_id', 'solved_at']).where('incident_id', '=', incidentId).executeTakeFirst()) ?? null;
  const followUps = async (conversationId: string) =>
    (await t.hub.store.db.selectFrom('messages').select('metadata').where('conversation_id', '=', conversationId).where('source', '=', 'hub:incident').execute()).filter(
      (m) => (m.metadata as { incident?: { kind?: string } }).incident?.kind === 'resolved',
    ).length;

  it('makes one problem ticket for 30 outage chats and links all 30 tickets to it, each with one note', async () => {
    for (let i = 0; i < REPORTS; i++) down.push((await t.hub.ingest(chatMessage({ id: `down-${i}`, user: `cust-${i}`, text: 'Your site is down, nobody can log in! urgent' }))).conversation.id);
    question = (await t.hub.ingest(chatMessage({ id: 'q-1', user: 'asker', text: 'How do I download my invoice for March?' }))).conversation.id;
    incident = await waitFor(
      async () => {
        const rows = await t.hub.store.db.selectFrom('incident_conversations as m').innerJoin('incidents as i', 'i.id', 'm.incident_id').select(['i.id', 'i.number']).where('m.conversation_id', 'in', down).execute();
        return rows.length === REPORTS && new Set(rows.map((r) => r.id)).size === 1 ? rows[0]! : null;
      },
      60_000,
      'thirty reports in one incident',
    );
    await waitFor(async () => fake.problems().length === 1 && fake.incidentsOf(String(fake.problems()[0]!.id)).length === REPORTS, 90_000, 'thirty tickets linked to one problem');
    const problem = fake.problems()[0]!;
    problemId = String(problem.id);
    expect(problem).toMatchObject({ external_id: `hub-incident:${incident.id}`, type: 'problem', has_incidents: true, subject: `Incident #${incident.number}: Service outage` });
    expect(problem.tags).toEqual(expect.arrayContaining(['hub_delivered', 'hub_incident']));
    // Its description is for agents: private, and it names the incident page.
    expect(problem.comments).toHaveLength(1);
    expect(problem.comments[0]).toMatchObject({ public: false });
    expect(problem.comments[0]!.body).toContain(`${PUBLIC_URL}/dashboard/incidents/${incident.id}`);
    expect((await problemOf(incident.id))?.external_id).toBe(problemId);
    for (const id of down) {
      await waitFor(async () => (await notes(id)).length === 1, 30_000, `conversation ${id} noted`);
      expect(await linkedTo(id)).toBe(problemId);
    }
    // The problem is never imported as a conversation, and the unrelated question is not linked.
    expect(await t.hub.store.db.selectFrom('conversations').select('id').where('channel', '=', 'helpdesk').execute()).toEqual([]);
    await waitFor(async () => (await ticketOf(question)) !== null, 30_000, 'the unrelated question at Zendesk');
    expect((await ticketOf(question))!).toMatchObject({ type: null, problem_id: null });
    // Staff find it in Zendesk from the incident's page.
    const account = await createStaff(t.hub, 'triage');
    const staff = new StaffClient(base);
    expect((await staff.login(account.email, account.password)).status).toBe(303);
    expect(await (await staff.get(`/dashboard/incidents/${incident.id}`)).text()).toContain(`In zendesk: problem ticket #${problemId}`);
    // No customer was mailed by Zendesk about any of it (the hub delivers), and one problem only.
    expect(fake.notifications()).toEqual([]);
    expect(fake.problems()).toHaveLength(1);
  });

  it('re-links tickets on split and merge, and solves a merged-away problem only once nothing links to it', async () => {
    const moved = down.slice(REPORTS - 3);
    // The first link's answer is lost: it is looked up before anything is sent again.
    fake.loseNextResponses(1, { method: 'PUT' });
    const split = await admin(`/admin/incidents/${incident.id}/split`, { conversationIds: moved, by: 'Priya' });
    expect(split.status).toBe(201);
    const { incidentId: splitId } = (await split.json()) as { incidentId: string };
    await waitFor(async () => fake.problems().length === 2, 30_000, 'a problem for the split-off incident');
    const second = String(fake.problems()[1]!.id);
    for (const id of moved) await waitFor(async () => (await linkedTo(id)) === second, 30_000, `split-off ${id} linked to the new problem`);
    expect(fake.incidentsOf(problemId)).toHaveLength(REPORTS - 3);

    expect((await admin(`/admin/incidents/${splitId}/merge`, { into: incident.id, by: 'Priya' })).status).toBe(200);
    for (const id of moved) await waitFor(async () => (await linkedTo(id)) === problemId, 30_000, `merged-back ${id} linked to the first problem`);
    await waitFor(async () => fake.ticket(second)?.status === 'solved', 30_000, 'the merged-away problem solved');
    // Solved with nothing linked: none of the moved tickets was solved with it.
    expect(fake.incidentsOf(second)).toEqual([]);
    for (const id of moved) expect((await ticketOf(id))!.status).not.toBe('solved');
    expect(fake.ticket(second)!.comments.at(-1)).toMatchObject({ public: false });
    expect(fake.ticket(second)!.comments.at(-1)!.body).toContain(`merged into incident #${incident.number}`);
    expect(fake.incidentsOf(problemId)).toHaveLength(REPORTS);
    // Told about incident #first once already: merged back, no second note for it.
    for (const id of moved) expect((await notes(id)).filter((n) => n.includes(`/dashboard/incidents/${incident.id}`))).toHaveLength(1);
  });

  it('resolves the hub incident when the problem is solved in Zendesk: one follow-up per customer, none twice after redeliveries', async () => {
    // Every webhook is delivered twice from here on (same event id, a new invocation).
    fake.setFaults({ webhookDuplicateRate: 1 });
    fake.agentSolve(problemId);
    await waitFor(
      async () => (await t.hub.store.db.selectFrom('incidents').select('status').where('id', '=', incident.id).executeTakeFirstOrThrow()).status === 'resolved',
      30_000,
      'the hub incident resolved',
    );
    for (const id of down) await waitFor(async () => (await followUps(id)) === 1, 30_000, `the follow-up to ${id}`);
    // Zendesk solved the linked incidents with their problem.
    for (const id of down) expect((await ticketOf(id))!.status).toBe('solved');
    // The poll finds the problem again (a lost webhook would be found this way): nothing new.
    await t.hub.queue.enqueue([pullRequest('zendesk', problemId)]);
    await fake.flushWebhooks();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const id of down) expect(await followUps(id)).toBe(1);
    expect(await followUps(question)).toBe(0);
    // Our record says solved, and no second solve was sent.
    await waitFor(async () => (await problemOf(incident.id))?.solved_at != null, 30_000, 'the problem recorded solved');
    expect(fake.ticket(problemId)!.comments.filter((c) => c.body.startsWith('Support Hub:'))).toEqual([]);
    fake.setFaults({ webhookDuplicateRate: 0 });
  });

  it('solves the problem ticket, with a private note, when the incident is resolved in the hub', async () => {
    const more: string[] = [];
    for (let i = 0; i < 3; i++) more.push((await t.hub.ingest(chatMessage({ id: `again-${i}`, user: `later-${i}`, text: 'The site is down again, outage, cannot log in' }))).conversation.id);
    const next = await waitFor(
      async () => {
        const rows = await t.hub.store.db.selectFrom('incident_conversations as m').innerJoin('incidents as i', 'i.id', 'm.incident_id').select(['i.id', 'i.number', 'i.status']).where('m.conversation_id', 'in', more).execute();
        return rows.length === 3 && rows.every((r) => r.status === 'open' && r.id !== incident.id) ? rows[0]! : null;
      },
      30_000,
      'a new incident for the new reports',
    );
    const problem = await waitFor(async () => (await problemOf(next.id))?.external_id ?? null, 30_000, 'its problem');
    for (const id of more) await waitFor(async () => (await linkedTo(id)) === problem, 30_000, `${id} linked`);
    expect((await admin(`/admin/incidents/${next.id}/resolve`, { text: 'The database failover finished.', by: 'Priya' })).status).toBe(200);
    await waitFor(async () => fake.ticket(problem)?.status === 'solved', 30_000, 'the problem solved');
    const solving = fake.ticket(problem)!.comments.at(-1)!;
    expect(solving).toMatchObject({ public: false });
    expect(solving.body).toContain('The database failover finished.');
    // Zendesk solved the incidents with it and copied the private note; no customer sees it as a reply.
    for (const id of more) {
      expect((await ticketOf(id))!.status).toBe('solved');
      await waitFor(async () => (await followUps(id)) === 1, 30_000, `the follow-up to ${id}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const agentReplies = await t.hub.store.db.selectFrom('messages').select('id').where('conversation_id', 'in', more).where('author_kind', '=', 'agent').execute();
    expect(agentReplies).toEqual([]);
    expect(fake.problems().filter((p) => p.status !== 'solved')).toEqual([]);
  });
});
