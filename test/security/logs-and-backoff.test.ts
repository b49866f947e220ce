import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AccessTokens } from '../../integrations/helpscout/client.js';
import type { HelpdeskCapability } from '../../src/capabilities/helpdesk.js';
import { loggableUrl, requestContext } from '../../src/http/request-context.js';
import { syncPullJob, unavailableBackoffMs, type PullDeps } from '../../src/sync/pull.js';
import { VendorError, isVendorError } from '../../src/vendors/error.js';
import { testStore } from '../integrations/zendesk/support.js';

/**
 * Security review findings (issue 21): item 7 (one-use link tokens written to the request log)
 * and item 11 (no backoff while a vendor answered 5xx: ~55 pulls a minute per conversation,
 * ~250 token requests a minute to Help Scout).
 */
describe('security: what the logs keep, and how hard a failing vendor is asked', () => {
  it('item 7: the request log keeps a link’s path and parameter names, never its token or signature', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) }));
    const app = express();
    app.use(requestContext(log));
    app.get('/escalations/acknowledge', (_req, res) => res.status(403).send('expired'));
    app.get('/files/:id', (_req, res) => res.send('file'));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      await fetch(`${base}/escalations/acknowledge?token=one-use-SECRET-token&step=2`);
      await fetch(`${base}/files/abc?e=1999999999&s=SIGNATURE-SECRET`);
    } finally {
      server.close();
    }
    const text = lines.join('');
    expect(text).toContain('/escalations/acknowledge?token=[redacted]&step=2');
    expect(text).toContain('/files/abc?e=[redacted]&s=[redacted]');
    expect(text).not.toContain('one-use-SECRET-token');
    expect(text).not.toContain('SIGNATURE-SECRET');
    expect(loggableUrl('/v1/stream?app_id=acme&access_token=hst_x&cursor=c1')).toBe('/v1/stream?app_id=acme&access_token=[redacted]&cursor=c1');
    expect(loggableUrl('/dashboard/queue?status=open')).toBe('/dashboard/queue?status=open');
  });

  it('item 11: a pull that keeps meeting an unavailable helpdesk is rescheduled later and later (1 s doubling to 5 minutes)', async () => {
    const delays: number[] = [];
    const failing = {
      traits: { maxMessagesPerWrite: 1, searchLagMs: 0, replyDelivery: { chat: 'hub', email: 'hub' } },
      conversation: async () => {
        throw new VendorError('unavailable', 'zendesk GET /api/v2/tickets/1: 503', { status: 503 });
      },
    } as unknown as HelpdeskCapability;
    const db = await testStore();
    const deps = {
      store: db.store,
      log: pino({ level: 'silent' }),
      states: { health: async () => ({ status: 'active' }), succeeded: async () => undefined, authFailed: async () => false },
      helpdesks: new Map([['zendesk', failing]]),
      importHelpdeskConversations: true,
      later: async (_i: string, _e: string, delayMs: number) => void delays.push(delayMs),
    } as unknown as PullDeps;
    const job = syncPullJob(deps);
    try {
      for (let attempt = 0; attempt < 12; attempt++) await job({ integrationId: 'zendesk', externalId: '1', attempt });
    } finally {
      await db.close();
    }
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
    for (let i = 1; i < 9; i++) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]! * 0.99 * 0.5 * 2);
    expect(Math.max(...delays)).toBeLessThanOrEqual(300_000);
    expect(delays.at(-1)!).toBeGreaterThanOrEqual(150_000);
    // The ceiling: never more often than every 2.5 minutes once it has been failing for a while.
    for (let attempt = 9; attempt < 30; attempt++) expect(unavailableBackoffMs(attempt)).toBeGreaterThanOrEqual(150_000);
  });

  it('item 11: while Help Scout’s token endpoint answers 5xx, callers fail fast instead of each asking it again', async () => {
    let clock = 0;
    let asked = 0;
    const tokens = new AccessTokens(
      {
        tokenUrl: 'https://api.helpscout.net/v2/oauth2/token',
        clientId: 'id',
        clientSecret: 'secret',
        timeoutMs: 1000,
        fetch: (async () => {
          asked++;
          return new Response('{"error":"down"}', { status: 503 });
        }) as typeof fetch,
      },
      () => clock,
    );
    const failures: VendorError[] = [];
    // 250 callers over one minute, as in the review.
    for (let i = 0; i < 250; i++) {
      clock = i * 240;
      await tokens.current().catch((error: unknown) => {
        if (isVendorError(error)) failures.push(error);
      });
    }
    expect(failures).toHaveLength(250);
    expect(failures.every((f) => f.kind === 'unavailable')).toBe(true);
    expect(asked).toBeLessThanOrEqual(10);
  });
});
