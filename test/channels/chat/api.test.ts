import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyHubSignature } from '../../../src/http/hub-signature.js';
import { startTestHub, waitFor, type TestHub } from '../../support/hub.js';
import { chatEnv, IDENTITY_SECRET, openStream, Sdk } from './support.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

describe('in-app chat API v1', () => {
  let t: TestHub;
  let server: Server;
  const pushes: { body: Record<string, any>; signatureOk: boolean }[] = [];
  let receiver: Server;

  beforeAll(async () => {
    // The product's backend: receives signed "unread reply" events.
    receiver = createServer(async (req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      pushes.push({ body: JSON.parse(raw.toString()), signatureOk: verifyHubSignature(req.headers['x-hub-signature'] as string, raw, [IDENTITY_SECRET]).ok });
      res.writeHead(204).end();
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    t = await startTestHub('pglite', {
      env: {
        ...chatEnv,
        CHAT_PUSH_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/push`,
        CHAT_UNREAD_NOTIFY_AFTER_SECONDS: '5',
        CHAT_SESSION_MESSAGES_PER_MINUTE: '600',
        // These tests count exactly the agent replies they send; acknowledgements have their own tests.
        ACK_ENABLED: 'false',
      },
    });
    await t.hub.listen(0, '127.0.0.1');
    server = t.hub.server()!;
  });
  afterAll(async () => {
    await t?.stop();
    receiver?.close();
  });

  const reply = (conversationId: string, id: string, text: string) =>
    t.hub.reply({ conversationId, source: 'test-agent', sourceMessageId: id, authorKind: 'agent', authorName: 'Ana', text });

  describe('identity', () => {
    it('opens a session for a user whose identity token verifies: id, email and name are the product’s word, the email verified', async () => {
      const sdk = Sdk.forServer(server);
      const session = await sdk.identify('user-1', { email: 'One@Example.com', name: 'One' });
      expect(session['session_token']).toMatch(/^hst_/);
      expect(session['user']).toEqual({ id: 'user-1', kind: 'identified', email: 'one@example.com', name: 'One', verified: true });
    });

    it('user_hash proves the id only: the email beside it is stored as the user’s unverified claim', async () => {
      const sdk = Sdk.forServer(server);
      const session = await sdk.identify('user-hash-only', { email: 'claimed@example.com', name: 'Claimer' }, 'user_hash');
      expect(session['user']).toEqual({ id: 'user-hash-only', kind: 'identified', email: 'claimed@example.com', name: 'Claimer', verified: false });
    });

    it('refuses a forged, expired, unsigned or mismatched identity token with 401, and a token without exp', async () => {
      const { SignJWT, UnsecuredJWT } = await import('jose');
      const { identityToken } = await import('./support.js');
      const attempts: [string, Record<string, unknown>][] = [
        ['wrong secret', { identity_token: await identityToken('user-9', { email: 'a@example.com' }, 'not-the-identity-secret-0000') }],
        ['expired', { identity_token: await identityToken('user-9', {}, undefined, Math.floor(Date.now() / 1000) - 3600) }],
        ['alg none', { identity_token: new UnsecuredJWT({ email: 'a@example.com' }).setSubject('user-9').setExpirationTime('1h').encode() }],
        ['no exp', { identity_token: await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('user-9').sign(new TextEncoder().encode('acme-identity-secret-0123456789')) }],
        ['user.id is not sub', { identity_token: await identityToken('user-9'), user: { id: 'someone-else' } }],
        ['garbage', { identity_token: 'not.a.jwt' }],
      ];
      for (const [why, body] of attempts) {
        const res = await Sdk.forServer(server).call('POST', '/v1/sessions', body);
        expect(res.status, why).toBe(401);
        expect(res.body['error']['code'], why).toBe('identity_not_verified');
      }
    });

    it('an email field takes exactly one address: a list or a display name is refused (400), with user_hash or in a token', async () => {
      const { identityToken } = await import('./support.js');
      const { userHash } = await import('../../../src/channels/chat/identity.js');
      for (const email of ['a@example.com, b@example.com', 'Victim <victim@example.com>', 'a@example.com\nBcc: b@example.com']) {
        const viaHash = await Sdk.forServer(server).call('POST', '/v1/sessions', { user: { id: 'u-list', email }, user_hash: userHash('acme-identity-secret-0123456789', 'u-list') });
        expect(viaHash.status, email).toBe(400);
        const viaToken = await Sdk.forServer(server).call('POST', '/v1/sessions', { identity_token: await identityToken('u-list', { email }) });
        expect(viaToken.status, email).toBe(401);
      }
    });

    it('refuses a wrong user_hash with 401 saying the identity could not be verified', async () => {
      const sdk = Sdk.forServer(server);
      const res = await sdk.call('POST', '/v1/sessions', { user: { id: 'user-1' }, user_hash: 'f'.repeat(64) });
      expect(res.status).toBe(401);
      expect(res.body['error']['code']).toBe('identity_not_verified');
      expect(res.body['error']['message']).toContain('identity could not be verified');
    });

    it('gives an anonymous visitor a server-issued id, marked unverified', async () => {
      const sdk = Sdk.forServer(server);
      const res = await sdk.call('POST', '/v1/sessions', { user_hash: 'ignored-without-user' });
      expect(res.status).toBe(201);
      expect(res.body['user']).toMatchObject({ kind: 'anonymous', verified: false });
      expect(res.body['user']['id']).toMatch(/^v_/);
    });

    it('rejects forged, revoked and missing tokens', async () => {
      const sdk = Sdk.forServer(server);
      sdk.token = 'hst_forged';
      expect((await sdk.call('GET', '/v1/conversations')).body['error']['code']).toBe('invalid_token');
      await sdk.identify('user-revoked');
      expect((await sdk.call('DELETE', '/v1/sessions/current')).status).toBe(204);
      expect((await sdk.call('GET', '/v1/conversations')).status).toBe(401);
      sdk.token = null;
      expect((await sdk.call('GET', '/v1/conversations')).status).toBe(401);
    });

    it('refuses an expired token with 401 token_expired, over HTTP and WebSocket', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-expired');
      await t.hub.store.db.updateTable('chat_sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('user_id', '=', 'user-expired').execute();
      const res = await sdk.call('GET', '/v1/conversations');
      expect(res.status).toBe(401);
      expect(res.body['error']['code']).toBe('token_expired');
      const stream = await openStream(sdk.streamUrl());
      expect(await stream.closed).toEqual({ code: 4401, reason: 'token_expired' });
    });

    it('names the app: a missing or unknown X-Hub-App-Id is a 400', async () => {
      expect((await new Sdk(Sdk.forServer(server).baseUrl, 'nope').call('GET', '/v1/availability')).body['error']['code']).toBe('unknown_app');
      const res = await fetch(`${Sdk.forServer(server).baseUrl}/v1/availability`);
      expect(res.status).toBe(400);
    });
  });

  describe('conversations and messages', () => {
    it('starts a conversation with a first message stored as an inbound chat message', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-2');
      const res = await sdk.startConversation('My export is stuck', 'c-1', 'Export');
      expect(res.status).toBe(201);
      expect(res.body['conversation']).toMatchObject({ subject: 'Export', status: 'open', unread_count: 0 });
      expect(res.body['message']).toMatchObject({ text: 'My export is stuck', client_id: 'c-1', direction: 'inbound', author: { kind: 'customer' } });
      const stored = await t.hub.store.db.selectFrom('messages').selectAll().where('id', '=', res.body['message']['id']).executeTakeFirstOrThrow();
      expect(stored.metadata).toMatchObject({ device: { platform: 'ios', appVersion: '4.2.0' } });
    });

    it('the same client_id posted 3 times stores one message (201, then 200 with the stored one)', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-3');
      const first = await sdk.startConversation('hello', 'c-start');
      const id = first.body['conversation']['id'];
      const posts = [];
      for (let i = 0; i < 3; i++) posts.push(await sdk.call('POST', `/v1/conversations/${id}/messages`, { text: 'are you there?', client_id: 'c-retry' }));
      expect(posts.map((p) => p.status)).toEqual([201, 200, 200]);
      expect(new Set(posts.map((p) => p.body['message']['id'])).size).toBe(1);
      const retriedCreate = await sdk.startConversation('hello', 'c-start');
      expect(retriedCreate.status).toBe(200);
      expect(retriedCreate.body['conversation']['id']).toBe(id);
      const list = await sdk.call('GET', `/v1/conversations/${id}/messages`);
      expect(list.body['messages'].map((m: { text: string }) => m.text)).toEqual(['hello', 'are you there?']);
    });

    it('user A cannot read or post to user B\'s conversation (404)', async () => {
      const a = Sdk.forServer(server);
      const b = Sdk.forServer(server);
      await a.identify('user-a');
      await b.identify('user-b');
      const mine = await b.startConversation('private', 'b-1');
      const id = mine.body['conversation']['id'];
      expect((await a.call('GET', `/v1/conversations/${id}`)).status).toBe(404);
      expect((await a.call('GET', `/v1/conversations/${id}/messages`)).status).toBe(404);
      const post = await a.call('POST', `/v1/conversations/${id}/messages`, { text: 'intrusion', client_id: 'a-1' });
      expect(post.status).toBe(404);
      expect((await a.call('GET', '/v1/conversations')).body['conversations']).toEqual([]);
      const stored = await t.hub.store.db.selectFrom('messages').select('id').where('text', '=', 'intrusion').execute();
      expect(stored).toHaveLength(0);
    });

    it('pages messages after a cursor for catch-up, and marks replies read', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-4');
      const start = await sdk.startConversation('first', 'p-1');
      const id = start.body['conversation']['id'];
      await reply(id, 'p-r1', 'reply one');
      await reply(id, 'p-r2', 'reply two');
      const page = await sdk.call('GET', `/v1/conversations/${id}/messages?after=${start.body['message']['cursor']}&limit=1`);
      expect(page.body['messages'].map((m: { text: string }) => m.text)).toEqual(['reply one']);
      expect(page.body['has_more']).toBe(true);
      const rest = await sdk.call('GET', `/v1/conversations/${id}/messages?after=${page.body['cursor']}`);
      expect(rest.body['messages'].map((m: { text: string }) => m.text)).toEqual(['reply two']);
      expect((await sdk.call('GET', `/v1/conversations/${id}`)).body['conversation']['unread_count']).toBe(2);
      const read = await sdk.call('POST', `/v1/conversations/${id}/read`, {});
      expect(read.body['unread_count']).toBe(0);
      expect((await sdk.call('GET', `/v1/conversations/${id}/messages?after=not-a-cursor`)).status).toBe(400);
    });
  });

  describe('real-time stream', () => {
    it('pushes an agent reply to the open socket', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-5');
      const start = await sdk.startConversation('hi', 's-1');
      const stream = await openStream(sdk.streamUrl(start.body['message']['cursor']));
      await waitFor(() => stream.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready');
      await reply(start.body['conversation']['id'], 's-r1', 'Hello from support');
      const frame = await waitFor(() => stream.frames.find((f) => f['type'] === 'message' && f['message']['text'] === 'Hello from support'), 10_000, 'reply frame');
      expect(frame['message']).toMatchObject({ direction: 'outbound', author: { kind: 'agent', name: 'Ana' } });
      await stream.close();
    });

    it('a client disconnected while 5 replies arrive receives all 5, in order, on reconnect with its cursor', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('user-6');
      const start = await sdk.startConversation('anyone?', 'd-1');
      const id = start.body['conversation']['id'];
      const first = await openStream(sdk.streamUrl(start.body['message']['cursor']));
      const ready = await waitFor(() => first.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready');
      await first.close();
      for (let i = 1; i <= 5; i++) await reply(id, `d-r${i}`, `reply ${i}`);
      const again = await openStream(sdk.streamUrl(ready['cursor'] ?? start.body['message']['cursor']));
      await waitFor(() => again.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready after resume');
      const texts = again.frames.filter((f) => f['type'] === 'message').map((f) => f['message']['text']);
      expect(texts).toEqual(['reply 1', 'reply 2', 'reply 3', 'reply 4', 'reply 5']);
      await again.close();
    });

    it('user A\'s socket never sees user B\'s messages', async () => {
      const a = Sdk.forServer(server);
      const b = Sdk.forServer(server);
      await a.identify('ws-a');
      await b.identify('ws-b');
      const streamA = await openStream(a.streamUrl());
      await waitFor(() => streamA.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready');
      const bConversation = await b.startConversation('secret', 'wb-1');
      await reply(bConversation.body['conversation']['id'], 'wb-r1', 'for B only');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(streamA.frames.filter((f) => f['type'] === 'message')).toEqual([]);
      await streamA.close();
    });

    it('closes with 4401 for a forged token and 4400 for an unknown app', async () => {
      const sdk = Sdk.forServer(server);
      sdk.token = 'hst_forged';
      const forged = await openStream(sdk.streamUrl());
      expect((await forged.closed).code).toBe(4401);
      const unknown = await openStream(new Sdk(sdk.baseUrl, 'nope').streamUrl());
      expect((await unknown.closed).code).toBe(4400);
    });

    it('closes a socket that floods frames with 4429', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('flooder');
      const stream = await openStream(sdk.streamUrl());
      await waitFor(() => stream.frames.find((f) => f['type'] === 'ready'), 10_000, 'ready');
      for (let i = 0; i < 100; i++) stream.socket.send(JSON.stringify({ type: 'ping' }));
      expect((await stream.closed).code).toBe(4429);
    });
  });

  describe('offline customers', () => {
    it('an agent reply left unread produces exactly one signed push event; a read one produces none', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('offline-user');
      const start = await sdk.startConversation('help', 'o-1');
      const id = start.body['conversation']['id'];
      const unread = await reply(id, 'o-r1', 'Reply nobody reads');
      const read = await reply(id, 'o-r2', 'Reply read at once');
      await sdk.call('POST', `/v1/conversations/${id}/read`, { cursor: (await sdk.call('GET', `/v1/conversations/${id}/messages`)).body['cursor'] });
      // Mark only the second as read: the first was read too by that call, so reset it.
      await t.hub.store.db.updateTable('messages').set({ read_at: null }).where('id', '=', unread.message.id).execute();
      const push = await waitFor(() => pushes.find((p) => p.body['message']['id'] === unread.message.id), 40_000, 'push event');
      expect(push.signatureOk).toBe(true);
      expect(push.body).toMatchObject({ type: 'chat.reply.unread', app_id: 'acme', user: { id: 'offline-user', kind: 'identified' }, conversation_id: id });
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(pushes.filter((p) => p.body['message']['id'] === unread.message.id)).toHaveLength(1);
      expect(pushes.filter((p) => p.body['message']['id'] === read.message.id)).toHaveLength(0);
    });
  });

  describe('push tokens (API 1.2)', () => {
    it('the unread-reply push event lists the devices the user registered; a signed-out device drops out; bad input is a 400 that stores nothing', async () => {
      const phone = Sdk.forServer(server);
      await phone.identify('push-user');
      const tablet = Sdk.forServer(server);
      await tablet.identify('push-user');
      expect((await phone.call('PUT', '/v1/push-token', { token: 'fcm-phone-1', platform: 'android' })).status).toBe(204);
      // Registering again (every app start does) changes nothing but the time.
      expect((await phone.call('PUT', '/v1/push-token', { token: 'fcm-phone-1', platform: 'android' })).status).toBe(204);
      expect((await tablet.call('PUT', '/v1/push-token', { token: 'apns-tablet-1', platform: 'ios' })).status).toBe(204);

      const before = await t.hub.store.db.selectFrom('chat_push_tokens').select('token').execute();
      for (const bad of [{ token: '', platform: 'android' }, { token: 'x', platform: 'windows' }, { platform: 'android' }, { token: 'x'.repeat(4097), platform: 'ios' }]) {
        const res = await phone.call('PUT', '/v1/push-token', bad);
        expect(res.status, JSON.stringify(bad)).toBe(400);
        expect(res.body['error']['code']).toBe('invalid_request');
      }
      expect((await new Sdk(phone.baseUrl).call('PUT', '/v1/push-token', { token: 'anon', platform: 'android' })).status).toBe(401);
      expect(await t.hub.store.db.selectFrom('chat_push_tokens').select('token').execute()).toEqual(before);

      const start = await phone.startConversation('push me', 'push-1');
      const id = start.body['conversation']['id'];
      const first = await reply(id, 'push-r1', 'Unread on both devices');
      const push = await waitFor(() => pushes.find((p) => p.body['message']['id'] === first.message.id), 40_000, 'push event');
      expect(push.signatureOk).toBe(true);
      expect(push.body['push_tokens']).toEqual(expect.arrayContaining([{ token: 'fcm-phone-1', platform: 'android' }, { token: 'apns-tablet-1', platform: 'ios' }]));
      expect(push.body['push_tokens']).toHaveLength(2);

      // The tablet signs out: its token goes with its session.
      expect((await tablet.call('DELETE', '/v1/sessions/current')).status).toBe(204);
      const second = await reply(id, 'push-r2', 'Unread on the phone');
      const next = await waitFor(() => pushes.find((p) => p.body['message']['id'] === second.message.id), 40_000, 'second push event');
      expect(next.body['push_tokens']).toEqual([{ token: 'fcm-phone-1', platform: 'android' }]);
    });
  });

  describe('attachments', () => {
    it('stores an upload whose bytes match its type, and serves it only to its owner', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('uploader');
      const res = await fetch(`${sdk.baseUrl}/v1/attachments?filename=${encodeURIComponent('../../screen.png')}`, {
        method: 'POST',
        headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'image/png' },
        body: PNG,
      });
      expect(res.status).toBe(201);
      const { attachment } = (await res.json()) as { attachment: { id: string; filename: string; size: number } };
      expect(attachment).toMatchObject({ filename: 'screen.png', size: PNG.length });
      const sent = await sdk.startConversation('see screenshot', 'att-1');
      const withFile = await sdk.call('POST', `/v1/conversations/${sent.body['conversation']['id']}/messages`, { text: 'here', client_id: 'att-2', attachments: [attachment.id] });
      expect(withFile.body['message']['attachments'][0]).toMatchObject({ id: attachment.id, content_type: 'image/png' });
      const download = await fetch(`${sdk.baseUrl}/v1/attachments/${attachment.id}`, { headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}` } });
      expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
      const other = Sdk.forServer(server);
      await other.identify('not-the-uploader');
      expect((await other.call('GET', `/v1/attachments/${attachment.id}`)).status).toBe(404);
    });

    it('refuses content that is not what it claims (415) and oversize files (413)', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('uploader-2');
      const fake = await fetch(`${sdk.baseUrl}/v1/attachments?filename=x.png`, {
        method: 'POST',
        headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'image/png' },
        body: '<script>alert(1)</script>',
      });
      expect(fake.status).toBe(415);
      const html = await fetch(`${sdk.baseUrl}/v1/attachments?filename=x.html`, {
        method: 'POST',
        headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'text/html' },
        body: '<p>hi</p>',
      });
      expect(html.status).toBe(415);
      const big = await fetch(`${sdk.baseUrl}/v1/attachments?filename=big.txt`, {
        method: 'POST',
        headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'text/plain' },
        body: 'x'.repeat(11 * 1024 * 1024),
      });
      expect(big.status).toBe(413);
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON, missing fields, oversize messages and unknown ids with 4xx and stores nothing', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('careless');
      const before = await t.hub.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const cases = [
        await sdk.call('POST', '/v1/conversations', '{"message": {"text": "hi"'),
        await sdk.call('POST', '/v1/conversations', { message: { text: '' , client_id: 'x' } }),
        await sdk.call('POST', '/v1/conversations', { message: { text: 'no client id' } }),
        await sdk.call('POST', '/v1/conversations', { message: { text: 'x'.repeat(10_001), client_id: 'long' } }),
        await sdk.call('POST', '/v1/conversations/00000000-0000-4000-8000-000000000000/messages', { text: 'x', client_id: 'y' }),
        await sdk.call('POST', '/v1/conversations/not-a-uuid/messages', { text: 'x', client_id: 'y' }),
        await sdk.call('POST', '/v1/sessions', { user: { id: '' }, user_hash: 'x' }),
      ];
      expect(cases.map((c) => c.status)).toEqual([400, 400, 400, 400, 404, 404, 400]);
      for (const c of cases) expect(c.body['error']['message']).toEqual(expect.any(String));
      const after = await t.hub.store.db.selectFrom('messages').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(after.n)).toBe(Number(before.n));
    });

    it('refuses an oversize JSON body with 413 and stores nothing', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('oversize');
      const res = await sdk.call('POST', '/v1/conversations', { message: { text: 'x'.repeat(2 * 1024 * 1024), client_id: 'huge' } });
      expect(res.status).toBe(413);
      expect(res.body['error']['code']).toBe('payload_too_large');
      expect(await t.hub.store.db.selectFrom('messages').select('id').where('source_message_id', 'like', '%:huge').execute()).toHaveLength(0);
    });

    it('ignores unknown request fields (newer SDKs may send more)', async () => {
      const sdk = Sdk.forServer(server);
      await sdk.identify('future-sdk');
      const res = await sdk.call('POST', '/v1/conversations', { message: { text: 'hi', client_id: 'f-1', sticker: 'wave' }, priority: 'high' });
      expect(res.status).toBe(201);
    });

    it('limits how fast one session may send (429 with Retry-After)', async () => {
      const limited = await startTestHub('pglite', { env: { ...chatEnv, CHAT_SESSION_MESSAGES_PER_MINUTE: '3' } });
      try {
        await limited.hub.listen(0, '127.0.0.1');
        const sdk = Sdk.forServer(limited.hub.server()!);
        await sdk.identify('chatty');
        const statuses = [];
        let retryAfter: string | null = null;
        for (let i = 0; i < 6; i++) {
          const res = await sdk.startConversation(`msg ${i}`, `r-${i}`);
          statuses.push(res.status);
          if (res.status === 429) retryAfter = res.headers.get('retry-after');
        }
        expect(statuses.slice(0, 3)).toEqual([201, 201, 201]);
        expect(statuses).toContain(429);
        expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      } finally {
        await limited.stop();
      }
    });
  });

  describe('browsers on the customer\'s site', () => {
    it('answers CORS preflight for an allowed origin and refuses other origins', async () => {
      const base = Sdk.forServer(server).baseUrl;
      const preflight = await fetch(`${base}/v1/conversations`, {
        method: 'OPTIONS',
        headers: { Origin: 'https://customer.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-hub-app-id' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('https://customer.example');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('X-Hub-App-Id');
      const evil = await new Sdk(base).call('GET', '/v1/availability', undefined, { Origin: 'https://evil.example' });
      expect(evil.status).toBe(403);
      const ok = await new Sdk(base).call('GET', '/v1/availability', undefined, { Origin: 'https://customer.example' });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    });

    it('tells the customer before they write when to expect a reply', async () => {
      const res = await new Sdk(Sdk.forServer(server).baseUrl).call('GET', '/v1/availability?time_zone=America/New_York');
      expect(res.status).toBe(200);
      expect(['open', 'away']).toContain(res.body['status']);
      expect(res.body['expected_reply']['text']).toEqual(expect.any(String));
      expect(res.body['time_zone']).toBe('America/New_York');
    });
  });
});
