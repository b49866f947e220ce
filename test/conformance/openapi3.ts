import { readFileSync } from 'node:fs';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { collapseErrors, errorMessage, errorPointer, FORBIDDEN_KEYWORD, isObject, MODES, resolve, SchemaCompiler, type JsonObject, type JsonValue, type SchemaMode } from './openapi3-schema.js';

/**
 * A vendor's published OpenAPI 3.0.x document as a conformance oracle: which operation a call is,
 * and whether its query, request body and response are what the document describes. Mismatches
 * come back as findings, never as exceptions; only an unreadable document throws.
 */

export type FindingKind =
  | 'unknown-path' // no path template matches the concrete path
  | 'unknown-operation' // the path exists, the method does not
  | 'query-undeclared' // a query parameter the operation does not declare
  | 'query-missing' // a required query parameter was not sent
  | 'query-value' // a declared query parameter with a value its schema refuses
  | 'request-body-undocumented' // a JSON body sent to an operation that documents none
  | 'request-schema' // the request body breaks its schema
  | 'undeclared-request-property' // request-strict: a property the schema does not declare
  | 'read-only-in-request' // request-strict: a readOnly property was sent
  | 'response-media-type' // a content type the documented status does not list
  | 'response-body-undocumented' // a body where the status documents none
  | 'response-schema' // the response body breaks its schema
  | 'write-only-in-response' // a writeOnly property came back
  | 'undeclared-response-property'; // a documented object carries a property its schema does not declare (an invented field)

export interface Finding {
  kind: FindingKind;
  /** `PUT /api/v2/tickets/{ticket_id} (UpdateTicket)`, or the concrete call when no operation matched. */
  operation: string;
  /** Where in the exchange: `request#/ticket/additional_tags`, `response 200#/meta`, `query?page[foo]`. */
  where: string;
  message: string;
}

export interface Operation {
  method: string;
  template: string;
  operationId: string | null;
  label: string;
  node: JsonObject;
  pathItem: JsonObject;
  /** JSON pointer of the operation in the document (validators are cached by it). */
  pointer: string;
}

export type RequestStrictness = 'strict' | 'documented';

export interface ResponseCheck {
  /** The status (or its range, or `default`) is documented for the operation. */
  documented: boolean;
  /** Something was checked against the document: a schema, or the absence of a body. */
  validated: boolean;
  findings: Finding[];
}

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  style: string | null;
  schema: JsonValue | undefined;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();
const isJsonMedia = (media: string) => media === 'application/json' || media.endsWith('+json');
const mediaMatches = (documented: string, actual: string) =>
  documented === actual || documented === '*/*' || (documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1)));

const loaded = new Map<string, JsonObject>();

function asDocument(name: string, parsed: unknown): JsonObject {
  if (!isObject(parsed) || typeof parsed['openapi'] !== 'string' || !parsed['openapi'].startsWith('3.0.') || !isObject(parsed['paths'])) {
    throw new Error(`${name} is not an OpenAPI 3.0.x document`);
  }
  return parsed;
}

/** YAML or JSON (YAML 1.2 reads both); parsed once per process. */
function readDocument(file: string): JsonObject {
  let doc = loaded.get(file);
  if (!doc) {
    const text = readFileSync(file, 'utf8');
    doc = asDocument(file, file.endsWith('.json') ? JSON.parse(text) : parseYaml(text));
    loaded.set(file, doc);
  }
  return doc;
}

export interface LoadOptions {
  /** A suffix the vendor accepts on every path but documents without (Zendesk: `.json`). */
  ignorePathSuffix?: string;
}

export class OpenApi3Document {
  private readonly doc: JsonObject;
  private readonly paths: JsonObject;
  private readonly templates: { template: string; segments: string[] }[];
  private readonly schemas: SchemaCompiler;
  /** Query values arrive as strings: their schemas are checked with type coercion. */
  private readonly querySchemas: SchemaCompiler;
  private readonly validators = new Map<string, ValidateFunction>();

  static load(file: string, options: LoadOptions = {}): OpenApi3Document {
    return new OpenApi3Document(file, readDocument(file), options);
  }

  /** A document already in memory (tests of this module); `name` stands in for the file. */
  static fromObject(name: string, document: unknown, options: LoadOptions = {}): OpenApi3Document {
    return new OpenApi3Document(name, asDocument(name, document), options);
  }

  private constructor(
    readonly file: string,
    doc: JsonObject,
    private readonly options: LoadOptions,
  ) {
    this.doc = doc;
    this.paths = doc['paths'] as JsonObject;
    this.templates = Object.keys(this.paths).map((template) => ({ template, segments: template.split('/') }));
    this.schemas = new SchemaCompiler(doc);
    this.querySchemas = new SchemaCompiler(doc, { coerceTypes: true });
  }

