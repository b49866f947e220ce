import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { requestContext } from '../../src/http/request-context.js';

function appWithLog(level: pino.Level) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = express();
  app.use(requestContext(pino({ level }, sink)));
  app.get('/ok', (req, res) => {
    req.log.info({ step: 'handler' }, 'inside');
    res.json({ id: req.id });
  });
  app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));
  app.get('/boom', (_req, res) => res.status(500).json({}));
  // A live stream (as /dashboard/events) and a slow page: both end only when the client goes away.
  app.get('/events', (_req, res) => {
    res.status(200).set({ 'Content-Type': 'text/event-stream' });
    res.write(': hello\n\n');
  });
  app.get('/slow', (_req, res) => {
    res.status(200).set({ 'Content-Type': 'text/html' });
    res.write('<p>half a page');
  });
  return { app, lines };
}

describe('request log', () => {
  it('logs one completion line per request with the request id, and binds handler lines to it', async () => {
    const { app, lines } = appWithLog('info');
    const res = await request(app).get('/ok').set('X-Request-Id', 'lb-42');
    expect(res.body).toEqual({ id: 'lb-42' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l['msg'])).toEqual(['inside', 'request completed']);
    for (const line of lines) expect(line['req']).toMatchObject({ id: 'lb-42', method: 'GET', url: '/ok' });
    expect(lines[1]).toMatchObject({ level: 30, res: { statusCode: 200 }, responseTime: expect.any(Number) });
  });

  it('uses error for 5xx, stays quiet for health probes, and logs nothing below the level', async () => {
    const info = appWithLog('info');
    await request(info.app).get('/healthz');
    await request(info.app).get('/boom');
    await new Promise((resolve) => setImmediate(resolve));
    expect(info.lines.map((l) => [l['msg'], l['level']])).toEqual([['request completed', 50]]);
    const quiet = appWithLog('warn');
    await request(quiet.app).get('/ok');
    await new Promise((resolve) => setImmediate(resolve));
    expect(quiet.lines).toEqual([]);
  });

  it('a client closing an event stream (the dashboard tab going away) is normal: debug, not a warning; an abandoned page stays a warning', async () => {
    const { app, lines } = appWithLog('debug');
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      for (const path of ['/events', '/slow']) {
        await new Promise<void>((resolve, reject) => {
          const req = get({ host: '127.0.0.1', port, path }, (res) => res.once('data', () => (req.destroy(), resolve())));
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
        });
      }
      const deadline = Date.now() + 10_000;
      while (lines.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      server.close();
    }
    const byUrl = (url: string) => lines.find((l) => (l['req'] as { url?: string } | undefined)?.url === url);
    expect(byUrl('/events')).toMatchObject({ level: 20, msg: 'event stream closed by the client' });
    expect(byUrl('/slow')).toMatchObject({ level: 40, msg: 'request aborted' });
  });
});
