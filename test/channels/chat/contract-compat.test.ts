import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compatibilityProblems,
  contractPath,
  formatProblem,
  isObject,
  loadSpec,
  validateComponent,
  validateResponse,
  type CompatibilityProblem,
  type JsonObject,
  type JsonValue,
  type OpenApiDocument,
} from '../../support/openapi.js';

const baselinePath = fileURLToPath(new URL('./openapi-v1-baseline.json', import.meta.url));
const baseline = loadSpec(baselinePath);
const contract = loadSpec(contractPath);

/**
 * The SHA-256 of the frozen v1 baseline. Once v1 has shipped, the baseline never changes: editing it
 * to make a breaking change pass is exactly what this pin catches. (Before the v1 release, copy
 * openapi.json over the baseline and update the pin in the same reviewed change.)
 */
const BASELINE_SHA256 = '14dafc3aab350672d4a058ba29d3582b115d460b4048bcfb4afbbb9bfa506fb0';

/**
 * Warnings (a response enum, stream frame type or close code gained a value) that were reviewed and
 * accepted, as printed by `formatProblem`. Shipped apps keep working only if they treat unknown
 * values as the contract tells them to, so each one is a conscious decision, written down here.
 */
const ACKNOWLEDGED_WARNINGS: string[] = [];

// ── helpers to reach into (and mutate) a copy of the baseline ─────────────────────────────────

function objectAt(doc: JsonObject, ...keys: string[]): JsonObject {
  let node: JsonValue | undefined = doc;
  for (const key of keys) node = Array.isArray(node) ? node[Number(key)] : isObject(node) ? node[key] : undefined;
  if (!isObject(node)) throw new Error(`no object at ${keys.join('.')}`);
  return node;
}
function arrayAt(doc: JsonObject, ...keys: string[]): JsonValue[] {
  const last = keys.pop()!;
  const value = objectAt(doc, ...keys)[last];
  if (!Array.isArray(value)) throw new Error(`no array at ${[...keys, last].join('.')}`);
  return value;
}
const schema = (doc: JsonObject, name: string) => objectAt(doc, 'components', 'schemas', name);
const property = (doc: JsonObject, name: string, prop: string) => objectAt(doc, 'components', 'schemas', name, 'properties', prop);
const removeValue = (values: JsonValue[], value: JsonValue) => values.splice(values.indexOf(value), 1);

function afterChange(change: (spec: OpenApiDocument) => void, from: OpenApiDocument = baseline): CompatibilityProblem[] {
  const next = structuredClone(from);
  change(next);
  return compatibilityProblems(from, next);
}

const breakingOnly = (problems: CompatibilityProblem[]) => problems.filter((p) => p.level === 'breaking');

