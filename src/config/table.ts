import { composeSchema, envBindings } from '../config.js';
import type { AnyIntegration } from '../capabilities/integration.js';
import { pathMatches, secretPaths } from './secrets.js';

/**
 * The README's configuration table, derived from the schema (defaults, secrets) and the
 * environment shorthands, so documentation cannot drift from the code. `npm run config:table`
 * prints it; a test checks README contains it.
 */
export function configTable(integrations: readonly AnyIntegration[]): string {
  const schema = composeSchema(integrations);
  const defaults = schema.parse({}) as Record<string, unknown>;
  const secrets = secretPaths(schema);
  const rows = envBindings(integrations).map((binding) => {
    const fallback = binding.path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], defaults);
    const isSecret = secrets.some((pattern) => pathMatches(pattern, binding.path));
    return `| \`${binding.env}\` | \`${binding.path.join('.')}\` | ${fallback === undefined ? '—' : `\`${String(fallback)}\``} | ${isSecret ? 'yes' : 'no'} | ${binding.description} |`;
  });
  return ['| Environment | Config file key | Default | Secret | Meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}
