import { describe, expect, it } from 'vitest';
import { OpenApi3Document, type Finding } from './openapi3.js';

/**
 * The validator itself: each rule the vendor suites rely on, against a small document written in
 * the OpenAPI 3.0 dialect (nullable, readOnly, boolean-free allOf, int64, x- and example keywords).
 */
const document = {
  openapi: '3.0.3',
  info: { title: 'Widgets', version: '1' },
  paths: {
    '/api/widgets': {
      get: {
        operationId: 'ListWidgets',
        parameters: [
          { name: 'page', in: 'query', style: 'deepObject', explode: true, schema: { oneOf: [{ type: 'integer' }, { type: 'object', properties: { size: { type: 'integer', minimum: 1 }, after: { type: 'string' } } }] } },
          { name: 'active', in: 'query', schema: { type: 'boolean' } },
          { name: 'query', in: 'query', required: true, schema: { type: 'string' } },
        ],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/WidgetsResponse' } } } } },
      },
      post: {
        operationId: 'CreateWidget',
        requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { widget: { $ref: '#/components/schemas/Widget' } } } } } },
        responses: {
          '201': { description: 'created', content: { 'application/json': { schema: { type: 'object', properties: { widget: { $ref: '#/components/schemas/Widget' } } } } } },
          default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
    '/api/widgets/{widget_id}': {
      get: { operationId: 'ShowWidget', responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', properties: { widget: { $ref: '#/components/schemas/Widget' } } } } } } } },
      delete: { operationId: 'DeleteWidget', responses: { '204': { description: 'gone' } } },
    },
    '/api/widgets/count': { get: { operationId: 'CountWidgets', responses: { '200': { description: 'ok' } } } },
  },
  components: {
    schemas: {
      Base: {
        type: 'object',
        'x-zendesk-internal': true,
        properties: {
          id: { type: 'integer', format: 'int64', readOnly: true },
          created_at: { type: 'string', format: 'date-time', readOnly: true },
          secret: { type: 'string', writeOnly: true },
        },
        required: ['id'],
      },
      Widget: {
        allOf: [
          { $ref: '#/components/schemas/Base' },
          {
            type: 'object',
            example: { name: 'w' },
            properties: {
              name: { type: 'string', nullable: true },
              size: { type: 'string', enum: ['s', 'm'], nullable: true },
              value: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
              settings: { type: 'object', additionalProperties: true, properties: { colour: { type: 'string' } } },
              parts: { type: 'array', items: { $ref: '#/components/schemas/Part' } },
            },
          },
        ],
      },
      Part: { type: 'object', properties: { label: { type: 'string' }, parts: { type: 'array', items: { $ref: '#/components/schemas/Part' } } } },
      WidgetsResponse: { type: 'object', properties: { widgets: { type: 'array', items: { $ref: '#/components/schemas/Widget' } }, count: { type: 'integer', format: 'int32' } } },
      Error: { type: 'object', properties: { error: { type: 'string' }, description: { type: 'string' } } },
    },
  },
};

const doc = OpenApi3Document.fromObject('widgets.yaml', document, { ignorePathSuffix: '.json' });
const op = (method: string, path: string) => {
  const found = doc.operation(method, path);
  if (!found) throw new Error(`no operation for ${method} ${path}`);
  return found;
};
const brief = (findings: Finding[]) => findings.map((f) => `${f.kind} ${f.where}`);