/** Walks every object in the document with its JSON path. */
function* walk(value: JsonValue, path = '#'): Generator<[string, JsonObject]> {
  if (Array.isArray(value)) for (const [i, item] of value.entries()) yield* walk(item, `${path}/${i}`);
  else if (isObject(value)) {
    yield [path, value];
    for (const [key, child] of Object.entries(value)) yield* walk(child, `${path}/${key}`);
  }
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']);
function* operations(spec: OpenApiDocument): Generator<[string, string, JsonObject]> {
  for (const [path, item] of Object.entries(spec.paths)) {
    if (!isObject(item)) continue;
    for (const [method, operation] of Object.entries(item)) if (HTTP_METHODS.has(method) && isObject(operation)) yield [path, method, operation];
  }
}

// ── the committed contract ─────────────────────────────────────────────────────────────────────

describe('the committed v1 contract', () => {
  it('keeps every promise of the frozen v1 baseline: nothing removed or narrowed', () => {
    const problems = compatibilityProblems(baseline, contract);
    expect(breakingOnly(problems).map(formatProblem)).toEqual([]);
    const unacknowledged = problems.filter((p) => p.level === 'warning').map(formatProblem).filter((w) => !ACKNOWLEDGED_WARNINGS.includes(w));
    expect(unacknowledged, 'new values in response enums must be reviewed and listed in ACKNOWLEDGED_WARNINGS').toEqual([]);
  });

  it('the v1 baseline is frozen: its bytes never change', () => {
    const digest = createHash('sha256').update(readFileSync(baselinePath)).digest('hex');
    expect(digest, 'test/channels/chat/openapi-v1-baseline.json was edited; the v1 baseline must not change').toBe(BASELINE_SHA256);
  });

  it('lets requests and responses carry fields it does not name (no schema refuses unknown fields)', () => {
    const closed = [...walk(contract)]
      .filter(([, node]) => node['additionalProperties'] === false || node['unevaluatedProperties'] === false)
      .map(([path]) => path);
    expect(closed).toEqual([]);
  });

  it('answers every error status with the shared Error schema, and every 429 names Retry-After', () => {
    const deviations: string[] = [];
    const resolve = (value: JsonValue | undefined): JsonObject | undefined => {
      const ref = isObject(value) ? value['$ref'] : undefined;
      return typeof ref === 'string' ? resolve(objectAt(contract, ...ref.slice(2).split('/'))) : isObject(value) ? value : undefined;
    };
    for (const [path, method, operation] of operations(contract)) {
      for (const [status, declared] of Object.entries(objectAt(operation, 'responses'))) {
        if (Number(status) < 400) continue;
        const response = resolve(declared);
        const errorSchema = response && isObject(response['content']) ? objectAt(response, 'content', 'application/json', 'schema')['$ref'] : undefined;
        if (errorSchema !== '#/components/schemas/Error') deviations.push(`${method} ${path} ${status}: not the Error schema`);
        const retryAfter = status === '429' ? resolve(response && isObject(response['headers']) ? response['headers']['Retry-After'] : undefined) : undefined;
        if (status === '429' && retryAfter?.['required'] !== true) deviations.push(`${method} ${path} 429: Retry-After not a required header`);
      }
      const declaresRateLimit = '429' in objectAt(operation, 'responses');
      if (path !== '/v1/openapi.json' && !declaresRateLimit) deviations.push(`${method} ${path}: no 429 documented`);
    }
    expect(deviations).toEqual([]);
  });

  it('compiles under strict JSON Schema rules, so a misspelt keyword cannot silently validate nothing', () => {
    for (const [path, method, operation] of operations(contract)) {
      for (const status of Object.keys(objectAt(operation, 'responses'))) {
        expect(() => validateResponse(contract, method, path, Number(status), { probe: true })).not.toThrow();
      }
    }
    for (const name of Object.keys(objectAt(contract, 'components', 'schemas'))) {
      expect(() => validateComponent(contract, name, {})).not.toThrow();
    }
  });

  it('describes the stream frames: known frames validate, frames off the contract do not', () => {
    const conversation = {
      id: '0b6f0b0e-7c1a-4d8e-9f00-1a2b3c4d5e6f',
      subject: null,
      status: 'open',
      created_at: '2025-03-01T09:00:00.000Z',
      updated_at: '2025-03-01T09:05:00.000Z',
      last_message_at: '2025-03-01T09:05:00.000Z',
      unread_count: 1,
    };
    expect(validateComponent(contract, 'StreamServerFrame', { type: 'ready', cursor: null })).toEqual([]);
    expect(validateComponent(contract, 'StreamServerFrame', { type: 'conversation', conversation })).toEqual([]);
    expect(validateComponent(contract, 'StreamServerFrame', { type: 'ping', sent_at: 'later fields are fine' })).toEqual([]);
    expect(validateComponent(contract, 'StreamServerFrame', { type: 'conversation', conversation: { ...conversation, unread_count: -1 } })).not.toEqual([]);
    expect(validateComponent(contract, 'StreamServerFrame', { type: 'typing' })).not.toEqual([]);
    expect(validateComponent(contract, 'StreamClientFrame', { type: 'resume', cursor: 'c1' })).toEqual([]);
    expect(validateComponent(contract, 'StreamClientFrame', { type: 'resume' })).not.toEqual([]);
  });
});

// ── the response check the transcript and server tests rely on ─────────────────────────────────

describe('validateResponse (how server tests hold responses to the contract)', () => {
  const message = {
    id: '9d3c1e2a-5b6f-4a7d-8e9f-0a1b2c3d4e5f',
    conversation_id: '0b6f0b0e-7c1a-4d8e-9f00-1a2b3c4d5e6f',
    client_id: 'ios-1',
    direction: 'inbound',
    author: { kind: 'customer', name: null },
    text: 'Hello',
    attachments: [],
    created_at: '2025-03-01T09:00:00.000Z',
    read_at: null,
    cursor: 'c1',
  };
  const path = '/v1/conversations/0b6f0b0e-7c1a-4d8e-9f00-1a2b3c4d5e6f/messages';

  it('accepts a conforming response, including fields the contract does not name yet', () => {
    expect(validateResponse(contract, 'POST', path, 201, { message: { ...message, reactions: [] }, trace: 'x' })).toEqual([]);
  });

  it('reports a missing field, a value outside an enum, a wrong format and a null where none is allowed', () => {
    const { cursor: _omitted, ...withoutCursor } = message;
    const problems = validateResponse(contract, 'POST', path, 201, { message: { ...withoutCursor, direction: 'sideways', created_at: 'yesterday', text: null } });
    expect(problems.join('\n')).toMatch(/must have required property 'cursor'/);
    expect(problems.join('\n')).toMatch(/body\.message\.direction must be equal to one of the allowed values/);
    expect(problems.join('\n')).toMatch(/body\.message\.created_at must match format "date-time"/);
    expect(problems.join('\n')).toMatch(/body\.message\.text must be string/);
  });

  it('reports an undocumented status, an unknown path, a missing Retry-After and an undocumented content type', () => {
    expect(validateResponse(contract, 'POST', path, 418, {})).toEqual([expect.stringMatching(/status 418 is not documented/)]);
    expect(validateResponse(contract, 'GET', '/v1/nowhere', 200, {})).toEqual([expect.stringMatching(/no path of the contract matches/)]);
    const limited = { error: { code: 'rate_limited', message: 'slow down' } };
    expect(validateResponse(contract, 'POST', path, 429, limited, { 'content-type': 'application/json' })).toEqual([expect.stringMatching(/Retry-After is missing/)]);
    expect(validateResponse(contract, 'POST', path, 429, limited, { 'content-type': 'application/json', 'retry-after': '3' })).toEqual([]);
    expect(validateResponse(contract, 'POST', path, 201, '<html>', { 'content-type': 'text/html' })).toEqual([expect.stringMatching(/content type text\/html is not one of application\/json/)]);
  });

  it('holds 204 responses to having no body', () => {
    expect(validateResponse(contract, 'DELETE', '/v1/sessions/current', 204, undefined)).toEqual([]);
    expect(validateResponse(contract, 'DELETE', '/v1/sessions/current', 204, { ok: true })).toEqual([expect.stringMatching(/without a body/)]);
  });
});

// ── compatibilityProblems catches every kind of break ──────────────────────────────────────────

interface BreakingCase {
  change: string;
  apply: (spec: OpenApiDocument) => void;
  where: string;
  message: RegExp;
}

const breakingChanges: BreakingCase[] = [
  { change: 'a path removed', apply: (s) => delete s.paths['/v1/availability'], where: '/v1/availability', message: /path removed/ },
  { change: 'an operation removed', apply: (s) => delete objectAt(s, 'paths', '/v1/conversations')['post'], where: 'POST /v1/conversations', message: /operation removed/ },
  {
    change: 'a response status removed (the 200 of an idempotent retry)',
    apply: (s) => delete objectAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'post', 'responses')['200'],
    where: 'POST /v1/conversations/{conversationId}/messages',
    message: /response 200 removed/,
  },
  { change: 'Retry-After dropped from 429', apply: (s) => delete objectAt(s, 'components', 'responses', 'RateLimited')['headers'], where: 'GET /v1/conversations', message: /header Retry-After removed from response 429/ },
  {
    change: 'a response property removed',
    apply: (s) => {
      delete objectAt(schema(s, 'Message'), 'properties')['cursor'];
      removeValue(arrayAt(schema(s, 'Message'), 'required'), 'cursor');
    },
    where: 'Message.cursor',
    message: /property removed/,
  },
  { change: 'a response property no longer always present', apply: (s) => removeValue(arrayAt(schema(s, 'Conversation'), 'required'), 'unread_count'), where: 'Conversation.unread_count', message: /no longer always present/ },
  { change: 'a response property made nullable', apply: (s) => (property(s, 'Message', 'text')['type'] = ['string', 'null']), where: 'Message.text', message: /may now be null/ },
  { change: 'a response property no longer nullable', apply: (s) => (property(s, 'Conversation', 'subject')['type'] = 'string'), where: 'Conversation.subject', message: /no longer nullable/ },
  { change: 'a response property changes type', apply: (s) => (property(s, 'Attachment', 'size')['type'] = 'string'), where: 'Attachment.size', message: /type changed from integer to string/ },
  { change: 'a response enum value removed', apply: (s) => removeValue(arrayAt(property(s, 'Conversation', 'status'), 'enum'), 'pending'), where: 'Conversation.status', message: /value "pending" removed/ },
  { change: 'a response format changed', apply: (s) => (property(s, 'Message', 'created_at')['format'] = 'date'), where: 'Message.created_at', message: /format changed from date-time to date/ },
  { change: 'a response format added', apply: (s) => (property(s, 'User', 'id')['format'] = 'uuid'), where: 'User.id', message: /format changed from none to uuid/ },
  {
    change: 'a new required request property',
    apply: (s) => {
      objectAt(schema(s, 'NewMessage'), 'properties')['locale'] = { type: 'string' };
      arrayAt(schema(s, 'NewMessage'), 'required').push('locale');
    },
    where: 'NewMessage.locale',
    message: /new required property/,
  },
  {
    change: 'a required request property with no schema of its own',
    apply: (s) => arrayAt(schema(s, 'NewMessage'), 'required').push('channel'),
    where: 'NewMessage.channel',
    message: /new required property/,
  },
  { change: 'an optional request property made required', apply: (s) => arrayAt(schema(s, 'CreateConversationRequest'), 'required').push('subject'), where: 'CreateConversationRequest.subject', message: /now required/ },
  { change: 'a request property removed', apply: (s) => delete objectAt(schema(s, 'Device'), 'properties')['timeZone'], where: 'Device.timeZone', message: /what clients send in it would be ignored/ },
  { change: 'a request property no longer accepts null', apply: (s) => (property(s, 'Device', 'platform')['type'] = 'string'), where: 'Device.platform', message: /no longer accepts null/ },
  { change: 'a request property gains a format', apply: (s) => (property(s, 'NewMessage', 'client_id')['format'] = 'uuid'), where: 'NewMessage.client_id', message: /now requires format uuid/ },
  { change: 'a request limit tightened', apply: (s) => (property(s, 'NewMessage', 'text')['maxLength'] = 5000), where: 'NewMessage.text', message: /maxLength lowered from 10000 to 5000/ },
  {
    change: 'a request minimum raised',
    apply: (s) => (objectAt(property(s, 'CreateSessionRequest', 'user'), 'properties', 'id')['minLength'] = 3),
    where: 'CreateSessionRequest.user.id',
    message: /minLength raised from 1 to 3/,
  },
  { change: 'a request property restricted to a list', apply: (s) => (property(s, 'Device', 'network')['enum'] = ['wifi', 'cellular']), where: 'Device.network', message: /now accepts only "wifi", "cellular"/ },
  { change: 'unknown request fields refused', apply: (s) => (schema(s, 'NewMessage')['additionalProperties'] = false), where: 'NewMessage', message: /unknown fields are now refused/ },
  {
    change: 'a request parameter added as required',
    apply: (s) => arrayAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'get', 'parameters').push({ name: 'locale', in: 'query', required: true, schema: { type: 'string' } }),
    where: 'GET /v1/conversations/{conversationId}/messages',
    message: /new required query parameter "locale"/,
  },
  {
    change: 'an optional request parameter made required',
    apply: (s) => (objectAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'get', 'parameters', '1')['required'] = true),
    where: 'GET /v1/conversations/{conversationId}/messages',
    message: /query parameter "limit" is now required/,
  },
  {
    change: 'a request parameter narrowed',
    apply: (s) => (objectAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'get', 'parameters', '1', 'schema')['maximum'] = 100),
    where: 'GET /v1/conversations/{conversationId}/messages › query parameter "limit"',
    message: /maximum lowered from 200 to 100/,
  },
  {
    change: 'a request parameter removed',
    apply: (s) => arrayAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'get', 'parameters').shift(),
    where: 'GET /v1/conversations/{conversationId}/messages',
    message: /query parameter "after" removed/,
  },
  {
    change: 'an optional request body made required',
    apply: (s) => (objectAt(s, 'paths', '/v1/conversations/{conversationId}/read', 'post', 'requestBody')['required'] = true),
    where: 'POST /v1/conversations/{conversationId}/read',
    message: /request body is now required/,
  },
  {
    change: 'an upload type no longer accepted',
    apply: (s) => delete objectAt(s, 'paths', '/v1/attachments', 'post', 'requestBody', 'content')['image/webp'],
    where: 'POST /v1/attachments',
    message: /image\/webp no longer accepted/,
  },
  {
    change: 'an open endpoint now needs a session',
    apply: (s) => (objectAt(s, 'paths', '/v1/availability', 'get')['security'] = [{ appId: [], sessionToken: [] }]),
    where: 'GET /v1/availability',
    message: /clients sending appId are now refused/,
  },
  { change: 'the app id header renamed', apply: (s) => (objectAt(s, 'components', 'securitySchemes', 'appId')['name'] = 'X-App-Id'), where: 'security scheme appId', message: /changed/ },
  {
    change: 'a server frame type removed',
    apply: (s) => arrayAt(schema(s, 'StreamServerFrame'), 'oneOf').pop(),
    where: 'WEBSOCKET /v1/stream',
    message: /type "pong" removed/,
  },
  {
    change: 'a client frame type no longer accepted',
    apply: (s) => arrayAt(schema(s, 'StreamClientFrame'), 'oneOf').pop(),
    where: 'WEBSOCKET /v1/stream › client frame',
    message: /type "resume" removed/,
  },
  {
    change: 'a server frame loses a field',
    apply: (s) => delete objectAt(schema(s, 'StreamReadyFrame'), 'properties')['cursor'],
    where: 'StreamReadyFrame.cursor',
    message: /property removed/,
  },
  { change: 'a close code removed', apply: (s) => delete objectAt(s, 'x-websocket', '/v1/stream', 'closeCodes')['4401'], where: 'WEBSOCKET /v1/stream', message: /close code 4401 removed/ },
  {
    change: 'a stream query parameter made required',
    apply: (s) => (objectAt(s, 'components', 'parameters', 'StreamAccessToken')['required'] = true),
    where: 'WEBSOCKET /v1/stream',
    message: /query parameter "access_token" is now required/,
  },
];

