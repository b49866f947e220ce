import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  HubApiError,
  HubClient,
  memoryStorage,
  parseRetryAfter,
  type ChatStream,
  type HubClientOptions,
  type Message,
  type StreamState,
} from '../../../../src/channels/chat/client/v1-client.js';
import { collectDeviceContext, osVersionFromUserAgent } from '../../../../src/channels/chat/client/device.js';
import { startFakeV1Server, type FakeV1Server } from './fake-v1-server.js';

async function until<T>(probe: () => T | undefined | null | false, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let fake: FakeV1Server;
const streams: ChatStream[] = [];

beforeEach(async () => {
  fake = await startFakeV1Server({ appId: 'demo' });
});

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.close();
  await fake.close();
});

function client(overrides: Partial<HubClientOptions> = {}): HubClient {
  return new HubClient({ baseUrl: fake.url, appId: 'demo', WebSocket, retryBaseDelayMs: 10, ...overrides });
}

/** One message on a live stream, then the server revokes the token and closes it with 4401. */
async function rejectTokenOfLiveStream(hub: HubClient): Promise<Message[]> {
  await hub.createConversation({ text: 'hi' });
  const received: Message[] = [];
  streams.push(hub.connect({ onMessage: (m) => received.push(m), initialDelayMs: 10 }));
  await until(() => received.length === 1, 'the backlog');
  fake.revokeSessions();
  fake.closeStreams(4401);
  await until(() => fake.openStreams() === 1 && fake.streamConnects.length === 2, 'the second stream');
  return received;
}

describe('chat client: live stream', () => {
  it('after the connection drops, resumes from the last cursor and delivers every missed message in order, once', async () => {
    const hub = client();
    await hub.ensureSession();
    const { conversation, message: first } = await hub.createConversation({ text: 'my invoice is wrong' });
    const received: Message[] = [];
    const states: StreamState[] = [];
    const stream = hub.connect({ onMessage: (m) => received.push(m), onStateChange: (s) => states.push(s), initialDelayMs: 20, maxDelayMs: 100 });
    streams.push(stream);
    await until(() => received.length === 1, 'the backlog');
    const r1 = fake.agentReply(conversation.id, 'r1');
    await until(() => received.length === 2, 'the live reply');

    fake.refuseStreams = true;
    fake.cutStreams();
    await until(() => states.includes('reconnecting'), 'reconnecting state');
    const missed = [fake.agentReply(conversation.id, 'r2'), fake.agentReply(conversation.id, 'r3'), fake.agentReply(conversation.id, 'r4')];
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few refused attempts
    fake.refuseStreams = false;

    await until(() => received.length >= 5, 'the missed replies');
    await new Promise((resolve) => setTimeout(resolve, 100)); // room for a duplicate to show up
    expect(received.map((m) => m.text)).toEqual(['my invoice is wrong', 'r1', 'r2', 'r3', 'r4']);
    expect(received.map((m) => m.id)).toEqual([first.id, r1.id, ...missed.map((m) => m.id)]);
    // The fake repeats the message AT the cursor on resume; the client resumed from r1's cursor.
    expect(fake.streamConnects.at(-1)?.get('cursor')).toBe(r1.cursor);
    expect(stream.cursor).toBe(missed[2]!.cursor);
    expect(stream.state).toBe('open');
  });

  it("answers the server's ping with pong", async () => {
    const hub = client();
    await hub.ensureSession();
    const states: StreamState[] = [];
    streams.push(hub.connect({ onStateChange: (s) => states.push(s) }));
    await until(() => states.includes('open'), 'the stream to open');
    fake.pingStreams();
    await until(() => fake.pongs === 1, 'a pong');
  });

  it('when the token is rejected (4401) a remembered session request gets a new session and the stream continues', async () => {
    const hub = client();
    const before = await hub.ensureSession({ user: { id: 'u-1' }, userHash: 'h' });
    const received = await rejectTokenOfLiveStream(hub);
    expect(hub.currentSession?.session_token).not.toBe(before.session_token);
    expect(fake.streamConnects[1]!.get('access_token')).toBe(hub.currentSession?.session_token);
    // The same user: resume where the stream was.
    expect(fake.streamConnects[1]!.get('cursor')).toBe(received[0]!.cursor);
  });

  it('after a 4401 that makes a new anonymous visitor, the stream starts without the old visitor\'s cursor', async () => {
    const hub = client();
    const before = await hub.ensureSession();
    const received = await rejectTokenOfLiveStream(hub);
    expect(hub.currentSession?.user.id).not.toBe(before.user.id);
    expect(fake.streamConnects[1]!.get('cursor')).toBeNull();
  });

  it('when the token is rejected and no session can be renewed, the stream stops as unauthorized', async () => {
    const hub = client();
    await hub.startSession(); // not ensureSession: nothing to renew with
    const changes: { state: StreamState; reason: string | undefined }[] = [];
    const stream = hub.connect({ onStateChange: (state, detail) => changes.push({ state, reason: detail.reason }), initialDelayMs: 10 });
    streams.push(stream);
    await until(() => fake.openStreams() === 1, 'the stream');
    fake.revokeSessions();
    fake.closeStreams(4401);
    await until(() => stream.state === 'closed', 'the stream to stop');
    expect(changes.at(-1)).toEqual({ state: 'closed', reason: 'unauthorized' });
    expect(hub.currentSession).toBeNull();
  });
});

