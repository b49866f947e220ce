import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { HubDatabase } from '../../src/store/schema.js';

/**
 * Where a person still appears: every table of the hub's schema and of pg-boss's (job payloads,
 * archived jobs), row by row as text — and bytea columns (raw mail, attachment bytes) as bytes —
 * plus every file the hub keeps in its data directory beside the database. Independent of the
 * erase code's own list of tables, so a table it forgets shows up here.
 */
export async function whereMentioned(db: Kysely<HubDatabase>, needles: string[]): Promise<string[]> {
  const found: string[] = [];
  const tables = await sql<{ schema: string; name: string }>`
    SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
    WHERE table_schema IN ('public', 'pgboss') AND table_type = 'BASE TABLE' ORDER BY 1, 2`.execute(db);
  const patterns = needles.map((n) => `%${n.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  for (const table of tables.rows) {
    const ref = sql.table(`${table.schema}.${table.name}`);
    const rows = await sql<{ row: string }>`SELECT t::text AS row FROM ${ref} t WHERE t::text ILIKE ANY(${patterns}::text[]) LIMIT 3`.execute(db);
    for (const r of rows.rows) found.push(`${table.schema}.${table.name}: ${r.row.slice(0, 300)}`);
    const byteColumns = await sql<{ column: string }>`
      SELECT column_name AS column FROM information_schema.columns
      WHERE table_schema = ${table.schema} AND table_name = ${table.name} AND data_type = 'bytea'`.execute(db);
    for (const { column } of byteColumns.rows) {
      for (const needle of needles) {
        const hit = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${ref} WHERE position(${Buffer.from(needle)}::bytea IN ${sql.ref(column)}) > 0`.execute(db);
        if (hit.rows[0]!.n > 0) found.push(`${table.schema}.${table.name}.${column}: ${hit.rows[0]!.n} row(s) hold "${needle}" as bytes`);
      }
    }
  }
  return found;
}

/** Files under `dataDir` (the embedded database's own directory excepted) that contain a needle. */
export function filesMentioning(dataDir: string, needles: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (relative(dataDir, path) === 'pg') continue;
      const stat = statSync(path, { throwIfNoEntry: false });
      if (!stat) continue;
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) {
        const bytes = readFileSync(path);
        for (const needle of needles) if (bytes.includes(Buffer.from(needle))) found.push(`${relative(dataDir, path)} holds "${needle}"`);
      }
    }
  };
  walk(dataDir);
  return found;
}
