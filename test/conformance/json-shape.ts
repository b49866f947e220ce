/**
 * The "shape" of a JSON value, and a comparison of a candidate's shape (what our fake answers)
 * with an official one (a vendor's published example payload). Vendor-neutral: the conformance
 * tests (test/conformance/*.test.ts) feed it vendor fixtures and fake responses.
 *
 * A shape records, at each place in the document, every JSON type seen there, the keys of the
 * objects seen there (union) and one merged shape for the items of the arrays seen there. `null`
 * is recorded as the type "null".
 *
 * Where: RFC 6901 JSON pointers ("" is the whole document); because array items are merged, the
 * index segment is `*`, meaning "every item of this array".
 *
 * Comparison rules (official = the vendor's example, candidate = ours):
 * 1. Nullable fields: a place seen only as `null` on either side matches any type on the other.
 *    Vendor examples show one value per field, so `null` vs a string/number/object says only that
 *    the field is nullable, not that either side is wrong.
 * 2. Empty arrays: an array seen only empty on either side matches any item shape on the other.
 * 3. Types: otherwise every non-null type the candidate shows must be one the official shows; a
 *    mismatch is a `type` finding and the place is not compared deeper.
 * 4. Missing keys: a key the official object has and the candidate lacks is a `missing-key` finding
 *    only when the caller says the candidate claims to return this kind of object
 *    (`reportMissing`); a fake that does not serve an endpoint cannot be missing its fields.
 * 5. Extra keys: a key the candidate has and the official lacks is an `extra-key` finding (an
 *    invented field) unless `allow` has that pointer with a reason (typically: documented by the
 *    vendor but absent from the example, and where). A key the example has and the candidate
 *    lacks may be allowed the same way (typically: the example shows a state the fake never has,
 *    or a quirk of how the example was built). (Original note, extra keys: documented by the
 *    vendor but absent from the example, and where). The subtree of an allowed key is not
 *    compared: there is nothing official to compare it with. Allowances that matched nothing are
 *    returned, so a caller can reject a stale allow-list instead of letting it hide future changes.
 */

export type JsonType = 'array' | 'boolean' | 'null' | 'number' | 'object' | 'string';

export interface Shape {
  /** Every JSON type seen at this place, sorted. */
  readonly types: readonly JsonType[];
  /** Keys of the objects seen here (union over all of them); absent when no object was seen. */
  readonly keys?: Readonly<Record<string, Shape>>;
  /** Merged shape of the items of the arrays seen here; null when every array was empty; absent when no array was seen. */
  readonly items?: Shape | null;
}

export interface ShapeFinding {
  kind: 'missing-key' | 'extra-key' | 'type';
  /** JSON pointer; `*` stands for every item of an array. */
  where: string;
  /** What the official shape has there: its types, or "absent". */
  expected: string;
  /** What the candidate has there: its types, or "absent". */
  actual: string;
}

export interface CompareOptions {
  /** The candidate claims to return this kind of object: keys it lacks are findings (rule 4). */
  reportMissing: boolean;
  /** Extra keys accepted on purpose: JSON pointer → why (rule 5). */
  allow?: Readonly<Record<string, string>>;
}

export interface Comparison {
  findings: ShapeFinding[];
  /** Allowances no extra key matched. */
  unusedAllowances: string[];
}

function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'object';
    default:
      throw new TypeError(`not a JSON value: ${typeof value}`);
  }
}

export function shapeOf(value: unknown): Shape {
  const type = typeOf(value);
  if (type === 'array') {
    let items: Shape | null = null;
    for (const item of value as unknown[]) items = items ? mergeShapes(items, shapeOf(item)) : shapeOf(item);
    return { types: ['array'], items };
  }
  if (type === 'object') {
    return { types: ['object'], keys: Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, v]) => [key, shapeOf(v)])) };
  }
  return { types: [type] };
}

/** One shape describing both: types and keys united, array items merged. */
export function mergeShapes(a: Shape, b: Shape): Shape {
  const types = [...new Set([...a.types, ...b.types])].sort();
  let keys: Record<string, Shape> | undefined;
  if (a.keys || b.keys) {
    const merged = new Map<string, Shape>();
    for (const source of [a.keys ?? {}, b.keys ?? {}]) {
      for (const [key, shape] of Object.entries(source)) {
        const seen = merged.get(key);
        merged.set(key, seen ? mergeShapes(seen, shape) : shape);
      }
    }
    keys = Object.fromEntries(merged);
  }
  let items: Shape | null | undefined;
  if (a.items !== undefined || b.items !== undefined) {
    const x = a.items ?? null;
    const y = b.items ?? null;
    items = x && y ? mergeShapes(x, y) : (x ?? y);
  }
  return { types, ...(keys ? { keys } : {}), ...(items !== undefined ? { items } : {}) };
}

export const describeShape = (shape: Shape): string => shape.types.join('|');

const segment = (key: string) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

export function compareShapes(official: Shape, candidate: Shape, options: CompareOptions): Comparison {
  const allow = options.allow ?? {};
  for (const [pointer, reason] of Object.entries(allow)) {
    if (reason.trim().length === 0) throw new Error(`allowance ${pointer} gives no reason`);
  }
  const findings: ShapeFinding[] = [];
  const used = new Set<string>();

  const compare = (expected: Shape, actual: Shape, where: string): void => {
    const expectedTypes = expected.types.filter((t) => t !== 'null');
    const actualTypes = actual.types.filter((t) => t !== 'null');
    if (expectedTypes.length === 0 || actualTypes.length === 0) return; // rule 1
    if (actualTypes.some((t) => !expectedTypes.includes(t))) {
      findings.push({ kind: 'type', where, expected: expectedTypes.join('|'), actual: actualTypes.join('|') });
      return; // rule 3
    }
    if (expected.keys && actual.keys) {
      for (const [key, shape] of Object.entries(expected.keys)) {
        const at = where + segment(key);
        if (Object.hasOwn(actual.keys, key)) compare(shape, actual.keys[key]!, at);
        else if (Object.hasOwn(allow, at)) used.add(at);
        else if (options.reportMissing) findings.push({ kind: 'missing-key', where: at, expected: describeShape(shape), actual: 'absent' }); // rule 4
      }
      for (const [key, shape] of Object.entries(actual.keys)) {
        if (Object.hasOwn(expected.keys, key)) continue;
        const at = where + segment(key);
        if (Object.hasOwn(allow, at)) used.add(at);
        else findings.push({ kind: 'extra-key', where: at, expected: 'absent', actual: describeShape(shape) }); // rule 5
      }
    }
    if (expected.items && actual.items) compare(expected.items, actual.items, `${where}/*`); // rule 2 when either is null
  };

  compare(official, candidate, '');
  return { findings, unusedAllowances: Object.keys(allow).filter((pointer) => !used.has(pointer)) };
}

/** One mismatch a conformance suite reports, and how it is printed. */
export interface ConformanceFinding {
  check: string;
  kind: string;
  where: string;
  expected: string;
  actual: string;
}

export const showFinding = (f: ConformanceFinding) => `${f.check}: ${f.kind} at ${f.where || '(root)'}: expected ${f.expected}, got ${f.actual}`;
