import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHub, type TestHub } from '../support/hub.js';

const TOKEN = 'ops-token-0123456789abcdef0123456789';

/** What is public on purpose (`/healthz`, `/readyz`'s verdict) and what an operator can close (README "Security model"). */
describe('security: operations endpoints', () => {
  let t: TestHub;
  let base: string;
  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { HUB_OPS_TOKEN: TOKEN } });
    base = `http://127.0.0.1:${await t.hub.listen(0, '127.0.0.1')}`;
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('with HUB_OPS_TOKEN, /metrics needs it as a bearer token; /readyz keeps its verdict public and its integration details behind it', async () => {
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789abcdef' } })).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('hub_http_request_duration_seconds');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', integrations: {} });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});
