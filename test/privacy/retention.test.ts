import type { Server } from 'node:http';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileLinks } from '../../src/http/file-links.js';
import { REMOVED_BODY_TEXT } from '../../src/privacy/retention/kinds/bodies.js';
import { nextRetentionRun, RETENTION_JOB_ACTOR } from '../../src/privacy/retention/daily-job.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { runRetention, type RetentionRun } from '../../src/privacy/retention/run.js';
import type { RetentionConfig } from '../../src/privacy/retention/config.js';
import { backends } from '../support/backends.js';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { runScript } from '../support/processes.js';
import { chatEnv, Sdk } from '../channels/chat/support.js';
import { expectedRemovals, seedRetentionStore, tableChecksum } from './retention-seed.js';

const DAYS = { rawMimeDays: 365, attachmentDays: 365, closedConversationBodyDays: 400, auditDays: 730 };
const LINK_SECRET = 'retention-test-link-secret-0123';

/** The tables retention may touch, and the columns the metrics, ETA history and threads read. */
const WATCHED = {
  conversations: 'SELECT * FROM conversations',
  messages: 'SELECT * FROM messages',
  mails: 'SELECT * FROM mail_message_ids',
  attachments: 'SELECT * FROM attachments',
  audit: 'SELECT * FROM audit_log',
  acknowledgements: 'SELECT * FROM acknowledgements',
};
const MESSAGE_SHAPE = "SELECT id, position, conversation_id, direction, author_kind, author_name, attachments, source, source_message_id, created_at, delivered_at, read_at, metadata - 'bodyRemoved' AS metadata FROM messages";
const LIVE_CONVERSATION_MESSAGES = "SELECT m.* FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.status <> 'closed'";

const removed = (run: RetentionRun) => Object.fromEntries(run.outcomes.map((o) => [o.kind, o.items]));