  /** Keywords and formats met so far that nothing validates (reported, so a reader knows). */
  get ignored(): string[] {
    return [...new Set([...this.schemas.ignored, ...this.querySchemas.ignored])].sort();
  }

  /**
   * The operation a call is. Templates match segment for segment; where several match, the one
   * whose first differing segment is literal wins (`/users/me` over `/users/{user_id}`).
   */
  operation(method: string, concretePath: string): Operation | null {
    const template = this.pathTemplate(concretePath);
    if (!template) return null;
    const pathItem = resolve(this.doc, this.paths[template]) ?? {};
    const verb = method.toLowerCase();
    const node = METHODS.includes(verb) ? resolve(this.doc, pathItem[verb]) : undefined;
    if (!node) return null;
    const operationId = typeof node['operationId'] === 'string' ? node['operationId'] : null;
    const label = `${method.toUpperCase()} ${template}${operationId ? ` (${operationId})` : ''}`;
    return { method: method.toUpperCase(), template, operationId, label, node, pathItem, pointer: `#/paths/${escapePointer(template)}/${verb}` };
  }

  /** The finding for a call `operation()` could not place. */
  unplaced(method: string, concretePath: string): Finding {
    const template = this.pathTemplate(concretePath);
    return template
      ? { kind: 'unknown-operation', operation: `${method.toUpperCase()} ${template}`, where: 'method', message: `the document has no ${method.toUpperCase()} on ${template}` }
      : { kind: 'unknown-path', operation: `${method.toUpperCase()} ${concretePath}`, where: 'path', message: 'no path template of the document matches' };
  }

