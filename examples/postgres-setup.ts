/**
 * Host guide, "Environment Variables Required" → "Database Connection": point the SDK at PostgreSQL
 * with POSTGRES_HOST/PORT/DB/USER/PASSWORD (or DATABASE_URL) and `createModelManagement.fromEnv()`.
 *
 *   POSTGRES_HOST=localhost POSTGRES_PORT=5443 POSTGRES_DB=gaming_system POSTGRES_USER=postgres \
 *   POSTGRES_PASSWORD=your_password npx tsx examples/postgres-setup.ts
 *
 * Migrations are applied while opening (an advisory lock lets many replicas boot together). With
 * neither variable set, it explains and runs on the embedded PGlite instead; CI, which sets only
 * MMS_TEST_DATABASE_URL, runs it on that server in a schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { configFromEnv, createModelManagement, type ModelManagementOptions } from '../src/index.js';

const config = configFromEnv(); // throws a ValidationError naming any invalid variable
const testUrl = process.env.MMS_TEST_DATABASE_URL;
let overrides: ModelManagementOptions = {};
let dropSchema: string | null = null;

if (config.database) {
  console.log('Using PostgreSQL from DATABASE_URL / POSTGRES_* (the password is never printed).');
} else if (testUrl) {
  dropSchema = `examples_${randomBytes(4).toString('hex')}`;
  overrides = { db: { connectionString: testUrl, schema: dropSchema } };
  console.log(`DATABASE_URL and POSTGRES_* are unset; using MMS_TEST_DATABASE_URL in schema ${dropSchema}.`);
} else {
  console.log(
    [
      'DATABASE_URL and POSTGRES_* are unset, so fromEnv() falls back to the embedded PGlite (in memory)',
      'and warns once. To use PostgreSQL, set for example:',
      '  POSTGRES_HOST=localhost POSTGRES_PORT=5443 POSTGRES_DB=gaming_system',
      '  POSTGRES_USER=postgres POSTGRES_PASSWORD=your_password',
      'or DATABASE_URL=postgres://user:password@host:5432/db',
    ].join('\n'),
  );
}

const mm = await createModelManagement.fromEnv(process.env, overrides);
try {
  const { db } = mm;
  console.log(`\nbackend: ${db.backend}, schema: ${db.schema}`);
  console.log(`capabilities: ${JSON.stringify(db.capabilities)}`);
  const applied = await sql<{ name: string }>`select name from mms_migrations order by name`.execute(
    db.kysely,
  );
  console.log(`migrations applied: ${applied.rows.map((r) => r.name).join(', ')}`);

  // Idempotent start-up registration, as a service would do it on every boot.
  const wanted = { useCase: 'foundation_layer', modelName: 'foundation-model-v1', version: '1.0' };
  const model =
    (await mm.modelRegistry.findModel(wanted)) ??
    (await mm.modelRegistry.registerModel({
      ...wanted,
      modelType: 'self_hosted',
      provider: 'ollama',
      configuration: { endpoint: 'http://localhost:11434' },
    }));
  if (model.status !== 'current') await mm.modelRegistry.updateModelStatus(model.id, 'current');
  const current = await mm.modelRegistry.getCurrentModel('foundation_layer');
  console.log(`current model of foundation_layer: ${current?.modelName} ${current?.version}`);

  const health = await mm.health();
  console.log(`health(): ${health.status}, database ping ${health.database.latencyMs?.toFixed(1)} ms`);
  if (!current || health.status !== 'ok') process.exitCode = 1;
} finally {
  await mm.close();
  if (dropSchema && testUrl) {
    const client = new pg.Client({ connectionString: testUrl });
    await client.connect();
    await client.query(`drop schema if exists "${dropSchema}" cascade`); // our own generated name
    await client.end();
    console.log(`dropped schema ${dropSchema}`);
  }
}
