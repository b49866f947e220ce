import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module, the plugin is `.default`.
const addFormats = addFormatsModule.default;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
export type OpenApiDocument = JsonObject & { openapi: string; paths: JsonObject };

/** The committed v1 contract, served at `GET /v1/openapi.json`. */
export const contractPath = fileURLToPath(new URL('../../src/channels/chat/openapi.json', import.meta.url));

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

export const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const objectOr = (value: unknown): JsonObject => (isObject(value) ? value : {});

export function loadSpec(path: string): OpenApiDocument {
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isObject(parsed) || typeof parsed['openapi'] !== 'string' || !isObject(parsed['paths'])) {
    throw new Error(`${path} is not an OpenAPI document (no "openapi" version or "paths")`);
  }
  return parsed as OpenApiDocument;
}

let committed: OpenApiDocument | undefined;
const committedContract = (): OpenApiDocument => (committed ??= loadSpec(contractPath));

// ── references ────────────────────────────────────────────────────────────────────────────────

const escapePointer = (segment: string) => encodeURIComponent(segment.replace(/~/g, '~0').replace(/\//g, '~1'));

export function atPointer(doc: JsonObject, pointer: string): JsonValue | undefined {
  if (!pointer.startsWith('#/')) throw new Error(`only local references are supported, not ${pointer}`);
  let node: JsonValue | undefined = doc;
  for (const raw of pointer.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : Array.isArray(node) ? node[Number(key)] : undefined;
  }
  return node;
}

/** Follows `$ref`s; `pointer` is where the object finally found lives (for Ajv), `name` its component name. */
function deref(doc: JsonObject, value: JsonValue | undefined, pointer = ''): { node: JsonObject | undefined; pointer: string; name?: string } {
  let node = value;
  let name: string | undefined;
  for (let hops = 0; isObject(node) && typeof node['$ref'] === 'string'; hops++) {
    if (hops > 32) throw new Error(`$ref cycle at ${pointer}`);
    pointer = node['$ref'];
    name = pointer.split('/').pop();
    node = atPointer(doc, pointer);
  }
  return name === undefined ? { node: isObject(node) ? node : undefined, pointer } : { node: isObject(node) ? node : undefined, pointer, name };
}

// ── validating responses ──────────────────────────────────────────────────────────────────────

const SPEC_ID = 'https://support-hub.invalid/openapi.json';
const validators = new WeakMap<OpenApiDocument, { ajv: Ajv2020; compiled: Map<string, ValidateFunction> }>();

function validatorFor(spec: OpenApiDocument, schemaPointer: string): ValidateFunction {
  let state = validators.get(spec);
  if (!state) {
    // Strict, so a misspelt keyword in the contract fails loudly instead of validating nothing.
    const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    // The document's own top-level keys (openapi, paths, components…) are not schema keywords.
    ajv.addVocabulary(Object.keys(spec).filter((key) => !ajv.getKeyword(key)));
    ajv.addSchema(spec, SPEC_ID);
    state = { ajv, compiled: new Map() };
    validators.set(spec, state);
  }
  let validate = state.compiled.get(schemaPointer);
  if (!validate) {
    validate = state.ajv.compile({ $ref: `${SPEC_ID}${schemaPointer}` });
    state.compiled.set(schemaPointer, validate);
  }
  return validate;
}

const describeError = (error: ErrorObject) =>
  `body${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}` +
  (error.keyword === 'enum' || error.keyword === 'const' ? ` ${JSON.stringify(error.params)}` : '');

/** The path template (`/v1/conversations/{conversationId}`) a concrete path belongs to; literal segments win. */
export function matchPathTemplate(spec: OpenApiDocument, path: string): string | undefined {
  const pathname = path.split('?')[0] ?? path;
  if (pathname in spec.paths) return pathname;
  const segments = pathname.split('/');
  const literalCount = (template: string) => template.split('/').filter((s) => !s.startsWith('{')).length;
  return Object.keys(spec.paths)
    .filter((template) => {
      const parts = template.split('/');
      return parts.length === segments.length &&
        parts.every((part, i) => (part.startsWith('{') ? segments[i] !== '' : part === decodeURIComponent(segments[i] ?? '')));
    })
    .sort((a, b) => literalCount(b) - literalCount(a))[0];
}

const mediaTypeOf = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();
const mediaMatches = (documented: string, actual: string) =>
  documented === actual || documented === '*/*' || (documented.endsWith('/*') && actual.startsWith(documented.slice(0, -1)));
const isJsonMedia = (media: string) => media === 'application/json' || media.endsWith('+json');

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/**
 * Problems with one response against the contract (empty when it conforms). `body` is the parsed
 * JSON, or undefined for an empty body. With `headers`, the content type and every documented
 * required header (e.g. `Retry-After` on 429) are checked too.
 */
export function validateResponse(
  spec: OpenApiDocument,
  method: string,
  pathTemplateOrConcretePath: string,
  status: number,
  body: unknown,
  headers?: ResponseHeaders,
): string[] {
  const verb = method.toLowerCase();
  const template = matchPathTemplate(spec, pathTemplateOrConcretePath);
  if (!template) return [`${method.toUpperCase()} ${pathTemplateOrConcretePath}: no path of the contract matches`];
  const where = `${method.toUpperCase()} ${template} → ${status}`;
  const operation = deref(spec, objectOr(spec.paths[template])[verb]).node;
  if (!operation) return [`${method.toUpperCase()} ${template}: the contract has no such operation`];
  const responses = objectOr(operation['responses']);
  const statusKey = [String(status), `${String(status)[0]}XX`, 'default'].find((key) => key in responses);
  if (!statusKey) return [`${where}: status ${status} is not documented for this operation`];
  const basePointer = `#/paths/${escapePointer(template)}/${verb}/responses/${statusKey}`;
  const { node: response, pointer } = deref(spec, responses[statusKey], basePointer);
  if (!response) return [`${where}: the response's $ref does not resolve`];

  const problems: string[] = [];
  const header = (name: string) => {
    const value = headers?.[name.toLowerCase()];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  if (headers) {
    for (const [name, declared] of Object.entries(objectOr(response['headers']))) {
      const { node: definition } = deref(spec, declared);
      const value = header(name);
      if (value === undefined) {
        if (definition?.['required'] === true) problems.push(`${where}: required header ${name} is missing`);
        continue;
      }
      const schema = objectOr(definition?.['schema']);
      if (schema['type'] === 'integer' && !/^-?\d+$/.test(value)) problems.push(`${where}: header ${name} "${value}" is not an integer`);
    }
  }

  const content = objectOr(response['content']);
  const documentedMedia = Object.keys(content);
  const empty = body === undefined || body === '';
  if (documentedMedia.length === 0) {
    if (!empty) problems.push(`${where}: documented without a body, but one was sent`);
    return problems;
  }
  if (empty) return [...problems, `${where}: the body is empty`];
  const actualMedia = header('content-type') === undefined ? undefined : mediaTypeOf(header('content-type')!);
  const media = actualMedia === undefined ? documentedMedia.find(isJsonMedia) ?? documentedMedia[0]! : documentedMedia.find((m) => mediaMatches(m, actualMedia));
  if (media === undefined) return [...problems, `${where}: content type ${actualMedia} is not one of ${documentedMedia.join(', ')}`];
  const mediaObject = objectOr(content[media]);
  if (!isJsonMedia(media) || !('schema' in mediaObject)) return problems; // bytes: the content type is the contract

  const validate = validatorFor(spec, `${pointer}/content/${escapePointer(media)}/schema`);
  if (!validate(body)) problems.push(...(validate.errors ?? []).map((error) => `${where}: ${describeError(error)}`));
  return problems;
}

/** Problems with a value against a component schema, e.g. a WebSocket frame against `StreamServerFrame`. */
export function validateComponent(spec: OpenApiDocument, schemaName: string, value: unknown): string[] {
  if (!(schemaName in objectOr(objectOr(spec['components'])['schemas']))) return [`the contract has no schema ${schemaName}`];
  const validate = validatorFor(spec, `#/components/schemas/${escapePointer(schemaName)}`);
  return validate(value) ? [] : (validate.errors ?? []).map((error) => `${schemaName}: ${describeError(error)}`);
}

/** The parts of a supertest response this needs (structural, so any HTTP client's response fits). */
export interface HttpExchange {
  status: number;
  body: unknown;
  text?: string;
  headers: ResponseHeaders;
  request: { method: string; url: string };
}

/** Throws, listing every problem, unless the response conforms to the contract (default: the committed one). */
export function expectMatchesSpec(response: HttpExchange, spec: OpenApiDocument = committedContract()): void {
  const { pathname } = new URL(response.request.url, 'http://hub.invalid');
  const contentType = response.headers['content-type'];
  const json = typeof contentType === 'string' && isJsonMedia(mediaTypeOf(contentType));
  const hasBody = typeof response.text === 'string'
    ? response.text.length > 0
    : response.body !== undefined && !(isObject(response.body) && Object.keys(response.body).length === 0); // bytes arrive as a Buffer
  const body = !hasBody ? undefined : json ? response.body : (response.text ?? response.body);
  const problems = validateResponse(spec, response.request.method, pathname, response.status, body, response.headers);
  if (problems.length > 0) {
    throw new Error(`response does not match the v1 contract:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(body)}`);
  }
}

// ── compatibility ─────────────────────────────────────────────────────────────────────────────

/**
 * `breaking`: an app built against the baseline can fail. `warning`: it keeps working unless it
 * assumed a closed set — a response enum (or stream frame type, or close code) gained a value,
 * which an exhaustive `switch` in a shipped app does not know. Warnings must be acknowledged.
 */
export interface CompatibilityProblem {
  level: 'breaking' | 'warning';
  where: string;
  message: string;
}

export const formatProblem = (problem: CompatibilityProblem) => `[${problem.level}] ${problem.where}: ${problem.message}`;

type Direction = 'request' | 'response';

const LOWER_BOUNDS = ['minLength', 'minItems', 'minProperties', 'minimum', 'exclusiveMinimum'] as const;
const UPPER_BOUNDS = ['maxLength', 'maxItems', 'maxProperties', 'maximum', 'exclusiveMaximum'] as const;

const typeSet = (schema: JsonObject): string[] | null => {
  const type = schema['type'];
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : null;
};
const enumOf = (schema: JsonObject): JsonValue[] | null =>
  Array.isArray(schema['enum']) ? schema['enum'] : schema['const'] !== undefined ? [schema['const']] : null;
const describeTypes = (types: string[] | null) => (types ? types.join(' | ') : 'any');
const list = (values: JsonValue[]) => values.map((v) => JSON.stringify(v)).join(', ');
const without = (values: JsonValue[], removed: JsonValue[]) => values.filter((v) => !removed.some((r) => JSON.stringify(r) === JSON.stringify(v)));
const forbidsUnknownFields = (schema: JsonObject) => schema['additionalProperties'] === false || schema['unevaluatedProperties'] === false;

/**
 * Every way `current` breaks a client built against `baseline`.
 *
 * Requests (what shipped clients send): anything the baseline accepted must still be accepted and
 * still be read. Breaking: a parameter, body, media type or property removed; something optional
 * made required; a new required parameter or property; a type, enum, format or bound narrowed;
 * unknown fields refused. Widening is fine.
 *
 * Responses (what shipped clients read): a v1 field's type, nullability and format are frozen.
 * Breaking: a status, header, media type or property removed; a required property made optional;
 * the type set changed in either direction (null added crashes a client, null removed is a narrowing
 * of the document we promised not to make); an enum value removed. Added properties are fine;
 * added enum values (and stream frame types, close codes) are warnings.
 */
export function compatibilityProblems(baseline: OpenApiDocument, current: OpenApiDocument): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  const breaking = (where: string, message: string) => problems.push({ level: 'breaking', where, message });
  const warning = (where: string, message: string) => problems.push({ level: 'warning', where, message });
  const compared = new Set<string>();

  function compareSchema(where: string, path: string, bRaw: JsonValue | undefined, cRaw: JsonValue | undefined, direction: Direction): void {
    const b = deref(baseline, bRaw ?? {});
    const c = deref(current, cRaw ?? {});
    if (b.name !== undefined || c.name !== undefined) {
      // A component is compared once per direction: reported once, and recursive schemas terminate.
      const key = `${direction}|${b.pointer || path}|${c.pointer || path}`;
      if (compared.has(key)) return;
      compared.add(key);
      if (b.name !== undefined) path = `${path} → ${b.name}`;
    }
    const bs = b.node ?? {};
    const cs = c.node ?? {};
    const at = `${where} › ${path}`;

    const bVariants = Array.isArray(bs['oneOf']) ? bs['oneOf'] : Array.isArray(bs['anyOf']) ? bs['anyOf'] : null;
    const cVariants = Array.isArray(cs['oneOf']) ? cs['oneOf'] : Array.isArray(cs['anyOf']) ? cs['anyOf'] : null;
    if (bVariants || cVariants) {
      compareVariants(where, path, bVariants ?? [bs], cVariants ?? [cs], direction);
      return;
    }

    const bTypes = typeSet(bs);
    const cTypes = typeSet(cs);
    if (direction === 'request') {
      const accepts = (types: string[], t: string) => types.includes(t) || (t === 'integer' && types.includes('number'));
      const lost = cTypes === null ? [] : bTypes === null ? ['values of any type'] : bTypes.filter((t) => !accepts(cTypes, t));
      if (lost.length > 0) breaking(at, `no longer accepts ${lost.join(', ')} (was ${describeTypes(bTypes)}, now ${describeTypes(cTypes)})`);
    } else if (describeTypes(bTypes && [...bTypes].sort()) !== describeTypes(cTypes && [...cTypes].sort())) {
      const nullAdded = !bTypes?.includes('null') && cTypes?.includes('null');
      const nullRemoved = bTypes?.includes('null') && !cTypes?.includes('null');
      const hint = nullAdded ? ' — may now be null' : nullRemoved ? ' — no longer nullable' : '';
      breaking(at, `type changed from ${describeTypes(bTypes)} to ${describeTypes(cTypes)}${hint}`);
    }

    const bEnum = enumOf(bs);
    const cEnum = enumOf(cs);
    if (direction === 'request' && cEnum) {
      if (!bEnum) breaking(at, `now accepts only ${list(cEnum)}`);
      else if (without(bEnum, cEnum).length > 0) breaking(at, `no longer accepts ${list(without(bEnum, cEnum))}`);
    }
    if (direction === 'response' && bEnum) {
      if (!cEnum) warning(at, `no longer limited to ${list(bEnum)}`);
      else {
        if (without(bEnum, cEnum).length > 0) breaking(at, `value ${list(without(bEnum, cEnum))} removed`);
        if (without(cEnum, bEnum).length > 0) warning(at, `new value ${list(without(cEnum, bEnum))}: a shipped app's exhaustive switch does not know it`);
      }
    }

    const bFormat = bs['format'];
    const cFormat = cs['format'];
    if (direction === 'request' && cFormat !== undefined && cFormat !== bFormat) {
      breaking(at, bFormat === undefined ? `now requires format ${String(cFormat)}` : `format changed from ${String(bFormat)} to ${String(cFormat)}`);
    }
    if (direction === 'response' && cFormat !== bFormat) {
      breaking(at, `format changed from ${String(bFormat ?? 'none')} to ${String(cFormat ?? 'none')}`);
    }

    if (direction === 'request') {
      for (const bound of LOWER_BOUNDS) {
        const was = bs[bound];
        const now = cs[bound];
        if (typeof now === 'number' && (typeof was !== 'number' || now > was)) breaking(at, `${bound} raised from ${String(was ?? 'none')} to ${now}`);
      }
      for (const bound of UPPER_BOUNDS) {
        const was = bs[bound];
        const now = cs[bound];
        if (typeof now === 'number' && (typeof was !== 'number' || now < was)) breaking(at, `${bound} lowered from ${String(was ?? 'none')} to ${now}`);
      }
      for (const rule of ['pattern', 'multipleOf'] as const) {
        if (cs[rule] !== undefined && cs[rule] !== bs[rule]) breaking(at, `now must satisfy ${rule} ${JSON.stringify(cs[rule])}`);
      }
      if (cs['uniqueItems'] === true && bs['uniqueItems'] !== true) breaking(at, 'items must now be unique');
      if (forbidsUnknownFields(cs) && !forbidsUnknownFields(bs)) breaking(at, 'unknown fields are now refused (v1 ignores them)');
    }

    const bProps = objectOr(bs['properties']);
    const cProps = objectOr(cs['properties']);
    const bRequired = new Set(Array.isArray(bs['required']) ? bs['required'] : []);
    const cRequired = new Set(Array.isArray(cs['required']) ? cs['required'] : []);
    for (const [name, bProp] of Object.entries(bProps)) {
      const propertyAt = `${where} › ${path}.${name}`;
      if (!(name in cProps)) {
        breaking(propertyAt, direction === 'response' ? 'property removed (responses only ever gain fields)' : 'property removed: what clients send in it would be ignored');
        continue;
      }
      if (direction === 'response' && bRequired.has(name) && !cRequired.has(name)) breaking(propertyAt, 'no longer always present');
      if (direction === 'request' && !bRequired.has(name) && cRequired.has(name)) breaking(propertyAt, 'now required');
      compareSchema(where, `${path}.${name}`, bProp, cProps[name], direction);
    }
    if (direction === 'request') {
      for (const name of cRequired) {
        if (typeof name === 'string' && !(name in bProps) && !bRequired.has(name)) breaking(`${at}.${name}`, 'new required property: v1 clients do not send it');
      }
    }
    if (bs['items'] !== undefined || cs['items'] !== undefined) compareSchema(where, `${path}[]`, bs['items'], cs['items'], direction);
  }

  /** Variants match by their `type` constant (stream frames), else component name, else position. */
  function compareVariants(where: string, path: string, bVariants: JsonValue[], cVariants: JsonValue[], direction: Direction): void {
    const keyOf = (doc: JsonObject, variant: JsonValue, index: number) => {
      const { node, name } = deref(doc, variant);
      const discriminator = objectOr(objectOr(node?.['properties'])['type'])['const'];
      return typeof discriminator === 'string' ? `type "${discriminator}"` : name ?? `variant #${index}`;
    };
    const cKeys = cVariants.map((variant, i) => keyOf(current, variant, i));
    const bKeys = bVariants.map((variant, i) => keyOf(baseline, variant, i));
    bVariants.forEach((variant, i) => {
      const j = cKeys.indexOf(bKeys[i]!);
      if (j === -1) breaking(`${where} › ${path}`, `${bKeys[i]!} removed`);
      else compareSchema(where, `${path}[${bKeys[i]!}]`, variant, cVariants[j], direction);
    });
    if (direction === 'response') {
      for (const key of cKeys.filter((k) => !bKeys.includes(k))) warning(`${where} › ${path}`, `new ${key}: a shipped app does not know it`);
    }
  }

  type Parameter = { name: string; in: string; required: boolean; schema: JsonValue | undefined };
  /** Path parameters are keyed by position, so renaming `{id}` is not a removal. */
  function parametersOf(doc: JsonObject, template: string, ...lists: JsonValue[]): Map<string, Parameter> {
    const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const parameters = new Map<string, Parameter>();
    for (const declared of lists.flatMap((l) => (Array.isArray(l) ? l : []))) {
      const { node } = deref(doc, declared);
      if (!node || typeof node['name'] !== 'string' || typeof node['in'] !== 'string') continue;
      const key = node['in'] === 'path' ? `path#${pathNames.indexOf(node['name'])}` : `${node['in']}:${node['name'].toLowerCase()}`;
      parameters.set(key, { name: node['name'], in: node['in'], required: node['required'] === true, schema: node['schema'] });
    }
    return parameters;
  }

  function compareParameters(where: string, bParams: Map<string, Parameter>, cParams: Map<string, Parameter>): void {
    for (const [key, b] of bParams) {
      const c = cParams.get(key);
      const label = `${b.in} parameter "${b.name}"`;
      if (!c) breaking(where, `${label} removed`);
      else {
        if (!b.required && c.required) breaking(where, `${label} is now required`);
        compareSchema(where, label, b.schema, c.schema, 'request');
      }
    }
    for (const [key, c] of cParams) {
      if (!bParams.has(key) && c.required) breaking(where, `new required ${c.in} parameter "${c.name}"`);
    }
  }

  const securityOf = (doc: JsonObject, declared: JsonValue | undefined): string[][] => {
    const alternatives = Array.isArray(declared) ? declared : Array.isArray(doc['security']) ? doc['security'] : [];
    return alternatives.length === 0 ? [[]] : alternatives.map((alt) => Object.keys(objectOr(alt)).sort());
  };
  function compareSecurity(where: string, bAlternatives: string[][], cAlternatives: string[][]): void {
    const describe = (alt: string[]) => (alt.length === 0 ? 'no credentials' : alt.join(' + '));
    for (const alt of bAlternatives) {
      if (!cAlternatives.some((c) => c.every((scheme) => alt.includes(scheme)))) {
        breaking(where, `clients sending ${describe(alt)} are now refused (needs ${cAlternatives.map(describe).join(' or ')})`);
      }
    }
  }

  function compareOperation(where: string, bTemplate: string, cTemplate: string, bItem: JsonObject, bOp: JsonObject, cItem: JsonObject, cOp: JsonObject): void {
    compareParameters(where, parametersOf(baseline, bTemplate, bItem['parameters'] ?? [], bOp['parameters'] ?? []), parametersOf(current, cTemplate, cItem['parameters'] ?? [], cOp['parameters'] ?? []));
    compareSecurity(where, securityOf(baseline, bOp['security']), securityOf(current, cOp['security']));

    const bBody = deref(baseline, bOp['requestBody']).node;
    const cBody = deref(current, cOp['requestBody']).node;
    if (!bBody && cBody?.['required'] === true) breaking(where, 'a request body is now required');
    if (bBody && !cBody) breaking(where, 'request body removed: what clients send would be ignored');
    if (bBody && cBody) {
      if (bBody['required'] !== true && cBody['required'] === true) breaking(where, 'the request body is now required');
      for (const [media, bMedia] of Object.entries(objectOr(bBody['content']))) {
        const cMedia = objectOr(cBody['content'])[media];
        if (cMedia === undefined) breaking(where, `request body of type ${media} no longer accepted`);
        else if ('schema' in objectOr(bMedia) || 'schema' in objectOr(cMedia)) {
          compareSchema(where, `request body (${media})`, objectOr(bMedia)['schema'], objectOr(cMedia)['schema'], 'request');
        }
      }
    }

    const cResponses = objectOr(cOp['responses']);
    for (const [status, bDeclared] of Object.entries(objectOr(bOp['responses']))) {
      const bResponse = deref(baseline, bDeclared).node ?? {};
      const cResponse = deref(current, cResponses[status]).node;
      if (!cResponse) {
        breaking(where, `response ${status} removed`);
        continue;
      }
      const cHeaders = objectOr(cResponse['headers']);
      for (const [name, bHeaderDeclared] of Object.entries(objectOr(bResponse['headers']))) {
        const bHeader = deref(baseline, bHeaderDeclared).node ?? {};
        const cName = Object.keys(cHeaders).find((n) => n.toLowerCase() === name.toLowerCase());
        const cHeader = cName === undefined ? undefined : deref(current, cHeaders[cName]).node;
        if (!cHeader) breaking(where, `header ${name} removed from response ${status}`);
        else {
          if (bHeader['required'] === true && cHeader['required'] !== true) breaking(where, `header ${name} of response ${status} is no longer always sent`);
          compareSchema(where, `response ${status} header ${name}`, bHeader['schema'], cHeader['schema'], 'response');
        }
      }
      for (const [media, bMedia] of Object.entries(objectOr(bResponse['content']))) {
        const cMedia = objectOr(cResponse['content'])[media];
        if (cMedia === undefined) breaking(where, `response ${status} no longer returns ${media}`);
        else if ('schema' in objectOr(bMedia)) compareSchema(where, `response ${status} body`, objectOr(bMedia)['schema'], objectOr(cMedia)['schema'], 'response');
      }
    }
  }

  const bSchemes = objectOr(objectOr(baseline['components'])['securitySchemes']);
  const cSchemes = objectOr(objectOr(current['components'])['securitySchemes']);
  for (const [name, bScheme] of Object.entries(bSchemes)) {
    const cScheme = cSchemes[name];
    const shape = (scheme: JsonValue | undefined) =>
      ['type', 'in', 'name', 'scheme'].map((k) => String(objectOr(scheme)[k] ?? '').toLowerCase()).join(' ');
    if (cScheme === undefined) breaking(`security scheme ${name}`, 'removed');
    else if (shape(bScheme) !== shape(cScheme)) breaking(`security scheme ${name}`, `changed from "${shape(bScheme).trim()}" to "${shape(cScheme).trim()}"`);
  }

  const normalise = (template: string) => template.replace(/\{[^}]+\}/g, '{}');
  const cTemplates = new Map(Object.keys(current.paths).map((t) => [normalise(t), t]));
  for (const [bTemplate, bItemDeclared] of Object.entries(baseline.paths)) {
    const cTemplate = cTemplates.get(normalise(bTemplate));
    if (cTemplate === undefined) {
      breaking(bTemplate, 'path removed');
      continue;
    }
    const bItem = deref(baseline, bItemDeclared).node ?? {};
    const cItem = deref(current, current.paths[cTemplate]).node ?? {};
    for (const method of METHODS) {
      const bOp = objectOr(bItem[method]);
      if (!(method in bItem)) continue;
      const where = `${method.toUpperCase()} ${bTemplate}`;
      if (!(method in cItem)) breaking(where, 'operation removed');
      else compareOperation(where, bTemplate, cTemplate, bItem, bOp, cItem, objectOr(cItem[method]));
    }
  }

  // The WebSocket stream: frames the server sends are read like responses, frames clients send are requests.
  const cStreams = objectOr(current['x-websocket']);
  for (const [stream, bDeclared] of Object.entries(objectOr(baseline['x-websocket']))) {
    const where = `WEBSOCKET ${stream}`;
    const b = objectOr(bDeclared);
    if (!(stream in cStreams)) {
      breaking(where, 'stream removed');
      continue;
    }
    const c = objectOr(cStreams[stream]);
    compareParameters(where, parametersOf(baseline, stream, b['parameters'] ?? []), parametersOf(current, stream, c['parameters'] ?? []));
    compareSecurity(where, securityOf(baseline, b['security']), securityOf(current, c['security']));
    compareSchema(where, 'server frame', b['serverFrames'], c['serverFrames'], 'response');
    compareSchema(where, 'client frame', b['clientFrames'], c['clientFrames'], 'request');
    const bCodes = Object.keys(objectOr(b['closeCodes']));
    const cCodes = Object.keys(objectOr(c['closeCodes']));
    for (const code of bCodes.filter((k) => !cCodes.includes(k))) breaking(where, `close code ${code} removed: clients that act on it never will`);
    for (const code of cCodes.filter((k) => !bCodes.includes(k))) warning(where, `new close code ${code}: a shipped app does not know it`);
  }
  return problems;
}
