import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import express from 'express';
import helmet from 'helmet';
import type { Server } from 'node:http';
import { startTestHub, waitFor, type TestHub } from '../support/hub.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

describe('operations surface', () => {
  let t: TestHub;
  let server: Server;
  beforeAll(async () => {
    t = await startTestHub('pglite', { env: { HUB_ADMIN_TOKEN: ADMIN_TOKEN } });
    await t.hub.listen(0, '127.0.0.1');
    server = t.hub.server()!;
  });
  afterAll(() => t?.stop());

  it('/healthz answers while the process is alive', async () => {
    const res = await request(server).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/readyz reports database, migrations, job workers and events', async () => {
    // Just after start the embedded store is still busy with start-up work (the
    // first query waited ~0.5 s on an idle machine, over the check's 2 s on a loaded CI): the hub
    // rightly says "not yet" until its database answers in time.
    const res = await waitFor(async () => {
      const answer = await request(server).get('/readyz');
      return answer.status === 200 ? answer : undefined;
    }, 30_000, 'the hub to be ready');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ready');
    expect(Object.keys(res.body.checks)).toEqual(['database', 'migrations', 'jobs', 'events']);
    expect(res.body.checks.migrations.ok).toBe(true);
  });

  it('gives every response a request id, keeping a sane one the caller sent', async () => {
    const mine = await request(server).get('/healthz').set('X-Request-Id', 'lb-1234');
    expect(mine.headers['x-request-id']).toBe('lb-1234');
    const hostile = await request(server).get('/healthz').set('X-Request-Id', 'x'.repeat(500));
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('/metrics exports HTTP durations by route and status, job counts and ingested messages', async () => {
    await t.hub.ingest({
      channel: 'email',
      source: 'email:support@example.com',
      sourceMessageId: '<metrics@example.com>',
      thread: { key: '<metrics@example.com>' },
      contact: { identityKind: 'email', identityKey: 'm@example.com', email: 'm@example.com', verified: false },
      text: 'hi',
    });
    await request(server).get('/healthz');
    const res = await request(server).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toMatch(/hub_http_request_duration_seconds_bucket\{[^}]*method="GET",route="\/healthz",status="200"/);
    expect(res.text).toMatch(/hub_messages_ingested_total\{channel="email"\} 1/);
    expect(res.text).toContain('# TYPE hub_jobs gauge');
    expect(res.text).toContain('process_resident_memory_bytes');
  });

  it('unknown routes get a JSON 404', async () => {
    const res = await request(server).get('/no/such/route');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/route' } });
  });

  it('sets security headers: exactly the ones helmet() sets on a request of its own', async () => {
    const res = await request(server).get('/healthz');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    // The hub works helmet's headers out once at start; helmet itself, per request, must agree.
    const reference = express();
    reference.use(helmet());
    reference.get('/healthz', (_req, res) => void res.json({}));
    const expected = (await request(reference).get('/healthz')).headers;
    const names = Object.keys(expected).filter((name) => !['date', 'etag', 'content-type', 'content-length', 'connection', 'keep-alive', 'x-powered-by'].includes(name));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect([name, res.headers[name]]).toEqual([name, expected[name]]);
  });

  describe('admin API', () => {
    const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

    it('requires the admin bearer token', async () => {
      expect((await request(server).get('/admin/integrations')).status).toBe(401);
      const wrong = await request(server).get('/admin/integrations').set('Authorization', 'Bearer wrong');
      expect(wrong.status).toBe(401);
      expect(wrong.body.error.code).toBe('unauthorized');
      expect((await request(server).get('/admin/integrations').set(auth)).body).toEqual({ integrations: [] });
    });

    it('runs a probe job end to end through the workers', async () => {
      const started = await request(server).post('/admin/probe').set(auth);
      expect(started.status).toBe(202);
      const probe = await waitFor(async () => {
        const res = await request(server).get(`/admin/probe/${started.body.probeId}`).set(auth);
        return res.body.handled ? res.body : null;
      }, 20_000, 'probe handled');
      expect(probe.handledBy).toBe(`pid-${process.pid}`);
    });

    it('answers malformed JSON with 400 and changes nothing', async () => {
      const res = await request(server).post('/admin/jobs/retry').set(auth).set('Content-Type', 'application/json').send('{"queue": ');
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('malformed_json');
    });

    it('answers an oversize body with 413', async () => {
      const res = await request(server)
        .post('/admin/jobs/retry')
        .set(auth)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ queue: 'ops.probe', id: 'x'.repeat(2 * 1024 * 1024) }));
      expect(res.status).toBe(413);
      expect(res.body.error.code).toBe('payload_too_large');
    });

    it('validates fields with a message naming them', async () => {
      const res = await request(server).post('/admin/jobs/retry').set(auth).send({ queue: 'nope', id: 'also-nope' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('queue');
      expect(res.body.error.message).toContain('id');
      const missing = await request(server)
        .post('/admin/jobs/retry')
        .set(auth)
        .send({ queue: 'ops.probe', id: '00000000-0000-4000-8000-000000000000' });
      expect(missing.status).toBe(404);
    });

    it('lists failed jobs', async () => {
      const res = await request(server).get('/admin/jobs/failed').set(auth);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body.jobs)).toBe(true);
    });
  });
});

describe('admin API without a token configured', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub('pglite');
    await t.hub.listen(0, '127.0.0.1');
  });
  afterAll(() => t?.stop());

  it('is off, and says how to turn it on', async () => {
    const res = await request(t.hub.server()!).get('/admin/jobs/failed').set('Authorization', 'Bearer anything');
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('HUB_ADMIN_TOKEN');
  });

  it('/readyz answers 503 with the reason when the job workers are not running', async () => {
    await t.hub.queue.stop(1000);
    const res = await request(t.hub.server()!).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('unavailable');
    expect(res.body.checks.jobs).toEqual({ ok: false, detail: 'workers stopped' });
    expect(res.body.checks.database.ok).toBe(true);
  });
});