describe('OpenAPI 3.0 conformance validator', () => {
  it('places a call on its operation: literal segments beat templated ones, the ignorable suffix is dropped', () => {
    expect(op('GET', '/api/widgets/count').operationId).toBe('CountWidgets');
    expect(op('GET', '/api/widgets/42.json').operationId).toBe('ShowWidget');
    expect(op('get', '/api/widgets/a%20b').template).toBe('/api/widgets/{widget_id}');
    expect(doc.operation('GET', '/api/gadgets')).toBeNull();
    expect(doc.unplaced('GET', '/api/gadgets').kind).toBe('unknown-path');
    expect(doc.unplaced('PUT', '/api/widgets/1').kind).toBe('unknown-operation');
  });

  it('request-strict: properties from every allOf branch are declared, anything else is reported, readOnly ones may not be sent', () => {
    const create = op('POST', '/api/widgets');
    expect(doc.validateRequestBody(create, { widget: { name: 'a', secret: 's', settings: { colour: 'red', anything: 1 }, parts: [{ label: 'x', parts: [{ label: 'y' }] }] } })).toEqual([]);
    expect(brief(doc.validateRequestBody(create, { widget: { name: 'a', colour: 'red', parts: [{ label: 'x', parts: [{ lable: 'typo' }] }] }, extra: true }))).toEqual([
      'undeclared-request-property request#/widget/parts/0/parts/0/lable',
      'undeclared-request-property request#/widget/colour',
      'undeclared-request-property request#/extra',
    ]);
    expect(brief(doc.validateRequestBody(create, { widget: { id: 7, name: 'a' } }))).toEqual(['read-only-in-request request#/widget/id']);
    // As documented: open objects, readOnly not policed.
    expect(doc.validateRequestBody(create, { widget: { id: 7, colour: 'red' } }, 'documented')).toEqual([]);
  });

  it('reads nullable, enum, oneOf and OAS formats as OpenAPI 3.0 means them', () => {
    const show = op('GET', '/api/widgets/1');
    const widget = (fields: Record<string, unknown>) => doc.validateResponse(show, 200, { widget: { id: 1, created_at: '2024-05-01T10:00:00Z', ...fields } }).findings;
    expect(widget({ name: null, size: null, value: 3 })).toEqual([]);
    expect(brief(widget({ size: 'xl' }))).toEqual(['response-schema response 200#/widget/size']);
    expect(brief(widget({ value: ['a'] }))).toEqual(['response-schema response 200#/widget/value']);
    expect(brief(doc.validateResponse(show, 200, { widget: { id: 1.5, created_at: 'yesterday' } }).findings)).toEqual([
      'response-schema response 200#/widget/id',
      'response-schema response 200#/widget/created_at',
    ]);
    expect(brief(doc.validateResponse(show, 200, { widget: { created_at: '2024-05-01T10:00:00Z' } }).findings)).toEqual(['response-schema response 200#/widget']);
  });

  it('responses: open objects as documented, and every undeclared property of a documented object reported as its own kind', () => {
    const list = op('GET', '/api/widgets');
    const body = { widgets: [{ id: 1, name: 'a', invented: true, settings: { free: 'form' }, parts: [{ label: 'p', colour: 'red' }] }], count: 1, meta: { has_more: false } };
    expect(doc.validateResponse(list, 200, body, { undeclared: false }).findings).toEqual([]);
    const check = doc.validateResponse(list, 200, body);
    expect(check).toMatchObject({ documented: true, validated: true });
    expect(brief(check.findings).sort()).toEqual([
      'undeclared-response-property response 200#/meta',
      'undeclared-response-property response 200#/widgets/0/invented',
      'undeclared-response-property response 200#/widgets/0/parts/0/colour',
    ]);
    expect(brief(doc.validateResponse(op('GET', '/api/widgets/1'), 200, { widget: { id: 1, secret: 'x' } }).findings)).toEqual(['write-only-in-response response 200#/widget/secret']);
  });

  it('undeclared properties: reported beside schema errors elsewhere, and once for a oneOf that no branch fits without them', () => {
    const things = OpenApi3Document.fromObject('things.yaml', {
      openapi: '3.0.0',
      paths: {
        '/things': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        count: { type: 'integer' },
                        thing: {
                          oneOf: [
                            { type: 'object', required: ['a'], properties: { a: { type: 'object', properties: { x: { type: 'integer' } } } } },
                            { type: 'object', required: ['b'], properties: { b: { type: 'string' } } },
                          ],
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    });
    const list = things.operation('GET', '/things')!;
    expect(brief(things.validateResponse(list, 200, { count: 'many', extra: 1, thing: { b: 'ok', c: 1 } }).findings).sort()).toEqual([
      'response-schema response 200#/count',
      'undeclared-response-property response 200#/extra',
      'undeclared-response-property response 200#/thing/c',
    ]);
    expect(things.validateResponse(list, 200, { thing: { a: { x: 1, y: 2 } } }).findings).toEqual([
      { kind: 'undeclared-response-property', operation: 'GET /things', where: 'response 200#/thing', message: 'no oneOf branch declares every property here (undeclared in each reading: /thing/a/y)' },
    ]);
    // A oneOf that fails as documented is reported as such; what it would have declared is not guessed.
    expect(brief(things.validateResponse(list, 200, { thing: { c: 1 } }).findings)).toEqual(['response-schema response 200#/thing']);
  });

  it('falls back to the default response, and says when a status is not documented at all', () => {
    const create = op('POST', '/api/widgets');
    expect(doc.validateResponse(create, 422, { error: 'RecordInvalid', description: 'bad' })).toEqual({ documented: true, validated: true, findings: [] });
    expect(brief(doc.validateResponse(create, 422, { error: 3 }).findings)).toEqual(['response-schema response 422#/error']);
    expect(doc.validateResponse(op('GET', '/api/widgets/1'), 404, { error: 'RecordNotFound' })).toEqual({ documented: false, validated: false, findings: [] });
    expect(brief(doc.validateResponse(op('DELETE', '/api/widgets/1'), 204, { deleted: true }).findings)).toEqual(['response-body-undocumented response 204']);
    expect(brief(doc.validateResponse(create, 201, '<html>', { contentType: 'text/html' }).findings)).toEqual(['response-media-type response 201']);
  });

  it('query: declared names, deepObject keys, values by their schema, required ones', () => {
    const list = op('GET', '/api/widgets');
    expect(doc.validateQuery(list, [['query', 'x'], ['page[size]', '100'], ['page[after]', 'abc'], ['active', 'true']])).toEqual([]);
    expect(doc.validateQuery(list, [['query', 'x'], ['page', '2']])).toEqual([]);
    expect(brief(doc.validateQuery(list, [['page[sise]', '5'], ['page[size]', '0'], ['sort', 'id'], ['active', 'yes']])).sort()).toEqual([
      'query-missing query?query',
      'query-undeclared query?page[sise]',
      'query-undeclared query?sort',
      'query-value query?active',
      'query-value query?page', // neither an integer nor a valid {size, after} …
      'query-value query?page[size]', // … because size is below its minimum
    ]);
  });
});
