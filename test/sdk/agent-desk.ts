/**
 * The other side of the Android SDK's JVM tests (sdk/android/test.sh): the fake Help Scout the hub
 * syncs chat to, so an agent's reply takes the path a real one does (the vendor's signed webhook →
 * the hub → the customer's stream), and a receiver for the hub's push webhook. Prints one JSON line
 * `{ control, helpscoutEnv, pushUrl }` when ready; a test drives it over HTTP on `control`:
 *
 * - `POST /webhook-target { url }`: where the fake sends its webhooks (the hub's /webhooks/helpscout).
 * - `POST /agent-reply { conversation_id, text }`: once the hub has synced that conversation, an
 *   agent answers it publicly; `{ thread_id }`.
 * - `GET /pushes`: what reached the push webhook so far, `[{ signature, body }]`, oldest first.
 *
 * Stops when its stdin closes, so it never outlives the JVM that started it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFakeHelpScout } from '../fakes/helpscout/index.js';

const helpscout = await startFakeHelpScout({ notifications: false });
const pushes: { signature: string | null; body: unknown }[] = [];

const readBody = async (req: IncomingMessage): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};
const answer = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const server = createServer((req, res) => {
  void (async () => {
    const raw = await readBody(req);
    if (req.method === 'POST' && req.url === '/push') {
      const signature = req.headers['x-hub-signature'];
      pushes.push({ signature: typeof signature === 'string' ? signature : null, body: JSON.parse(raw) as unknown });
      return answer(res, 200, {});
    }
    if (req.method === 'GET' && req.url === '/pushes') return answer(res, 200, pushes);
    if (req.method === 'POST' && req.url === '/webhook-target') {
      helpscout.setWebhookTarget((JSON.parse(raw) as { url: string }).url);
      return answer(res, 200, {});
    }
    if (req.method === 'POST' && req.url === '/agent-reply') {
      const { conversation_id: hubId, text } = JSON.parse(raw) as { conversation_id: string; text: string };
      // The hub syncs a new conversation to the helpdesk through its job queue: wait for it.
      for (let i = 0; i < 300; i++) {
        const synced = helpscout.conversations().find((c) => c.hubConversationId === hubId);
        if (synced) {
          const { threadId } = await helpscout.agentReply(synced.id, text, { agentName: 'Ada Agent' });
          await helpscout.flushWebhooks();
          return answer(res, 200, { thread_id: threadId });
        }
        await sleep(100);
      }
      return answer(res, 404, { error: `conversation ${hubId} never reached the fake Help Scout` });
    }
    answer(res, 404, { error: 'no such route' });
  })().catch((error: unknown) => answer(res, 500, { error: String(error) }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const control = (server.address() as AddressInfo).port;
process.stdout.write(`${JSON.stringify({ control, helpscoutEnv: helpscout.env, pushUrl: `http://127.0.0.1:${control}/push` })}\n`);

process.stdin.resume();
process.stdin.on('end', () => {
  void helpscout.close().finally(() => process.exit(0));
});
