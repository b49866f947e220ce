import type { SchemaValidateFunction } from 'ajv';
import { Ajv2020, type ErrorObject, type Format, type SchemaObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default import is the module, the plugin is `.default`.
const addFormats = addFormatsModule.default;

// One reading of JSON and of local `$ref` pointers for both OpenAPI validators (the chat contract's and this one).
export { atPointer, isObject, type JsonObject, type JsonValue } from '../support/openapi.js';
import { atPointer, isObject, type JsonObject, type JsonValue } from '../support/openapi.js';

/**
 * How an OpenAPI 3.0 schema is read. `close`: objects that declare `properties` and say nothing
 * about `additionalProperties` accept no other property. `forbid`: a property so marked must not
 * appear (OAS 3.0.3 §4.7.24 "readOnly … SHOULD NOT be sent as part of the request", writeOnly
 * likewise for responses); the same marker also lifts the property out of `required`.
 */
export interface SchemaMode {
  name: 'request-strict' | 'request' | 'response' | 'response-closed';
  close: boolean;
  forbid: 'readOnly' | 'writeOnly' | null;
  notRequired: 'readOnly' | 'writeOnly';
}

export const MODES = {
  requestStrict: { name: 'request-strict', close: true, forbid: 'readOnly', notRequired: 'readOnly' },
  request: { name: 'request', close: false, forbid: null, notRequired: 'readOnly' },
  response: { name: 'response', close: false, forbid: 'writeOnly', notRequired: 'writeOnly' },
  // Only ever read for its `unevaluatedProperties` errors: the undeclared properties of a response.
  responseClosed: { name: 'response-closed', close: true, forbid: null, notRequired: 'writeOnly' },
} as const satisfies Record<string, SchemaMode>;

/** The custom keyword a forbidden property's schema becomes; its message says why. */
export const FORBIDDEN_KEYWORD = 'forbiddenHere';

/** Copied as they are: JSON Schema validation keywords that mean the same in OAS 3.0. */
const PLAIN = ['enum', 'format', 'minimum', 'maximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'title'];
/** Read by the conversion itself, or annotations with no say in validation (OAS 3.0.3 §4.7.24–25). */
const CONSUMED = ['type', 'nullable', 'properties', 'required', 'items', 'additionalProperties', 'allOf', 'oneOf', 'anyOf', 'not', 'exclusiveMinimum', 'exclusiveMaximum', 'readOnly', 'writeOnly', 'description', 'example', 'examples', 'default', 'deprecated', 'discriminator', 'xml', 'externalDocs'];

/** OAS 3.0 data-type formats (§4.7.24 "Data Types") that ajv-formats does not define. */
const OAS_FORMATS: Record<string, Format> = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
  byte: { type: 'string', validate: (s: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(s) },
  binary: { type: 'string', validate: () => true },
  password: { type: 'string', validate: () => true },
};

/** Follows a `$ref` chain. In OAS 3.0 a `$ref`'s siblings are ignored (§4.7.23), so the target is the whole story. */
export function resolve(doc: JsonObject, node: JsonValue | undefined): JsonObject | undefined {
  for (let hops = 0; isObject(node) && typeof node['$ref'] === 'string'; hops++) {
    if (hops > 64) throw new Error(`$ref cycle at ${node['$ref']}`);
    node = atPointer(doc, node['$ref']);
  }
  return isObject(node) ? node : undefined;
}

/**
 * Turns OAS 3.0 Schema Objects into JSON Schema 2020-12 for ajv, one referenced node at a time:
 * each `$ref` target is converted once per mode and added to ajv under its own id, so compiling an
 * operation touches only the components it reaches (the whole of a large document is never compiled).
 */
export class SchemaCompiler {
  readonly ajv: Ajv2020;
  /** Keywords and formats the document uses that no validator knows: ignored, as OAS says of unknown formats. */
  readonly ignored = new Set<string>();
  private readonly ids = new Map<string, string>();

  constructor(
    private readonly doc: JsonObject,
    options: { coerceTypes?: boolean } = {},
  ) {
    // Strict schemas, so a keyword the conversion forgot fails loudly instead of validating nothing.
    this.ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, verbose: true, allowUnionTypes: true, unicodeRegExp: false, coerceTypes: options.coerceTypes ?? false });
    addFormats(this.ajv);
    for (const [name, format] of Object.entries(OAS_FORMATS)) this.ajv.addFormat(name, format);
    const forbidden: SchemaValidateFunction = (message: string) => {
      forbidden.errors = [{ keyword: FORBIDDEN_KEYWORD, message, params: {} }];
      return false;
    };
    this.ajv.addKeyword({ keyword: FORBIDDEN_KEYWORD, schemaType: 'string', errors: true, validate: forbidden });
  }

  /** A validator for a schema found where a value sits (a body, a parameter). */
  compile(node: JsonValue | undefined, mode: SchemaMode): ValidateFunction {
    const schema = this.valueSchema(node, mode, false);
    return this.ajv.compile(typeof schema === 'boolean' ? { allOf: [schema] } : schema);
  }

  /** A schema where a value sits: a property, an array item, a body. Closing happens here, never inside allOf branches. */
  private valueSchema(node: JsonValue | undefined, mode: SchemaMode, isProperty: boolean): SchemaObject | boolean {
    const target = resolve(this.doc, node);
    if (isProperty && mode.forbid && target?.[mode.forbid] === true) {
      return { [FORBIDDEN_KEYWORD]: mode.forbid === 'readOnly' ? 'is readOnly: the server sets it, a client must not send it' : 'is writeOnly: documented for requests only' };
    }
    const schema = this.convert(node, mode);
    if (!mode.close || typeof schema === 'boolean' || !this.closable(node, new Set())) return schema;
    // unevaluatedProperties (not additionalProperties) sees the properties every allOf branch and
    // every matching oneOf/anyOf branch declares, i.e. the branches are merged before closing.
    return { ...schema, unevaluatedProperties: false };
  }

  /** Declares properties somewhere in its top level and nowhere says what other properties may do. */
  private closable(node: JsonValue | undefined, seen: Set<JsonObject>): boolean {
    const verdict = (n: JsonValue | undefined): { declares: boolean; open: boolean } => {
      const target = resolve(this.doc, n);
      if (!target || seen.has(target)) return { declares: false, open: false };
      seen.add(target);
      let declares = isObject(target['properties']) && Object.keys(target['properties']).length > 0;
      let open = 'additionalProperties' in target;
      for (const key of ['allOf', 'oneOf', 'anyOf']) {
        const branches = target[key];
        for (const branch of Array.isArray(branches) ? branches : []) {
          const inner = verdict(branch);
          declares ||= inner.declares;
          open ||= inner.open;
        }
      }
      return { declares, open };
    };
    const { declares, open } = verdict(node);
    return declares && !open;
  }

  private convert(node: JsonValue | undefined, mode: SchemaMode): SchemaObject | boolean {
    if (typeof node === 'boolean') return node;
    if (!isObject(node)) return {};
    if (typeof node['$ref'] === 'string') return { $ref: this.idFor(node['$ref'], mode) };
    const out: SchemaObject = {};
    const nullable = node['nullable'] === true;
    // OAS 3.0.3 §4.7.24: nullable adds null only where `type` is given in the same Schema Object.
    if (typeof node['type'] === 'string') out['type'] = nullable ? [node['type'], 'null'] : node['type'];
    for (const key of PLAIN) if (key in node) out[key] = node[key];
    if (Array.isArray(out['enum']) && nullable && 'type' in node && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
    if (typeof out['format'] === 'string' && !this.ajv.formats[out['format']]) {
      this.ignored.add(`format:${out['format']}`);
      this.ajv.addFormat(out['format'], true);
    }
    // OAS 3.0 writes exclusive bounds as booleans beside minimum/maximum (draft-04 style).
    for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
      if (node[flag] === true && typeof node[bound] === 'number') {
        out[flag] = node[bound];
        delete out[bound];
      }
    }
    const properties = node['properties'];
    if (isObject(properties)) {
      out['properties'] = Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, this.valueSchema(value, mode, true)]));
      if (Array.isArray(node['required'])) {
        const required = node['required'].filter((name) => typeof name === 'string' && resolve(this.doc, properties[name])?.[mode.notRequired] !== true);
        if (required.length > 0) out['required'] = required;
      }
    } else if (Array.isArray(node['required']) && node['required'].length > 0) {
      out['required'] = node['required'];
    }
    if ('items' in node) out['items'] = this.valueSchema(node['items'], mode, false);
    const additional = node['additionalProperties'];
    if (typeof additional === 'boolean') out['additionalProperties'] = additional;
    else if (isObject(additional)) out['additionalProperties'] = this.valueSchema(additional, mode, false);
    for (const key of ['allOf', 'oneOf', 'anyOf']) {
      const branches = node[key];
      if (Array.isArray(branches)) out[key] = branches.map((branch) => this.convert(branch, mode));
    }
    if ('not' in node) out['not'] = this.convert(node['not'], mode);
    for (const key of Object.keys(node)) {
      if (!PLAIN.includes(key) && !CONSUMED.includes(key) && !key.startsWith('x-')) this.ignored.add(`keyword:${key}`);
    }
    return out;
  }

  /** The ajv id of a referenced node in this mode, converting and adding it on first use. */
  private idFor(pointer: string, mode: SchemaMode): string {
    const key = `${mode.name} ${pointer}`;
    let id = this.ids.get(key);
    if (id) return id;
    id = `urn:oas3:${mode.name}:${this.ids.size}:${(pointer.split('/').pop() ?? '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
    // Registered before converting, so a recursive schema refers to itself instead of looping.
    this.ids.set(key, id);
    const converted = this.convert(atPointer(this.doc, pointer), mode);
    this.ajv.addSchema(typeof converted === 'boolean' ? { $id: id, allOf: [converted] } : { ...converted, $id: id });
    return id;
  }
}

/** JSON pointer of the value an error is about (an unevaluated property's own name appended). */
export function errorPointer(error: ErrorObject): string {
  const property = error.keyword === 'unevaluatedProperties' ? error.params['unevaluatedProperty'] : error.keyword === 'additionalProperties' ? error.params['additionalProperty'] : undefined;
  const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
  return `${error.instancePath}${typeof property === 'string' ? `/${escape(property)}` : ''}` || '/';
}

const COMBINATORS = ['oneOf', 'anyOf'];

/** The value an error is about, short (ajv keeps it with `verbose`). */
const shown = (data: unknown) => {
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

export function errorMessage(error: ErrorObject): string {
  if (error.keyword === 'unevaluatedProperties') return 'is not declared by the schema';
  const detail = ['enum', 'const', 'type', 'format'].includes(error.keyword) ? ` ${JSON.stringify(error.params)}` : '';
  const got = COMBINATORS.includes(error.keyword) || ['type', 'enum', 'const', 'format'].includes(error.keyword) ? ` (got ${shown(error.data)})` : '';
  return `${error.message ?? 'is invalid'}${detail}${got}`;
}

/**
 * One error per problem: where a oneOf/anyOf failed, the branches' complaints about that same
 * value ("must be string", "must be integer") are what "must match exactly one" already says.
 * Branch errors about values deeper inside are kept: they tell which part broke.
 */
export function collapseErrors(errors: ErrorObject[]): ErrorObject[] {
  const combinedAt = new Set(errors.filter((e) => COMBINATORS.includes(e.keyword)).map((e) => e.instancePath));
  const mistypedAt = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  const seen = new Set<string>();
  return errors.filter((error) => {
    // A failed oneOf evaluated no property, so "unevaluated" says nothing about the object there.
    if (combinedAt.has(error.instancePath) && !COMBINATORS.includes(error.keyword) && error.keyword !== FORBIDDEN_KEYWORD) return false;
    // A value of the wrong type: its format is the same complaint again.
    if (error.keyword === 'format' && mistypedAt.has(error.instancePath)) return false;
    const id = `${errorPointer(error)} ${error.keyword} ${errorMessage(error)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