describe('compatibilityProblems: a change that can break a shipped v1 app fails the build', () => {
  it.each(breakingChanges)('catches $change', ({ apply, where, message }) => {
    const problems = breakingOnly(afterChange(apply));
    expect(problems).toContainEqual(expect.objectContaining({ where: expect.stringContaining(where), message: expect.stringMatching(message) }));
  });

  it('catches a request enum losing a value', () => {
    const withEnum = structuredClone(baseline);
    property(withEnum, 'Device', 'network')['enum'] = ['wifi', 'cellular', 'ethernet', null];
    const problems = afterChange((s) => removeValue(arrayAt(property(s, 'Device', 'network'), 'enum'), 'ethernet'), withEnum);
    expect(breakingOnly(problems)).toEqual([expect.objectContaining({ where: expect.stringContaining('Device.network'), message: 'no longer accepts "ethernet"' })]);
  });

  it('reports a change to a shared schema once, where first reached, not once per operation', () => {
    const problems = afterChange((s) => (property(s, 'Conversation', 'subject')['type'] = 'string'));
    expect(problems).toHaveLength(1);
  });
});

describe('compatibilityProblems: a response enum gaining a value is a warning, not a break', () => {
  // Old apps keep working if they follow the contract ("treat unknown values as neutral"), but an
  // exhaustive switch in a shipped app may not; so it must be acknowledged, not silently allowed.
  it.each([
    { change: 'a conversation status added', apply: (s: OpenApiDocument) => arrayAt(property(s, 'Conversation', 'status'), 'enum').push('snoozed'), message: /new value "snoozed"/ },
    {
      change: 'a server frame type added',
      apply: (s: OpenApiDocument) => arrayAt(schema(s, 'StreamServerFrame'), 'oneOf').push({ type: 'object', required: ['type'], properties: { type: { const: 'typing' } } }),
      message: /new type "typing"/,
    },
    { change: 'a close code added', apply: (s: OpenApiDocument) => (objectAt(s, 'x-websocket', '/v1/stream', 'closeCodes')['4409'] = 'replaced by a newer connection'), message: /new close code 4409/ },
  ])('$change', ({ apply, message }) => {
    const problems = afterChange(apply);
    expect(breakingOnly(problems)).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ level: 'warning', message: expect.stringMatching(message) })]);
  });
});