describe('chat client: sending', () => {
  it('retries a message whose answer was lost with the same client_id, and the server stores it once', async () => {
    const hub = client();
    await hub.ensureSession();
    const { conversation } = await hub.createConversation({ text: 'hello' });
    fake.dropResponses(/\/messages$/, 2, 'after');
    const message = await hub.sendMessage(conversation.id, { text: 'are you there?' });

    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    expect(posts).toHaveLength(3);
    const clientIds = posts.map((r) => (r.body as { client_id: string }).client_id);
    expect(new Set(clientIds).size).toBe(1);
    expect(message.client_id).toBe(clientIds[0]);
    expect(fake.messages().filter((m) => m.text === 'are you there?')).toHaveLength(1);
  });

  it('retries starting a conversation with the same client_id when the request never arrived', async () => {
    const hub = client();
    await hub.ensureSession();
    fake.dropResponses(/^\/v1\/conversations$/, 1, 'before');
    const { message } = await hub.createConversation({ text: 'first words', clientId: 'fixed-id' });
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/conversations');
    expect(posts.map((r) => (r.body as { message: { client_id: string } }).message.client_id)).toEqual(['fixed-id', 'fixed-id']);
    expect(message.client_id).toBe('fixed-id');
    expect(fake.messages()).toHaveLength(1);
  });

  it('gives up after the configured retries with a network error', async () => {
    const hub = client({ sendRetries: 1 });
    await hub.ensureSession();
    const { conversation } = await hub.createConversation({ text: 'hello' });
    fake.dropResponses(/\/messages$/, 5, 'before');
    const failure = await hub.sendMessage(conversation.id, { text: 'lost' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HubApiError);
    expect(failure).toMatchObject({ status: 0, code: 'network_error', isNetworkError: true });
  });
});

describe('chat client: errors and sessions', () => {
  it("maps the hub's error answers, including Retry-After on 429", async () => {
    const hub = client();
    await hub.ensureSession();
    fake.rateLimitNext(/^\/v1\/conversations$/, 7);
    const limited = await hub.listConversations().catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(HubApiError);
    expect(limited).toMatchObject({ status: 429, code: 'rate_limited', message: 'slow down', retryAfterSeconds: 7 });

    const missing = await hub.getConversation('nope').catch((error: unknown) => error);
    expect(missing).toMatchObject({ status: 404, code: 'conversation_not_found', retryAfterSeconds: null });

    expect(parseRetryAfter('120')).toBe(120);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30);
    expect(parseRetryAfter('soon')).toBeNull();
  });

  it('reports an unreachable hub as a network error (status 0)', async () => {
    const url = fake.url;
    await fake.close();
    const hub = new HubClient({ baseUrl: url, appId: 'demo' });
    await expect(hub.getAvailability()).rejects.toMatchObject({ status: 0, code: 'network_error' });
    fake = await startFakeV1Server(); // for afterEach
  });

  it('sends the app id on every call and the availability needs no session', async () => {
    const hub = client();
    expect(await hub.getAvailability()).toEqual(fake.availability);
    await hub.ensureSession();
    await hub.listConversations();
    expect(fake.requests.every((r) => r.headers['x-hub-app-id'] === 'demo')).toBe(true);
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
    expect(fake.requests.at(-1)!.headers.authorization).toBe(`Bearer ${hub.currentSession!.session_token}`);
  });

  it('keeps the session in storage per app, reuses it for the same person and starts a new one for someone else', async () => {
    const storage = memoryStorage();
    const first = await client({ storage }).ensureSession();
    const again = await client({ storage }).ensureSession();
    expect(again.session_token).toBe(first.session_token);
    expect(fake.requests.filter((r) => r.path === '/v1/sessions')).toHaveLength(1);

    const identified = await client({ storage }).ensureSession({ user: { id: 'u-42', email: 'kim@example.com' }, userHash: 'abc' });
    expect(identified.user).toMatchObject({ id: 'u-42', kind: 'identified' });
    const body = fake.requests.filter((r) => r.path === '/v1/sessions').at(-1)!.body;
    expect(body).toMatchObject({ user: { id: 'u-42', email: 'kim@example.com' }, user_hash: 'abc' });

    const otherApp = new HubClient({ baseUrl: fake.url, appId: 'other', storage });
    expect(await otherApp.restoreSession()).toBeNull();
  });

  it('renews an expired session once and the call goes through', async () => {
    const hub = client();
    const before = await hub.ensureSession();
    fake.revokeSessions();
    await expect(hub.listConversations()).resolves.toEqual([]);
    expect(hub.currentSession!.session_token).not.toBe(before.session_token);
  });

  it('ends the session on the server and forgets it locally', async () => {
    const storage = memoryStorage();
    const hub = client({ storage });
    await hub.ensureSession();
    await hub.endSession();
    expect(fake.sessions.size).toBe(0);
    expect(await client({ storage }).restoreSession()).toBeNull();
  });
});

describe('device context', () => {
  it('reads the OS from common user agents', () => {
    const cases: [string, string | null][] = [
      ['Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1', 'iOS 17.4'],
      ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36', 'Android 14'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'Windows 10/11'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', 'macOS 10.15.7'],
      ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', 'ChromeOS'],
      ['Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'Linux'],
      ['curl/8.5.0', null],
    ];
    for (const [userAgent, os] of cases) expect(osVersionFromUserAgent(userAgent)).toBe(os);
  });

  it('collects platform, versions, network, locale and time zone', () => {
    const context = collectDeviceContext({
      appVersion: '2.3.1',
      sdkVersion: '0.1.0+abc',
      env: { userAgent: 'Mozilla/5.0 (Linux; Android 13)', language: 'de-DE', connection: { effectiveType: '4g' }, timeZone: 'Europe/Berlin' },
    });
    expect(context).toEqual({
      platform: 'web',
      osVersion: 'Android 13',
      appVersion: '2.3.1',
      sdkVersion: '0.1.0+abc',
      model: null,
      network: '4g',
      locale: 'de-DE',
      timeZone: 'Europe/Berlin',
    });
  });
});
