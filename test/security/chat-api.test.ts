import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';
import { chatEnv, openStream, Sdk } from '../channels/chat/support.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

/**
 * Security review findings on the in-app chat API (issue 21), each reproduced as the attack was
 * made: item 5 (one caller exhausting the app's budget for every user), item 6 (a revoked session
 * kept its WebSocket), item 9 (`:` in ids made two users' keys collide), item 10 (a non-Latin-1
 * attachment name could not be downloaded).
 */
describe('security: chat API', () => {
  const BUDGET = 20;
  let t: TestHub;
  let server: Server;

  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { ...chatEnv, CHAT_APP_REQUESTS_PER_SECOND: String(BUDGET), CHAT_SESSION_MESSAGES_PER_MINUTE: '600', ACK_ENABLED: 'false' } });
    await t.hub.listen(0, '127.0.0.1');
    server = t.hub.server()!;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('item 5: a flood without (or with a bad) token spends only its own budget; a signed-in user is still served', async () => {
    const user = Sdk.forServer(server);
    await user.identify('flood-bystander');
    const flooder = Sdk.forServer(server);
    await flooder.identify('flooding-user');
    // The attacker knows the app id (it ships in every app) and floods, unauthenticated and with garbage tokens.
    const attacker = Sdk.forServer(server);
    const statuses: number[] = [];
    for (let i = 0; i < BUDGET * 3; i++) {
      attacker.token = i % 2 === 0 ? null : `hst_forged_${i}`;
      statuses.push((await attacker.call('GET', '/v1/conversations')).status);
    }
    expect(statuses).toContain(429);
    // The bystander's session has its own budget.
    expect((await user.call('GET', '/v1/conversations')).status).toBe(200);
    // A signed-in user flooding spends their session's budget, not the next user's.
    // All at once: one by one on a loaded machine, the per-second budget refills between calls.
    const own = await Promise.all(Array.from({ length: BUDGET * 2 }, async () => (await flooder.call('GET', '/v1/conversations')).status));
    expect(own).toContain(429);
    expect((await user.call('GET', '/v1/conversations')).status).toBe(200);
    // (Every test client here shares 127.0.0.1: let the address's budget refill for the next tests.)
    await new Promise((resolve) => setTimeout(resolve, 3000));
  });

  it('item 6: revoking a session closes its open WebSocket at once (4401), and the token is refused after', async () => {
    const sdk = Sdk.forServer(server);
    await sdk.identify('revoked-user');
    const stream = await openStream(sdk.streamUrl());
    await waitFor(() => stream.frames.find((f) => f['type'] === 'ready'), 10_000, 'stream ready');
    expect((await sdk.call('DELETE', '/v1/sessions/current')).status).toBe(204);
    const closed = await Promise.race([stream.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 5000))]);
    expect(closed).toEqual({ code: 4401, reason: 'session revoked' });
    expect((await sdk.call('GET', '/v1/conversations')).status).toBe(401);
  });

  it('item 9: user ids and client ids containing `:` never collide: another user’s message is not read back', async () => {
    const first = Sdk.forServer(server);
    await first.identify('colon:a');
    const mine = await first.startConversation('my private words', 'b');
    expect(mine.status).toBe(201);
    const second = Sdk.forServer(server);
    await second.identify('colon');
    // Before: key `acme:colon:a:b` for both (user `colon:a` + client `b`, user `colon` + client `a:b`).
    const theirs = await second.startConversation('something else', 'a:b');
    expect(theirs.status).toBe(201);
    expect(theirs.body['conversation']['id']).not.toBe(mine.body['conversation']['id']);
    const page = await second.call('GET', `/v1/conversations/${theirs.body['conversation']['id']}/messages`);
    expect(JSON.stringify(page.body)).not.toContain('my private words');
  });

  it('item 10: an attachment named outside Latin-1 downloads (RFC 8187 filename*), with an ASCII fallback', async () => {
    const sdk = Sdk.forServer(server);
    await sdk.identify('unicode-uploader');
    const name = 'отчёт «итоги» 😀.png';
    const res = await fetch(`${sdk.baseUrl}/v1/attachments?filename=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}`, 'Content-Type': 'image/png' },
      body: PNG,
    });
    expect(res.status).toBe(201);
    const { attachment } = (await res.json()) as { attachment: { id: string } };
    const download = await fetch(`${sdk.baseUrl}/v1/attachments/${attachment.id}`, { headers: { 'X-Hub-App-Id': 'acme', Authorization: `Bearer ${sdk.token}` } });
    expect(download.status).toBe(200);
    const disposition = download.headers.get('content-disposition')!;
    expect(disposition).toMatch(/^attachment; filename="[\x20-\x7e]+"; filename\*=UTF-8''/);
    expect(decodeURIComponent(disposition.split("UTF-8''")[1]!)).toBe(name);
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
  });
});