describe('compatibilityProblems: additive changes pass', () => {
  it.each([
    {
      change: 'a new path',
      apply: (s: OpenApiDocument) => (s.paths['/v1/push-tokens'] = { post: { responses: { '204': { description: 'stored' } } } }),
    },
    { change: 'a new optional request field', apply: (s: OpenApiDocument) => (objectAt(schema(s, 'NewMessage'), 'properties')['reply_to'] = { type: 'string', format: 'uuid' }) },
    {
      change: 'a new response field, even one always present',
      apply: (s: OpenApiDocument) => {
        objectAt(schema(s, 'Conversation'), 'properties')['assignee_name'] = { type: ['string', 'null'] };
        arrayAt(schema(s, 'Conversation'), 'required').push('assignee_name');
      },
    },
    {
      change: 'a new optional query parameter',
      apply: (s: OpenApiDocument) => arrayAt(s, 'paths', '/v1/conversations/{conversationId}/messages', 'get', 'parameters').push({ name: 'before', in: 'query', schema: { type: 'string' } }),
    },
    { change: 'a request limit loosened', apply: (s: OpenApiDocument) => (property(s, 'NewMessage', 'text')['maxLength'] = 20000) },
    {
      change: 'a request field accepting more (format dropped, null allowed)',
      apply: (s: OpenApiDocument) => {
        const email = objectAt(property(s, 'CreateSessionRequest', 'user'), 'properties', 'email');
        delete email['format'];
        property(s, 'NewMessage', 'client_id')['type'] = ['string', 'null'];
      },
    },
    { change: 'a new error status on an operation', apply: (s: OpenApiDocument) => (objectAt(s, 'paths', '/v1/conversations', 'post', 'responses')['409'] = { $ref: '#/components/responses/BadRequest' }) },
    { change: 'a new client frame type', apply: (s: OpenApiDocument) => arrayAt(schema(s, 'StreamClientFrame'), 'oneOf').push({ type: 'object', properties: { type: { const: 'typing' } } }) },
    { change: 'a new upload type', apply: (s: OpenApiDocument) => (objectAt(s, 'paths', '/v1/attachments', 'post', 'requestBody', 'content')['image/heic'] = {}) },
    { change: 'descriptions reworded', apply: (s: OpenApiDocument) => (property(s, 'Message', 'cursor')['description'] = 'Opaque; pass it back unchanged.') },
  ])('$change', ({ apply }) => {
    expect(afterChange(apply).map(formatProblem)).toEqual([]);
  });

  it('renaming a component schema or a path parameter is not a break when the shape is the same', () => {
    const renamed = JSON.parse(
      JSON.stringify(baseline)
        .replaceAll('"#/components/schemas/Conversation"', '"#/components/schemas/Thread"')
        .replaceAll('/v1/conversations/{conversationId}', '/v1/conversations/{id}')
        .replaceAll('"name":"conversationId"', '"name":"id"'),
    ) as OpenApiDocument;
    const schemas = objectAt(renamed, 'components', 'schemas');
    schemas['Thread'] = schemas['Conversation']!;
    delete schemas['Conversation'];
    expect(Object.keys(renamed.paths)).toContain('/v1/conversations/{id}/messages');
    expect(compatibilityProblems(baseline, renamed).map(formatProblem)).toEqual([]);
  });
});
