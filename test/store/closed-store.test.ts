import { describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/backends.js';
import { openStore } from '../../src/store/store.js';

describe('embedded store after close', () => {
  it("answers pg-boss's late fire-and-forget calls like pg-boss's own wrapper (undefined), never with a rejection", async () => {
    const database = await createTestDatabase('pglite');
    const store = await openStore({ dataDir: database.dataDir, poolSize: 2 });
    const jobsDb = (store.jobsConnection as { db: { executeSql(text: string, values?: unknown[]): Promise<unknown> } }).db;
    expect(await jobsDb.executeSql('SELECT 1 AS one')).toMatchObject({ rows: [{ one: 1 }] });
    await store.close();
    await expect(jobsDb.executeSql('SELECT count(*) FROM pgboss.job WHERE id = $1', ['00000000-0000-4000-8000-000000000000'])).resolves.toBeUndefined();
    // Our own queries still fail loudly: only pg-boss's background calls are forgiven.
    await expect(store.db.selectFrom('messages').select('id').execute()).rejects.toThrow();
    await database.drop();
  });
});
