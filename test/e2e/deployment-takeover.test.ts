import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, DeploymentManager, ModelRegistry, TrafficRouter } from '../../src/index.js';
import { dropSchema, openTestDatabase, TEST_DATABASE_URL, uniqueSchema } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

const CHILD = fileURLToPath(new URL('../fixtures/deployment/driver-child.ts', import.meta.url));
const LEASE_MS = 1500;
const USE_CASE = 'takeover';

/** Resolves with the first stdout line starting with `prefix`; rejects if the child exits first. */
function waitForLine(child: ChildProcess, prefix: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no ${prefix} line within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const line = buffered.split('\n').find((l) => l.startsWith(prefix));
      if (line) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before ${prefix}`));
    });
  });
}

/** True while `pid` runs; a zombie (killed, not yet reaped by PID 1 in a container) counts as dead. */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    try {
      process.kill(pid, 0);
      return !existsSync('/proc/self');
    } catch {
      return false;
    }
  }
}

describe.skipIf(!TEST_DATABASE_URL)('driver killed mid-rollout (child process, PostgreSQL)', () => {
  const schema = uniqueSchema('takeover');
  let db: Database;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  let router: TrafficRouter;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    db = await openTestDatabase('postgres', { schema });
    registry = new ModelRegistry({ db });
    await registry.ready();
    // Step samples count from the first metrics window that starts inside the step: short windows keep
    // this real-time test short.
    router = new TrafficRouter({ db, registry, metricsWindowMs: 200 });
    manager = new DeploymentManager({
      db,
      registry,
      router,
      drive: false,
      leaseMs: LEASE_MS,
      actor: 'replica-b',
    });
    await manager.router.ready();
  });

  afterAll(async () => {
    if (child?.pid && child.exitCode === null && child.signalCode === null)
      process.kill(-child.pid, 'SIGKILL');
    await manager?.close();
    await router?.close();
    await registry?.close();
    await db?.close();
    await dropSchema(schema);
  });

  it('the other instance takes over after the lease expires and finishes from the persisted step', async () => {
    const reg = (version: string) => registerNpc(registry, USE_CASE, version);
    const stable = await reg('1');
    await registry.updateModelStatus(stable.id, 'current');
    const candidate = await reg('2');

    // `npx tsx` runs the driver in a grandchild: a process group of its own lets SIGKILL reach all of it.
    child = spawn(
      'npx',
      ['tsx', CHILD, TEST_DATABASE_URL!, schema, USE_CASE, candidate.id, String(LEASE_MS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        detached: true,
      },
    );
    const [, deploymentId, pidText] = (await waitForLine(child, 'READY')).split(' ');
    const driverPid = Number(pidText);
    const held = await manager.getDeployment(deploymentId!);
    expect(held).toMatchObject({ status: 'progressing', weight: 10, stepIndex: 0 });
    expect(held.leaseOwner).toBe(`child-${driverPid}`);

    const exited = new Promise((r) => child!.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    for (let i = 0; i < 100 && alive(driverPid); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(driverPid)).toBe(false);

    // The dead driver's lease still holds: this instance must not drive yet.
    await manager.tick();
    const stillHeld = await manager.getDeployment(deploymentId!);
    expect(stillHeld.version).toBe(held.version);
    expect(stillHeld.leaseOwner).toBe(held.leaseOwner);

    const expiresIn = held.leaseExpiresAt!.getTime() - Date.now();
    // Renewed at most once more after `held` was read (the child ticks every 100 ms).
    await new Promise((r) => setTimeout(r, Math.max(0, expiresIn) + 250));

    await manager.router.refresh();
    const t0 = performance.now();
    let d = stillHeld;
    for (let round = 0; round < 200 && d.status !== 'succeeded' && d.status !== 'rolled_back'; round++) {
      for (let i = 0; i < 60; i++) {
        const r = manager.router.route(USE_CASE, { stickyKey: `p${round}-${i}` });
        if (r.deploymentId)
          manager.router.recordOutcome({
            deploymentId: r.deploymentId,
            variant: r.variant,
            ok: true,
            latencyMs: 100 + (i % 7),
          });
      }
      await new Promise((r) => setTimeout(r, 100));
      await manager.tick();
      d = await manager.getDeployment(deploymentId!);
    }
    expect(d.status).toBe('succeeded');
    expect(performance.now() - t0).toBeLessThan(20_000);
    expect((await registry.getModel(candidate.id)).status).toBe('current');

    const events = await manager.getEvents(deploymentId!);
    const steps = events.filter((e) => e.toStatus === 'progressing').map((e) => `${e.weight}:${e.actor}`);
    // Step 1 was taken by the dead driver; the takeover continued from it (no restart at step 1).
    expect(steps).toEqual(['10:child-driver', '50:replica-b', '100:replica-b']);
    expect(events.at(-1)).toMatchObject({ toStatus: 'succeeded', actor: 'replica-b' });
  });
});
