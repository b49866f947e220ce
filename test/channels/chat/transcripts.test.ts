import { readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startTestHub, type TestHub } from '../../support/hub.js';
import { contractPath, expectMatchesSpec, loadSpec, validateResponse } from '../../support/openapi.js';

/**
 * Transcripts are v1 client sessions: what an SDK shipped today sends, and the shape of what it
 * reads back. Expected bodies list only what the client relies on: extra fields in a response are
 * fine (responses only ever gain fields). Values that vary are markers (`<uuid>`, `<date-time>`,
 * `<string>`, `<any>`); `{{steps[N].body.…}}` is a value from step N's actual response (N counts
 * from 0; a request may use earlier steps, a response also its own). A string request body is
 * sent verbatim with its Content-Type header (how malformed JSON is recorded).
 */
const transcriptsDir = fileURLToPath(new URL('./transcripts/', import.meta.url));

const transcriptStep = z.object({
  note: z.string().optional(),
  request: z.object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
    path: z.string().startsWith('/'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.unknown().optional(),
  }),
  response: z.object({
    status: z.number().int(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.unknown().optional(),
    text: z.string().optional(),
  }),
});
const transcriptFile = z.object({ name: z.string(), description: z.string(), steps: z.array(transcriptStep).min(1) });
type Transcript = z.infer<typeof transcriptFile>;

const transcripts: Transcript[] = readdirSync(transcriptsDir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => transcriptFile.parse(JSON.parse(readFileSync(join(transcriptsDir, file), 'utf8'))));

interface Replayed {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const PLACEHOLDER = /\{\{\s*steps\[(\d+)\]((?:\.[A-Za-z0-9_-]+|\[\d+\])+)\s*\}\}/g;

function lookUp(replayed: Replayed[], step: number, path: string, latest: number): unknown {
  if (step > latest) throw new Error(`{{steps[${step}]${path}}} refers to a step not replayed yet`);
  let value: unknown = replayed[step];
  for (const [, key, index] of path.matchAll(/\.([A-Za-z0-9_-]+)|\[(\d+)\]/g)) {
    value = key !== undefined ? (isRecord(value) ? value[key] : undefined) : Array.isArray(value) ? value[Number(index)] : undefined;
  }
  if (value === undefined) throw new Error(`{{steps[${step}]${path}}} is not in step ${step}'s response`);
  return value;
}

/** Fills placeholders; a string that is only a placeholder takes the value itself (any JSON type). */
function fill(template: unknown, replayed: Replayed[], latest: number, encode = false): unknown {
  if (typeof template === 'string') {
    const whole = /^\{\{[^}]*\}\}$/.test(template) ? [...template.matchAll(PLACEHOLDER)][0] : undefined;
    if (whole && !encode) return lookUp(replayed, Number(whole[1]), whole[2]!, latest);
    return template.replace(PLACEHOLDER, (_, step: string, path: string) => {
      const value = String(lookUp(replayed, Number(step), path, latest));
      return encode ? encodeURIComponent(value) : value;
    });
  }
  if (Array.isArray(template)) return template.map((item) => fill(item, replayed, latest, encode));
  if (isRecord(template)) return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fill(v, replayed, latest, encode)]));
  return template;
}

const MARKERS: Record<string, (value: unknown) => boolean> = {
  '<any>': (value) => value !== undefined,
  '<string>': (value) => typeof value === 'string',
  '<uuid>': (value) => typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  '<date-time>': (value) =>
    typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value)),
};

/** Where `actual` differs from the recorded shape: objects may have more keys, arrays must match in length. */
function shapeMismatches(expected: unknown, actual: unknown, at: string): string[] {
  const marker = typeof expected === 'string' ? MARKERS[expected] : undefined;
  if (marker) return marker(actual) ? [] : [`${at}: expected ${String(expected)}, got ${JSON.stringify(actual)}`];
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)}`];
    if (actual.length !== expected.length) return [`${at}: expected ${expected.length} items, got ${actual.length}: ${JSON.stringify(actual)}`];
    return expected.flatMap((item, i) => shapeMismatches(item, actual[i], `${at}[${i}]`));
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([key, value]) =>
      key in actual ? shapeMismatches(value, actual[key], `${at}.${key}`) : [`${at}.${key}: missing`],
    );
  }
  return Object.is(expected, actual) ? [] : [`${at}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

