import { z } from 'zod';

/**
 * Secrets are marked on the schema itself, so redaction and the README's configuration table
 * derive from one place: a field is secret because its schema says so, not because a list
 * elsewhere remembers it.
 */
export const secretRegistry = z.registry<{ secret: true }>();

export function secret<T extends z.ZodType>(schema: T): T {
  secretRegistry.add(schema, { secret: true });
  return schema;
}

export const REDACTED = '[redacted]';

/** Dotted paths (with `*` for array items and record values) of every secret in a schema. */
export function secretPaths(schema: z.ZodType, prefix: string[] = []): string[][] {
  if (secretRegistry.has(schema)) return [prefix];
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const type = def['type'];
  if (type === 'object') {
    const shape = def['shape'] as Record<string, z.ZodType>;
    return Object.entries(shape).flatMap(([key, child]) => secretPaths(child, [...prefix, key]));
  }
  if (type === 'array') return secretPaths(def['element'] as z.ZodType, [...prefix, '*']);
  if (type === 'record') return secretPaths(def['valueType'] as z.ZodType, [...prefix, '*']);
  const inner = def['innerType'] ?? def['in'];
  if (inner) return secretPaths(inner as z.ZodType, prefix);
  if (type === 'union') {
    return (def['options'] as z.ZodType[]).flatMap((option) => secretPaths(option, prefix));
  }
  return [];
}

/** A deep copy of `value` with every secret path replaced by a marker (absent values stay absent). */
export function redact<T>(value: T, paths: string[][]): T {
  const copy = structuredClone(value);
  for (const path of paths) redactPath(copy, path);
  return copy;
}

function redactPath(node: unknown, path: string[]): void {
  if (node === null || typeof node !== 'object' || path.length === 0) return;
  const [head, ...rest] = path as [string, ...string[]];
  const record = node as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(record) : [head];
  for (const key of keys) {
    if (!(key in record) || record[key] === undefined) continue;
    if (rest.length === 0) record[key] = REDACTED;
    else redactPath(record[key], rest);
  }
}

export function pathMatches(pattern: string[], path: (string | number)[]): boolean {
  return pattern.length === path.length && pattern.every((part, i) => part === '*' || part === String(path[i]));
}
