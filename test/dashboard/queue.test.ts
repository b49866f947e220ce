import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedBacklog } from '../bench/dashboard-seed.js';
import { createTestDatabase, type TestDatabase } from '../support/backends.js';
import { StaffClient } from '../support/dashboard.js';
import { startTestHub, type TestHub } from '../support/hub.js';

/**
 * The queue over a backlog (the bench's seed, 120 escalations: 60 open or acknowledged): most
 * urgent first, then the longest waiting; 50 to a page with the total and links that keep the
 * filters; a page past the end says so.
 */
describe('escalation queue over a backlog', () => {
  let database: TestDatabase;
  let t: TestHub;
  let client: StaffClient;

  beforeAll(async () => {
    database = await createTestDatabase('pglite');
    await seedBacklog(database.dataDir, 120);
    t = await startTestHub('pglite', { database, env: { ACK_ENABLED: 'false', ESCALATION_TICK_SECONDS: '300' } });
    client = new StaffClient(`http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`);
    expect((await client.login('bench@hub.test', 'bench-password-0123')).status).toBe(303);
  });
  afterAll(async () => {
    await t?.stop();
    await database?.drop();
  });

  const levelsOf = (html: string) => [...html.matchAll(/<span class="level (\w+)">/g)].map((m) => m[1]);
  const rowsOf = (html: string) => (html.match(/data-escalation=/g) ?? []).length;

  it('pages 50 at a time, most urgent first, with the total and a link to the next page', async () => {
    const first = await client.page('/dashboard/queue');
    expect(rowsOf(first)).toBe(50);
    expect(first).toContain('1–50 of 60 escalations');
    const levels = levelsOf(first);
    const rank = { urgent: 0, high: 1, normal: 2, low: 3 } as Record<string, number>;
    expect(levels.map((l) => rank[l!]!)).toEqual([...levels.map((l) => rank[l!]!)].sort((a, b) => a - b));
    expect(first).toContain('href="/dashboard/queue?level=any&amp;status=waiting&amp;channel=any&amp;helpdesk=any&amp;page=2"');

    const second = await client.page('/dashboard/queue?page=2');
    expect(rowsOf(second)).toBe(10);
    expect(second).toContain('51–60 of 60 escalations');
    expect(second).toContain('rel="prev"');
    expect(second).not.toContain('rel="next"');

    const past = await client.page('/dashboard/queue?page=9');
    expect(rowsOf(past)).toBe(0);
    expect(past).toContain('No escalations on this page');
  });

  it('keeps the filters across pages and in the live-update source', async () => {
    const urgent = await client.page('/dashboard/queue?level=urgent&status=any');
    expect(new Set(levelsOf(urgent))).toEqual(new Set(['urgent']));
    expect(urgent).toContain('30 escalations');
    expect(urgent).toContain('data-live-source="/dashboard/queue?fragment=rows&amp;level=urgent&amp;status=any&amp;channel=any&amp;helpdesk=any&amp;page=1"');
    const fragment = await client.page('/dashboard/queue?fragment=rows&level=urgent&status=any&page=1');
    expect(fragment).not.toContain('<html');
    expect(rowsOf(fragment)).toBe(30);
    expect((await client.get('/dashboard/queue?page=0')).status).toBe(400);
  });
});