describe.each(backends)('retention on %s', (backend) => {
  let t: TestHub;
  let server: Server;
  let config: RetentionConfig;
  const expected = expectedRemovals(DAYS);
  const checksums = async (queries: Record<string, string>) =>
    Object.fromEntries(await Promise.all(Object.entries(queries).map(async ([name, query]) => [name, await tableChecksum(t.hub.store.db, query)])));

  beforeAll(async () => {
    t = await startTestHub(backend, {
      env: {
        ...chatEnv,
        ACK_ENABLED: 'false',
        HUB_PUBLIC_URL: 'http://127.0.0.1',
        HUB_LINK_SECRET: LINK_SECRET,
        RETENTION_RAW_MIME_DAYS: String(DAYS.rawMimeDays),
        RETENTION_ATTACHMENT_DAYS: String(DAYS.attachmentDays),
        RETENTION_CLOSED_BODY_DAYS: String(DAYS.closedConversationBodyDays),
        RETENTION_AUDIT_DAYS: String(DAYS.auditDays),
      },
    });
    await t.hub.listen(0, '127.0.0.1');
    server = t.hub.server()!;
    config = t.hub.loaded.config.retention;
    const started = performance.now();
    await seedRetentionStore(t.hub.store.db);
    console.log(`retention ${backend}: seeded 10,000 conversations in ${Math.round(performance.now() - started)} ms`);
  });
  afterAll(() => t?.stop());

  it('the seed has old open and pending conversations, so "never touched" is tested', () => {
    expect(expected.untouchedLiveOld).toBeGreaterThan(1000);
    expect(expected.bodyConversations).toBeGreaterThan(1000);
  });

  it('a dry run counts exactly what is past its period, per kind, and changes nothing', async () => {
    const before = await checksums(WATCHED);
    const run = await runRetention(t.hub.store, config, { dryRun: true, actor: 'test' });
    console.log(`retention ${backend}: dry run over 10,000 conversations ${run.durationMs} ms`);
    expect(removed(run)).toEqual({ rawMime: expected.rawMime, attachments: expected.attachments, bodies: expected.bodyMessages, auditRows: expected.auditRows });
    expect(run.outcomes.find((o) => o.kind === 'bodies')!.conversations).toBe(expected.bodyConversations);
    expect(run.outcomes.find((o) => o.kind === 'rawMime')!.cutoff!.getTime()).toBe(run.startedAt.getTime() - 365 * 86_400_000);
    expect(await checksums(WATCHED)).toEqual(before);
  });

  it('the run removes exactly those, keeps every row the metrics and threads read, and never touches open conversations', async () => {
    const shapeBefore = await checksums({ messages: MESSAGE_SHAPE, conversations: WATCHED.conversations, acknowledgements: WATCHED.acknowledgements });
    const liveBefore = await tableChecksum(t.hub.store.db, LIVE_CONVERSATION_MESSAGES);
    const auditBefore = await count('SELECT count(*)::int AS n FROM audit_log');
    const run = await runRetention(t.hub.store, config, { dryRun: false, actor: 'test' });
    console.log(`retention ${backend}: run over 10,000 conversations ${run.durationMs} ms`);
    expect(removed(run)).toEqual({ rawMime: expected.rawMime, attachments: expected.attachments, bodies: expected.bodyMessages, auditRows: expected.auditRows });

    // Removed: what the counts say, nothing more.
    expect(await count('SELECT count(*)::int AS n FROM mail_message_ids WHERE raw IS NULL')).toBe(expected.rawMime + 1666); // + the seed's 1,666 mails kept without MIME
    expect(await count('SELECT count(*)::int AS n FROM attachments WHERE octet_length(content) = 0')).toBe(expected.attachments);
    expect(await count(`SELECT count(*)::int AS n FROM messages WHERE text = '${REMOVED_BODY_TEXT}' AND html IS NULL AND metadata ? 'bodyRemoved'`)).toBe(expected.bodyMessages);
    // One new row: this run's, with the counts and no content.
    expect(await count('SELECT count(*)::int AS n FROM audit_log')).toBe(auditBefore - expected.auditRows + 1);
    const row = await t.hub.store.db.selectFrom('audit_log').select(['staff_email', 'detail']).where('action', '=', 'privacy.retention').executeTakeFirstOrThrow();
    expect(row.staff_email).toBe('test');
    expect(row.detail).toMatchObject({ kinds: { bodies: { days: 400, removed: expected.bodyMessages, conversations: expected.bodyConversations }, auditRows: { removed: expected.auditRows } } });
    expect(JSON.stringify(row.detail)).not.toContain('invoice');

    // Kept: every message row with its order, times, direction and metadata; conversations and
    // acknowledgements (metrics, ETA history) as they were; open and pending conversations whole.
    expect(await checksums({ messages: MESSAGE_SHAPE, conversations: WATCHED.conversations, acknowledgements: WATCHED.acknowledgements })).toEqual(shapeBefore);
    expect(await tableChecksum(t.hub.store.db, LIVE_CONVERSATION_MESSAGES)).toBe(liveBefore);
    const marked = await t.hub.store.db.selectFrom('messages').select(['metadata']).where('text', '=', REMOVED_BODY_TEXT).where('direction', '=', 'inbound').executeTakeFirstOrThrow();
    expect(marked.metadata).toMatchObject({ device: { timeZone: 'Europe/Berlin' }, bodyRemoved: { reason: 'retention', at: run.startedAt.toISOString() } });
  });

  it('a second run — the daily durable job — removes nothing and records that', async () => {
    const before = await checksums({ ...WATCHED, audit: "SELECT * FROM audit_log WHERE action <> 'privacy.retention'" });
    await t.hub.queue.enqueue([{ name: 'privacy.retention', data: { day: '2000-01-01' } }]);
    const row = await waitFor(
      () => t.hub.store.db.selectFrom('audit_log').select(['detail']).where('action', '=', 'privacy.retention').where('staff_email', '=', RETENTION_JOB_ACTOR).executeTakeFirst(),
      60_000,
      'the retention job’s audit row',
    );
    expect(row.detail).toMatchObject({ kinds: { rawMime: { removed: 0 }, attachments: { removed: 0 }, bodies: { removed: 0, conversations: 0 }, auditRows: { removed: 0 } } });
    expect(await checksums({ ...WATCHED, audit: "SELECT * FROM audit_log WHERE action <> 'privacy.retention'" })).toEqual(before);
    // Delivered again (at least once), the finished day's job does nothing: still one row.
    await t.hub.queue.enqueue([{ name: 'privacy.retention', data: { day: '2000-01-01' } }]);
    await waitFor(async () => (await count("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'privacy.retention' AND state = 'completed'")) === 2, 60_000, 'the redelivered job');
    expect(await count(`SELECT count(*)::int AS n FROM audit_log WHERE staff_email = '${RETENTION_JOB_ACTOR}'`)).toBe(1);
  });

  it('a run interrupted between batches keeps what it committed, and the next run finishes the rest', async () => {
    await sql`INSERT INTO attachments (id, contact_id, filename, content_type, size, sha256, content, created_at)
      SELECT md5('late-att' || g)::uuid, md5('contact1')::uuid, 'old.txt', 'text/plain', 3, 'x', convert_to('abc', 'UTF8'), now() - interval '500 days'
      FROM generate_series(1, 500) g`.execute(t.hub.store.db);
    const emptied = () => count("SELECT count(*)::int AS n FROM attachments WHERE filename = 'old.txt' AND octet_length(content) = 0");
    let batches = 0;
    await expect(
      runRetention(t.hub.store, config, {
        dryRun: false,
        actor: 'test',
        rowsPerBatch: 100,
        afterBatch: (kind) => {
          if (kind === 'attachments' && ++batches === 2) throw new Error('killed mid-run');
        },
      }),
    ).rejects.toThrow('killed mid-run');
    expect(await emptied()).toBe(200);
    const rerun = await runRetention(t.hub.store, config, { dryRun: false, actor: 'test', rowsPerBatch: 100 });
    expect(removed(rerun)).toEqual({ rawMime: 0, attachments: 300, bodies: 0, auditRows: 0 });
    expect(await emptied()).toBe(500);
  });

  it('a removed attachment answers 410 with a clear message on the SDK and on a signed file link; the message still lists it', async () => {
    const sdk = Sdk.forServer(server);
    await sdk.identify('retention-uploader');
    const upload = await fetch(`${sdk.baseUrl}/v1/attachments?filename=notes.txt`, {
      method: 'POST',
      headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'text/plain' },
      body: 'my account number is 1234',
    });
    expect(upload.status).toBe(201);
    const { attachment } = (await upload.json()) as { attachment: { id: string } };
    const sent = await sdk.startConversation('see the file', 'ret-1');
    const conversationId = sent.body['conversation']['id'] as string;
    await sdk.call('POST', `/v1/conversations/${conversationId}/messages`, { text: 'here', client_id: 'ret-2', attachments: [attachment.id] });
    await sql`UPDATE attachments SET created_at = now() - interval '400 days' WHERE id = ${attachment.id}`.execute(t.hub.store.db);
    expect(removed(await runRetention(t.hub.store, config, { dryRun: false, actor: 'test' })).attachments).toBe(1);

    const download = await sdk.call('GET', `/v1/attachments/${attachment.id}`);
    expect(download.status).toBe(410);
    expect(download.body['error']).toEqual({ code: 'attachment_removed', message: expect.stringContaining('removed under the data retention policy') });
    const link = new URL(new FileLinks('http://127.0.0.1', LINK_SECRET).url(attachment.id));
    const viaLink = await fetch(`${sdk.baseUrl}${link.pathname}${link.search}`);
    expect(viaLink.status).toBe(410);
    expect(((await viaLink.json()) as { error: { code: string } }).error.code).toBe('attachment_removed');
    // The conversation is open: its messages, and the attachment's listing, stay as they were.
    const history = await sdk.call('GET', `/v1/conversations/${conversationId}/messages`);
    expect(JSON.stringify(history.body)).toContain('notes.txt');
    expect(JSON.stringify(history.body)).toContain('see the file');
  });

  it('npm run privacy:retention: beside a running hub on a server it dry-runs; on the embedded store it refuses and names the daily job', async () => {
    const { code, stdout, stderr } = await runScript('src/privacy/cli/retention.ts', ['--dry-run'], { ...t.database.env, LOG_LEVEL: 'silent' });
    if (backend === 'postgres') {
      expect(code, stderr).toBe(0);
      expect(stdout).toContain('nothing was changed');
      expect(stdout).toMatch(/raw MIME\s+0 mails\s+received before \d{4}-\d\d-\d\d \d\d:\d\d UTC \(365 days\)/);
      expect(stdout).toMatch(/message bodies\s+kept forever/);
      expect(stdout).toMatch(/runtime \d+\.\d\d s/);
    } else {
      expect(code).toBe(1);
      expect(stderr).toContain('in use by another hub process');
      expect(stderr).toContain('daily job (privacy.retention');
    }
  });

  async function count(query: string): Promise<number> {
    const result = await sql<{ n: number }>`${sql.raw(query)}`.execute(t.hub.store.db);
    return result.rows[0]!.n;
  }
});

