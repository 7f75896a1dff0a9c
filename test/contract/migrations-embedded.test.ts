// Migrations are embedded at build time (src/db/migrations.generated.ts). A database migrated by
// version 0.1.0 (its SQL files as released, kept in test/fixtures/migrations-0.1.0) upgrades through the
// embedded runner: nothing re-applied, rows intact. Runs on pg-mem, and on PostgreSQL when
// MMS_TEST_DATABASE_URL is set.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDatabase, loadMigrations, migrate } from '../../src/db/index.js';
import { ModelRegistry } from '../../src/index.js';
import { registerNpc } from '../helpers/models.js';

const released = fileURLToPath(new URL('../fixtures/migrations-0.1.0', import.meta.url));
const backends = process.env.MMS_TEST_DATABASE_URL
  ? (['pg-mem', 'postgres'] as const)
  : (['pg-mem'] as const);

describe('embedded migrations', () => {
  it('match migrations/*.sql byte for byte (the generated module is not stale)', () => {
    const folder = fileURLToPath(new URL('../../migrations', import.meta.url));
    expect(loadMigrations()).toEqual(loadMigrations(folder));
    const script = fileURLToPath(new URL('../../scripts/embed-migrations.mjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(backends)(
    'upgrades a database migrated by 0.1.0: nothing re-applied, rows intact (%s)',
    async (backend) => {
      const schema = `mms_upgrade_${process.pid}_${Date.now() % 1e6}`;
      const db =
        backend === 'pg-mem'
          ? await createDatabase({ memory: true, migrate: false })
          : await createDatabase({
              connectionString: process.env.MMS_TEST_DATABASE_URL!,
              schema,
              migrate: false,
            });
      try {
        const old = loadMigrations(released);
        expect(old.map((m) => m.name)).toEqual([
          '0001_registry.sql',
          '0002_history.sql',
          '0003_guardrails.sql',
          '0004_deployments.sql',
        ]);
        expect((await migrate(db, old)).applied).toEqual(old.map((m) => m.name)); // the 0.1.0 database
        const registry = new ModelRegistry({ db });
        await registry.ready();
        const model = await registerNpc(registry, 'upgrade', '1');
        await registry.close();

        const upgraded = await migrate(db); // the embedded set
        expect(upgraded.skipped).toEqual(old.map((m) => m.name));
        expect(upgraded.applied.some((n) => old.some((m) => m.name === n))).toBe(false);
        const reopened = new ModelRegistry({ db });
        expect((await reopened.getModel(model.id)).id).toBe(model.id);
        await reopened.close();
      } finally {
        if (backend === 'postgres')
          await sql.raw(`drop schema if exists ${schema} cascade`).execute(db.kysely);
        await db.close();
      }
    },
  );
});