  pathTemplate(concretePath: string): string | null {
    let path = concretePath.split('?')[0] ?? concretePath;
    const suffix = this.options.ignorePathSuffix;
    if (suffix && path.endsWith(suffix) && !(path in this.paths)) path = path.slice(0, -suffix.length);
    if (path in this.paths) return path;
    const segments = path.split('/').map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s; // a malformed escape is compared as sent
      }
    });
    const rank = (parts: string[]) => parts.map((p) => (p.startsWith('{') ? '1' : '0')).join('');
    const candidates = this.templates.filter(
      ({ segments: parts }) => parts.length === segments.length && parts.every((part, i) => (part.startsWith('{') && part.endsWith('}') ? segments[i] !== '' : part === segments[i])),
    );
    candidates.sort((a, b) => rank(a.segments).localeCompare(rank(b.segments)));
    return candidates[0]?.template ?? null;
  }

  /** Query parameters against the declared ones: names, `deepObject` keys (`page[size]`), values, required ones. */
  validateQuery(operation: Operation, query: Iterable<readonly [string, string]>): Finding[] {
    const findings: Finding[] = [];
    const finding = (kind: FindingKind, name: string, message: string) => findings.push({ kind, operation: operation.label, where: `query?${name}`, message });
    const declared = new Map<string, Parameter>();
    for (const p of this.parameters(operation)) if (p.in === 'query') declared.set(p.name, p);
    const plain = new Map<string, string[]>();
    const deep = new Map<string, Map<string, string>>();
    for (const [name, value] of query) {
      const bracket = /^([^[\]]+)\[([^[\]]+)\]$/.exec(name);
      if (declared.has(name)) plain.set(name, [...(plain.get(name) ?? []), value]);
      else if (bracket && declared.get(bracket[1]!)?.style === 'deepObject') {
        const keys = deep.get(bracket[1]!) ?? new Map<string, string>();
        deep.set(bracket[1]!, keys.set(bracket[2]!, value));
      } else finding('query-undeclared', name, 'is not a declared query parameter of this operation');
    }
    for (const [name, values] of plain) {
      const parameter = declared.get(name)!;
      const schema = resolve(this.doc, parameter.schema);
      const value: unknown = schema?.['type'] === 'array' ? values : values.length === 1 ? values[0] : values;
      for (const error of this.check(this.querySchemas, `${operation.pointer}/query/${name}`, parameter.schema, MODES.request, value)) {
        finding('query-value', `${name}${error.instancePath.replace(/\//g, '.')}`, errorMessage(error));
      }
    }
    for (const [name, keys] of deep) {
      // deepObject (OAS 3.0.3 §4.7.12.4): `page[size]=100` is the object {size: "100"}.
      const schema = declared.get(name)!.schema;
      const known = this.declaredKeys(schema, new Set());
      for (const key of keys.keys()) if (known !== 'any' && !known.has(key)) finding('query-undeclared', `${name}[${key}]`, `is not a declared key of the deepObject parameter ${name}`);
      for (const error of this.check(this.querySchemas, `${operation.pointer}/query/${name}[]`, schema, MODES.request, Object.fromEntries(keys))) {
        const key = errorPointer(error).split('/')[1] ?? '';
        finding('query-value', key ? `${name}[${key}]` : name, errorMessage(error));
      }
    }
    for (const [name, parameter] of declared) {
      if (parameter.required && !plain.has(name) && !deep.has(name)) finding('query-missing', name, 'is required but was not sent');
    }
    return findings;
  }

  /**
   * A JSON request body against the operation's `requestBody`. `strict` (the default): every
   * property sent must be declared, and readOnly ones must not be sent. `documented`: as written.
   */
  validateRequestBody(operation: Operation, body: unknown, strictness: RequestStrictness = 'strict', contentType = 'application/json'): Finding[] {
    const media = mediaType(contentType);
    const requestBody = resolve(this.doc, operation.node['requestBody']);
    const content = resolve(this.doc, requestBody?.['content']) ?? {};
    const documented = Object.keys(content).find((m) => mediaMatches(m, media));
    if (!documented) {
      const listed = Object.keys(content);
      return [{ kind: 'request-body-undocumented', operation: operation.label, where: 'request', message: listed.length ? `${media} is not one of ${listed.join(', ')}` : 'the operation documents no request body' }];
    }
    const schema = resolve(this.doc, content[documented])?.['schema'];
    const mode = strictness === 'strict' ? MODES.requestStrict : MODES.request;
    return this.check(this.schemas, `${operation.pointer}/request/${documented}`, schema, mode, body).map((error) => ({
      kind: error.keyword === 'unevaluatedProperties' ? 'undeclared-request-property' : error.keyword === FORBIDDEN_KEYWORD ? 'read-only-in-request' : 'request-schema',
      operation: operation.label,
      where: `request#${errorPointer(error)}`,
      message: errorMessage(error),
    }));
  }

  /**
   * A response against the schema documented for its status (else its range, else `default`):
   * validated as documented, i.e. open objects; with `undeclared` (the default) every property of a
   * documented object that its schema does not declare is reported too, as its own kind.
   */
  validateResponse(operation: Operation, status: number, body: unknown, options: { contentType?: string | null; undeclared?: boolean } = {}): ResponseCheck {
    const responses = resolve(this.doc, operation.node['responses']) ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (key === undefined) return { documented: false, validated: false, findings: [] };
    const response = resolve(this.doc, responses[key]) ?? {};
    const where = `response ${status}`;
    const finding = (kind: FindingKind, pointer: string, message: string): Finding => ({ kind, operation: operation.label, where: `${where}${pointer}`, message });
    const content = resolve(this.doc, response['content']) ?? {};
    const listed = Object.keys(content);
    const empty = body === undefined || body === null || body === '';
    if (listed.length === 0) return { documented: true, validated: true, findings: empty ? [] : [finding('response-body-undocumented', '', 'the status is documented without a body, but one was sent')] };
    const media = options.contentType ? mediaType(options.contentType) : listed.find(isJsonMedia) ?? listed[0]!;
    const documented = listed.find((m) => mediaMatches(m, media));
    if (!documented) return { documented: true, validated: true, findings: [finding('response-media-type', '', `${media} is not one of ${listed.join(', ')}`)] };
    const schema = resolve(this.doc, content[documented])?.['schema'];
    if (!isJsonMedia(documented) || schema === undefined) return { documented: true, validated: false, findings: [] };
    if (empty) return { documented: true, validated: true, findings: [finding('response-schema', '#', 'the body is empty')] };
    const base = `${operation.pointer}/responses/${key}/${documented}`;
    const openErrors = this.check(this.schemas, base, schema, MODES.response, body);
    const findings = openErrors.map((error) =>
      finding(error.keyword === FORBIDDEN_KEYWORD ? 'write-only-in-response' : 'response-schema', `#${errorPointer(error)}`, errorMessage(error)),
    );
    if (options.undeclared ?? true) {
      for (const { pointer, message } of this.undeclared(`${base}/closed`, schema, body, openErrors)) findings.push(finding('undeclared-response-property', `#${pointer}`, message));
    }
    return { documented: true, validated: true, findings };
  }

  /**
   * A value against one of the document's named schemas (`#/components/schemas/<name>`), as a
   * response would be: documented constraints, and undeclared properties as their own kind.
   */
  validateComponent(name: string, value: unknown, label: string): Finding[] {
    const pointer = `#/components/schemas/${name}`;
    if (resolve(this.doc, { $ref: pointer }) === undefined) return [{ kind: 'response-schema', operation: label, where: pointer, message: 'the document has no such schema' }];
    const schema: JsonValue = { $ref: pointer };
    const openErrors = this.check(this.schemas, pointer, schema, MODES.response, value);
    const findings: Finding[] = openErrors.map((error) => ({ kind: 'response-schema', operation: label, where: `${pointer}#${errorPointer(error)}`, message: errorMessage(error) }));
    for (const { pointer: at, message } of this.undeclared(`${pointer}/closed`, schema, value, openErrors)) findings.push({ kind: 'undeclared-response-property', operation: label, where: `${pointer}#${at}`, message });
    return findings;
  }

  /**
   * Undeclared properties, read off a closed twin of the schema. Below a oneOf/anyOf that failed
   * (already reported) nothing is said: no branch was taken, so none declared anything. A oneOf/anyOf
   * that held until undeclared properties were refused is one finding: no branch declares them all.
   */
  private undeclared(place: string, schema: JsonValue | undefined, body: unknown, openErrors: ErrorObject[]): { pointer: string; message: string }[] {
    const isCombinator = (e: ErrorObject) => e.keyword === 'oneOf' || e.keyword === 'anyOf';
    const under = (path: string, root: string) => path === root || path.startsWith(`${root}/`);
    const closed = this.check(this.schemas, place, schema, MODES.responseClosed, body, false);
    const failedOpen = openErrors.filter(isCombinator).map((e) => e.instancePath);
    const flipped = closed.filter((e) => isCombinator(e) && !failedOpen.includes(e.instancePath));
    const unevaluated = closed.filter((e) => e.keyword === 'unevaluatedProperties');
    const found: { pointer: string; message: string }[] = [];
    for (const combinator of flipped) {
      if (flipped.some((other) => other !== combinator && under(combinator.instancePath, other.instancePath) && other.instancePath !== combinator.instancePath)) continue;
      // Those at the combinator's own object are artefacts of its failure (no branch taken, nothing evaluated).
      const names = [...new Set(unevaluated.filter((e) => e.instancePath.startsWith(`${combinator.instancePath}/`)).map(errorPointer))];
      found.push({ pointer: combinator.instancePath || '/', message: `no ${combinator.keyword} branch declares every property here (undeclared in each reading: ${names.join(', ')})` });
    }
    const silent = [...failedOpen, ...flipped.map((e) => e.instancePath)];
    for (const error of unevaluated) {
      if (!silent.some((root) => under(error.instancePath, root))) found.push({ pointer: errorPointer(error), message: errorMessage(error) });
    }
    return [...new Map(found.map((f) => [`${f.pointer} ${f.message}`, f])).values()];
  }

  /** Property names an object schema declares across its combinators; `any` when it leaves other names open. */
  private declaredKeys(node: JsonValue | undefined, seen: Set<JsonObject>): Set<string> | 'any' {
    const schema = resolve(this.doc, node);
    if (!schema || seen.has(schema)) return new Set();
    seen.add(schema);
    if (schema['additionalProperties'] !== undefined && schema['additionalProperties'] !== false) return 'any';
    const keys = new Set(isObject(schema['properties']) ? Object.keys(schema['properties']) : []);
    for (const combinator of ['allOf', 'oneOf', 'anyOf']) {
      const branches = schema[combinator];
      for (const branch of Array.isArray(branches) ? branches : []) {
        const inner = this.declaredKeys(branch, seen);
        if (inner === 'any') return 'any';
        inner.forEach((key) => keys.add(key));
      }
    }
    return keys;
  }

  private parameters(operation: Operation): Parameter[] {
    const byKey = new Map<string, Parameter>();
    // Operation-level parameters override path-level ones of the same name and location (§4.7.8).
    for (const list of [operation.pathItem['parameters'], operation.node['parameters']]) {
      for (const declared of Array.isArray(list) ? list : []) {
        const p = resolve(this.doc, declared);
        if (!p || typeof p['name'] !== 'string' || typeof p['in'] !== 'string') continue;
        byKey.set(`${p['in']}:${p['name']}`, { name: p['name'], in: p['in'], required: p['required'] === true, style: typeof p['style'] === 'string' ? p['style'] : null, schema: p['schema'] });
      }
    }
    return [...byKey.values()];
  }

  /** Validates with a validator compiled once per (place in the document, mode); one error per problem. */
  private check(compiler: SchemaCompiler, place: string, schema: JsonValue | undefined, mode: SchemaMode, value: unknown, collapse = true): ErrorObject[] {
    const key = `${compiler === this.schemas ? 'body' : 'query'} ${mode.name} ${place}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = compiler.compile(schema, mode);
      this.validators.set(key, validate);
    }
    if (validate(value)) return [];
    const errors = validate.errors ?? [];
    return collapse ? collapseErrors(errors) : errors;
  }
}
