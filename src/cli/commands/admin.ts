/**
 * `mms migrate` and `mms doctor`.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../../db/database.js';
import { loadMigrations, migrate } from '../../db/migrate.js';
import { ACTIVE_DEPLOYMENT_STATUSES } from '../../deployment/index.js';
import { EXIT } from '../args.js';
import { type Command, openForCli } from '../context.js';
import { paint, short } from '../output.js';

export const migrateCommand: Command = {
  name: 'migrate',
  usage: 'mms migrate',
  summary: "applies the SDK's pending migrations (serialised across processes)",
  async run(ctx) {
    const db = await createDatabase(ctx.database());
    try {
      const result = await migrate(db);
      if (ctx.out.json) ctx.out.data(result);
      else
        ctx.out.line(
          result.applied.length
            ? `applied ${result.applied.join(', ')} (${result.skipped.length} already applied)`
            : `up to date (${result.skipped.length} migrations applied)`,
        );
      return EXIT.ok;
    } finally {
      await db.close();
    }
  },
};

/** One finding of `mms doctor`. */
export interface DoctorCheck {
  /** `database`, `migrations`, `clock`, `leases`, `spool`, `history`. */
  check: string;
  ok: boolean;
  /** What was found. */
  detail: string;
  /** What an operator should do, when not ok. */
  fix: string | null;
}

/** Spool folder size beyond which doctor warns. */
const SPOOL_WARN_BYTES = 64 * 1024 * 1024;
/** Clock difference beyond which doctor warns (leases and step timers assume roughly agreeing clocks). */
const SKEW_WARN_MS = 2000;

export const doctorCommand: Command = {
  name: 'doctor',
  usage: 'mms doctor [--spool-dir DIR]…',
  summary: 'connectivity, migrations, clock skew, leases, spool folders: what to fix',
  options: { 'spool-dir': { type: 'string', multiple: true } },
  async run(ctx) {
    const checks: DoctorCheck[] = [];
    const add = (check: string, ok: boolean, detail: string, fix: string | null = null) =>
      checks.push({ check, ok, detail, fix: ok ? null : fix });
    let db: Database | null = null;
    try {
      const t0 = performance.now();
      db = await createDatabase(ctx.database());
      const local = Date.now();
      const row = await sql<{ now: Date | string }>`select now() as now`.execute(db.kysely);
      const rtt = performance.now() - t0;
      add('database', true, `${db.backend} reachable in ${rtt.toFixed(0)} ms (schema ${db.schema})`);
      const skew = new Date(row.rows[0]!.now).getTime() - local;
      add(
        'clock',
        Math.abs(skew) < SKEW_WARN_MS,
        `this machine's clock is ${Math.abs(skew)} ms ${skew > 0 ? 'behind' : 'ahead of'} the database's`,
        'sync clocks with NTP (leases and step timers assume clocks agree within a second)',
      );
    } catch (error) {
      await db?.close().catch(() => {});
      db = null;
      add(
        'database',
        false,
        error instanceof Error ? error.message : String(error),
        'check DATABASE_URL / POSTGRES_* and that PostgreSQL accepts connections from here',
      );
    }
    let migrated = false;
    if (db) {
      const files = loadMigrations().map((m) => m.name);
      const applied = await sql<{ name: string }>`select name from mms_migrations`
        .execute(db.kysely)
        .then((r) => r.rows.map((x) => x.name))
        .catch(() => [] as string[]);
      const pending = files.filter((f) => !applied.includes(f));
      migrated = pending.length === 0;
      add(
        'migrations',
        migrated,
        migrated ? `${applied.length} applied, none pending` : `pending: ${pending.join(', ')}`,
        'run `mms migrate` (or start a service: it migrates on boot)',
      );
    }
    if (db && migrated) {
      const mm = await openForCli(db, ctx.env);
      try {
        const dbNow = Date.now();
        const active = await mm.deploymentManager.listDeployments({
          status: [...ACTIVE_DEPLOYMENT_STATUSES],
        });
        if (active.length === 0) add('leases', true, 'no active deployment');
        for (const d of active) {
          const expires = d.leaseExpiresAt?.getTime() ?? null;
          const driven = expires !== null && expires > dbNow;
          add(
            'leases',
            driven || d.status === 'paused',
            driven
              ? `deployment ${short(d.id)} (${d.useCase}) driven by ${d.leaseOwner} until ${d.leaseExpiresAt?.toISOString()}`
              : `deployment ${short(d.id)} (${d.useCase}, ${d.status}) has no live driving lease`,
            'no replica is driving it: start a service with the SDK (deployments drive by default), or abort it with `mms deploy abort <id>`',
          );
        }
        const lp = mm.logProcessor as unknown as {
          storage?: () => Promise<{ totalBytes: number; parts: unknown[] }>;
        };
        if (typeof lp.storage === 'function') {
          const s = await lp.storage().catch(() => null);
          if (s)
            add(
              'history',
              true,
              `inference history holds ${(s.totalBytes / 1048576).toFixed(1)} MB in ${s.parts.length} part(s)`,
            );
        }
      } finally {
        await mm.close();
      }
    }
    if (db) await db.close();
    for (const dir of (ctx.args.values['spool-dir'] as string[] | undefined) ?? []) {
      try {
        const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl'));
        let bytes = 0;
        for (const n of names) bytes += (await stat(join(dir, n))).size;
        add(
          'spool',
          bytes < SPOOL_WARN_BYTES,
          `${dir}: ${names.length} segment file(s), ${(bytes / 1024).toFixed(0)} KB waiting for the database`,
          'the history could not reach the database: check the service that owns this folder (it replays on its own once the database is back)',
        );
      } catch {
        add(
          'spool',
          false,
          `${dir}: cannot be read`,
          'pass the spoolDir the service uses (`history.spoolDir`)',
        );
      }
    }
    const ok = checks.every((c) => c.ok);
    if (ctx.out.json) ctx.out.data({ ok, checks });
    else {
      for (const c of checks) {
        ctx.out.line(
          `${c.ok ? paint(ctx.out, 'green', 'ok  ') : paint(ctx.out, 'red', 'FIX ')} ${c.check.padEnd(10)} ${c.detail}`,
        );
        if (c.fix) ctx.out.line(`     ${''.padEnd(10)} → ${c.fix}`);
      }
    }
    return ok ? EXIT.ok : EXIT.failed;
  },
};
