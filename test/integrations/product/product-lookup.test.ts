import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productLookup } from '../../../integrations/product/lookup.js';
import { verifyHubSignature } from '../../../src/http/hub-signature.js';

const SECRET = 'product-lookup-secret-0123456789';

/** The product's endpoint as a product team would write it: verify, then answer per email. */
async function startProductEndpoint() {
  const answers = new Map<string, { status: number; body: string }>();
  const received: { email: string; signatureOk: boolean }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const check = verifyHubSignature(req.headers['x-hub-signature'] as string | undefined, raw, [SECRET]);
      const email = (JSON.parse(raw.toString('utf8')) as { email: string }).email;
      received.push({ email, signatureOk: check.ok });
      if (!check.ok) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad signature"}');
        return;
      }
      const answer = answers.get(email) ?? { status: 404, body: '' };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, answers, received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/lookup` };
}

describe('product facts through the signed lookup callback', () => {
  let endpoint: Awaited<ReturnType<typeof startProductEndpoint>>;
  beforeAll(async () => {
    endpoint = await startProductEndpoint();
  });
  afterAll(() => endpoint.server.close());

  const signal = () => AbortSignal.timeout(5000);

  it('signs the request and maps a valid answer to card facts', async () => {
    endpoint.answers.set('jane@example.com', {
      status: 200,
      body: JSON.stringify({
        account: {
          company: 'Pancake Palace GmbH',
          role: 'owner',
          customerSince: '2023-05-07T00:00:00Z',
          plan: { name: 'Business', interval: 'month', amountMinor: 4900, currency: 'eur' },
          status: 'trialing',
          trialEndsAt: '2026-09-30T12:00:00+02:00',
          limits: [{ label: 'Employees', used: 48, limit: 50 }],
          modules: ['payroll', 'time-off'],
          timeZone: 'Europe/Berlin',
          adminUrl: 'https://admin.example.com/accounts/1',
          facts: { Region: 'EU', Beta: true },
          somethingNew: 'ignored',
        },
      }),
    });
    const lookup = productLookup({ url: endpoint.url, secret: SECRET, name: 'Pancakes app' });
    const facts = await lookup.lookup('jane@example.com', signal());
    expect(endpoint.received.at(-1)).toEqual({ email: 'jane@example.com', signatureOk: true });
    expect(facts).toEqual({
      source: 'product',
      company: 'Pancake Palace GmbH',
      role: 'owner',
      customerSince: new Date('2023-05-07T00:00:00Z'),
      plan: { name: 'Business', interval: 'month', amountMinor: 4900, currency: 'eur' },
      status: 'trialing',
      trialEndsAt: new Date('2026-09-30T10:00:00Z'),
      limits: [{ label: 'Employees', used: 48, limit: 50 }],
      modules: ['payroll', 'time-off'],
      timeZone: 'Europe/Berlin',
      links: [{ label: 'Pancakes app admin', url: 'https://admin.example.com/accounts/1' }],
      extra: { Region: 'EU', Beta: true },
    });
  });

  it('reads 404 and {"account": null} as no account', async () => {
    endpoint.answers.set('nobody@example.com', { status: 200, body: '{"account":null}' });
    const lookup = productLookup({ url: endpoint.url, secret: SECRET, name: 'Product' });
    expect(await lookup.lookup('nobody@example.com', signal())).toBeNull();
    expect(await lookup.lookup('unknown@example.com', signal())).toBeNull();
  });

  it('rejects answers that break the schema, naming the field, and non-JSON and error statuses', async () => {
    const lookup = productLookup({ url: endpoint.url, secret: SECRET, name: 'Product' });
    const cases: [string, { status: number; body: string }, RegExp][] = [
      ['zone@example.com', { status: 200, body: '{"account":{"timeZone":"Mars/Olympus"}}' }, /timeZone/],
      ['link@example.com', { status: 200, body: '{"account":{"adminUrl":"javascript:alert(1)"}}' }, /adminUrl/],
      ['status@example.com', { status: 200, body: '{"account":{"status":"gold"}}' }, /status/],
      ['shape@example.com', { status: 200, body: '{"company":"Flat"}' }, /account/],
      ['html@example.com', { status: 200, body: '<html>oops</html>' }, /not JSON/],
      ['down@example.com', { status: 503, body: '' }, /503/],
    ];
    for (const [email, answer, message] of cases) {
      endpoint.answers.set(email, answer);
      await expect(lookup.lookup(email, signal()), email).rejects.toThrow(message);
    }
  });

  it('is refused by the product with a wrong secret, and the connection check says so', async () => {
    const lookup = productLookup({ url: endpoint.url, secret: 'another-secret-0123456789', name: 'Product' });
    await expect(lookup.lookup('jane@example.com', signal())).rejects.toThrow(/401/);
    expect(endpoint.received.at(-1)?.signatureOk).toBe(false);
    expect(await lookup.checkConnection()).toMatchObject({ ok: false, detail: expect.stringContaining('PRODUCT_LOOKUP_SECRET') });
    expect(await productLookup({ url: endpoint.url, secret: SECRET, name: 'Product' }).checkConnection()).toMatchObject({ ok: true });
  });

  it('stops when the signal aborts', async () => {
    const hanging = createServer(() => {});
    hanging.listen(0, '127.0.0.1');
    await once(hanging, 'listening');
    try {
      const lookup = productLookup({ url: `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/`, secret: SECRET, name: 'Product' });
      await expect(lookup.lookup('jane@example.com', AbortSignal.timeout(100))).rejects.toThrow(/abort|timeout/i);
    } finally {
      hanging.closeAllConnections();
      hanging.close();
    }
  });
});