async function send(server: Server, method: Transcript['steps'][number]['request']['method'], path: string, headers: Record<string, string>, body: unknown) {
  let pending = request(server)[method === 'DELETE' ? 'delete' : (method.toLowerCase() as 'get' | 'post' | 'put' | 'patch')](path);
  for (const [name, value] of Object.entries(headers)) pending = pending.set(name, value);
  if (typeof body === 'string') pending = pending.send(body);
  else if (typeof body === 'object' && body !== null) pending = pending.send(body);
  return await pending;
}

describe('recorded v1 client transcripts are well-formed', () => {
  const contract = loadSpec(contractPath);

  it('every step calls an operation and expects a status the v1 contract documents', () => {
    const undocumented = transcripts.flatMap((transcript) =>
      transcript.steps.flatMap((step, i) => {
        const path = step.request.path.replace(PLACEHOLDER, '00000000-0000-4000-8000-000000000000');
        return validateResponse(contract, step.request.method, path, step.response.status, undefined)
          .filter((problem) => /no path|no such operation|not documented/.test(problem))
          .map((problem) => `${transcript.name} step ${i}: ${problem}`);
      }),
    );
    expect(transcripts.length).toBeGreaterThanOrEqual(2);
    expect(undocumented).toEqual([]);
  });
});

// Needs the chat server (src/channels/chat/); until it is mounted, /v1/* answers 404 and these fail.
describe('a v1 client keeps working: recorded transcripts replay green', () => {
  let testHub: TestHub;
  let server: Server;
  beforeAll(async () => {
    testHub = await startTestHub('pglite', {
      // The recorded transcripts predate acknowledgements, and list exactly the messages their users sent.
      env: { CHAT_APP_ID: 'transcript-app', CHAT_IDENTITY_SECRET: 'transcript-secret', CHAT_ALLOW_ANONYMOUS: 'true', ACK_ENABLED: 'false' },
    });
    await testHub.hub.listen(0, '127.0.0.1');
    server = testHub.hub.server()!;
  });
  afterAll(() => testHub?.stop());

  it('serves the committed contract byte for byte at GET /v1/openapi.json, without credentials', async () => {
    const res = await request(server).get('/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).toBe(readFileSync(contractPath, 'utf8'));
    expectMatchesSpec(res);
  });

  for (const transcript of transcripts) {
    it(`replays "${transcript.name}": ${transcript.description.split('.')[0]}`, async () => {
      const replayed: Replayed[] = [];
      for (const [i, step] of transcript.steps.entries()) {
        const where = `${transcript.name} step ${i} (${step.note ?? `${step.request.method} ${step.request.path}`})`;
        const path = String(fill(step.request.path, replayed, i - 1, true));
        const headers = fill(step.request.headers, replayed, i - 1);
        const res = await send(server, step.request.method, path, isRecord(headers) ? Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])) : {}, fill(step.request.body, replayed, i - 1));

        expect(res.status, `${where}: ${res.text}`).toBe(step.response.status);
        replayed.push({ status: res.status, body: res.body, headers: res.headers });
        try {
          expectMatchesSpec(res);
        } catch (error) {
          throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
        }
        if (step.response.body !== undefined) expect(shapeMismatches(fill(step.response.body, replayed, i), res.body, 'body'), where).toEqual([]);
        if (step.response.text !== undefined) expect(res.text, where).toBe(step.response.text);
        for (const [name, shape] of Object.entries(step.response.headers ?? {})) {
          expect(shapeMismatches(fill(shape, replayed, i), res.headers[name.toLowerCase()], `header ${name}`), where).toEqual([]);
        }
      }
    });
  }
});