describe('retention settings and schedule', () => {
  const settings = (env: Record<string, string>) => loadConfig([], { LOG_LEVEL: 'silent', ...env }).config.retention;

  it('defaults are conservative: a year for raw MIME and attachments, two for audit rows, bodies kept', () => {
    expect(settings({})).toEqual({ rawMimeDays: 365, attachmentDays: 365, closedConversationBodyDays: 0, auditDays: 730, runHourUtc: 3 });
  });

  it('each kind is settable, and 0 or off keeps it forever', () => {
    expect(settings({ RETENTION_RAW_MIME_DAYS: 'off', RETENTION_ATTACHMENT_DAYS: '30', RETENTION_AUDIT_DAYS: '0' })).toMatchObject({ rawMimeDays: 0, attachmentDays: 30, auditDays: 0 });
  });

  it('removing bodies while their raw MIME stays longer is refused at boot, naming the setting', () => {
    expect(() => settings({ RETENTION_CLOSED_BODY_DAYS: '180' })).toThrow(ConfigError);
    expect(() => settings({ RETENTION_CLOSED_BODY_DAYS: '180' })).toThrow(/RETENTION_RAW_MIME_DAYS|retention\.rawMimeDays/);
    expect(settings({ RETENTION_CLOSED_BODY_DAYS: '180', RETENTION_RAW_MIME_DAYS: '90' }).closedConversationBodyDays).toBe(180);
  });

  it('the daily run is due at the configured hour UTC: later today, or tomorrow once it has passed', () => {
    expect(nextRetentionRun(new Date('2026-03-10T01:59:00Z'), 3).toISOString()).toBe('2026-03-10T03:00:00.000Z');
    expect(nextRetentionRun(new Date('2026-03-10T03:00:00Z'), 3).toISOString()).toBe('2026-03-11T03:00:00.000Z');
    expect(nextRetentionRun(new Date('2026-12-31T22:00:00Z'), 3).toISOString()).toBe('2027-01-01T03:00:00.000Z');
  });
});
