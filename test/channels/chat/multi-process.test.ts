import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/backends.js';
import { waitFor } from '../../support/hub.js';
import { killAll, startHubProcess } from '../../support/processes.js';
import { chatEnv, openStream, Sdk } from './support.js';

const serverUrl = process.env['TEST_DATABASE_URL'];
let database: TestDatabase | undefined;
afterAll(async () => {
  killAll();
  await database?.drop();
});

describe.skipIf(!serverUrl)('chat across hub processes on one PostgreSQL server (skipped without TEST_DATABASE_URL)', () => {
  it('a client connected to process A receives a reply stored by process B', async () => {
    database = await createTestDatabase('postgres');
    const a = await startHubProcess({ ...database.env, ...chatEnv });
    const b = await startHubProcess({ ...database.env, ...chatEnv });
    const sdk = new Sdk(`http://127.0.0.1:${a.port}`);
    await sdk.identify('roaming-user');
    const start = await sdk.startConversation('is anyone there?', 'mp-1');
    const stream = await openStream(sdk.streamUrl(start.body['message']['cursor']));
    await waitFor(() => stream.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready on A');
    await b.call({ type: 'reply', conversationId: start.body['conversation']['id'], sourceMessageId: 'from-b', text: 'Answered by process B' });
    const frame = await waitFor(
      () => stream.frames.find((f) => f['type'] === 'message' && f['message']['text'] === 'Answered by process B'),
      15_000,
      'the reply on A',
    );
    expect(frame['message']['direction']).toBe('outbound');
    await stream.close();
    await Promise.all([a.call({ type: 'stop' }).catch(() => {}), b.call({ type: 'stop' }).catch(() => {})]);
  });
});
