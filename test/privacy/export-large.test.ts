import { createWriteStream, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../support/backends.js';
import { startTestHub, type TestHub } from '../support/hub.js';
import { readZip } from '../support/zip.js';

const MESSAGES = 10_000;

/**
 * The export streams (issue 27: "a customer with 10,000 messages does not need 10,000 messages in
 * memory": the conversation's messages are read 500 at a time as the zip writer asks for them):
 * one person with 10,000 messages of 1 KB in one conversation is exported to a file, and the zip
 * holds every message in order. The time is printed, never asserted.
 */
describe.each(backends)('a 10,000-message export on %s', (backend) => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(backend, { workers: false });
    await sql`INSERT INTO contacts (id, identity_kind, identity_key, email, name) VALUES ('00000000-0000-4000-8000-000000000001', 'email', 'big@example.com', 'big@example.com', 'Big Writer')`.execute(t.hub.store.db);
    await sql`INSERT INTO conversations (id, contact_id, channel, source, thread_key, subject) VALUES ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'email', 'email:support@acme.example', 'big', 'A long story')`.execute(t.hub.store.db);
    await sql`
      INSERT INTO messages (id, conversation_id, direction, author_kind, text, source, source_message_id, created_at)
      SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000002', 'inbound', 'customer',
        'message ' || i || ' ' || repeat('x', 1000), 'email:support@acme.example', 'big-' || i, now() - (${MESSAGES} - i) * interval '1 minute'
      FROM generate_series(1, ${MESSAGES}) AS i`.execute(t.hub.store.db);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('writes every message, in order, without holding them all', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hub-export-')), 'big.zip');
    const started = performance.now();
    const footprint = await t.hub.privacy.find({ email: 'big@example.com' });
    const summary = await t.hub.privacy.export(footprint, { email: 'big@example.com' }, createWriteStream(file), { id: null, email: 'test' });
    const ms = performance.now() - started;
    console.log(`export of ${MESSAGES} messages (${((MESSAGES * 1030) / 1e6).toFixed(1)} MB of text) on ${backend}: ${ms.toFixed(0)} ms, zip ${(statSync(file).size / 1e3).toFixed(0)} kB`);
    expect(summary).toMatchObject({ conversations: 1, messages: MESSAGES });

    const files = await readZip(readFileSync(file));
    const document = JSON.parse(files.get([...files.keys()].find((n) => n.startsWith('conversations/'))!)!.toString()) as { messages: { text: string }[] };
    expect(document.messages).toHaveLength(MESSAGES);
    expect(document.messages.map((m) => Number(m.text.split(' ')[1]))).toEqual(Array.from({ length: MESSAGES }, (_, i) => i + 1));
  });
});
