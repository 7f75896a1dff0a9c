import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/index.js';
import { DeploymentManager, type DeploymentRegistry } from '../../src/deployment/index.js';
import { DatabaseUnavailableError, ValidationError } from '../../src/errors.js';
import { ManualClock } from '../../src/internal/clock.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { openTestDatabase, testBackends } from '../helpers/backends.js';

const USE_CASE = 'interaction_layer';

describe.each(testBackends())('rollback and abort edge cases on %s', (backend) => {
  let db: Database;
  let clock: ManualClock;
  let registry: ModelRegistry;
  let manager: DeploymentManager;
  /** Registry port handed to the manager; `failNext` makes its next status change fail like a lost database. */
  let port: DeploymentRegistry & { failNext: number };
  const extra: DeploymentManager[] = [];

  const reg = async (version: string, useCase = USE_CASE) =>
    (
      await registry.registerModel({
        modelName: 'npc',
        modelType: 'api',
        provider: 'simulated',
        useCase,
        version,
      })
    ).id;
  const status = async (id: string) => (await registry.getModel(id)).status;

  function newManager(validate?: () => boolean | Promise<boolean>) {
    const m = new DeploymentManager({
      db,
      registry: port,
      clock,
      drive: false,
      ...(validate ? { validate } : {}),
    });
    extra.push(m);
    return m;
  }

  beforeEach(async () => {
    db = await openTestDatabase(backend);
    clock = new ManualClock();
    registry = new ModelRegistry({ db, clock });
    await registry.ready();
    port = {
      failNext: 0,
      getModel: (id) => registry.getModel(id),
      getCurrentModel: (u) => registry.getCurrentModel(u),
      snapshot: () => registry.snapshot(),
      updateModelStatus: (id, s, o) => {
        if (port.failNext > 0) {
          port.failNext--;
          return Promise.reject(new DatabaseUnavailableError('connection lost (test)'));
        }
        return registry.updateModelStatus(id, s, o);
      },
    };
    manager = newManager();
  });

  afterEach(async () => {
    for (const m of extra.splice(0)) await m.close();
    await registry.close();
    await db.close();
  });

  async function switched(strategy: 'all_at_once' | 'blue_green' = 'all_at_once') {
    const stable = await reg('1');
    await registry.updateModelStatus(stable, 'current');
    const candidate = await reg('2');
    const d = await manager.startDeployment({ useCase: USE_CASE, newModelId: candidate, strategy });
    await manager.tick();
    if (strategy === 'blue_green') await manager.tick();
    expect(await manager.getDeployment(d.id)).toMatchObject({ status: 'progressing', switched: true });
    return { stable, candidate, d };
  }

  it('refuses a manual rollback of a first deployment with nothing to go back to; nothing persisted', async () => {
    const first = await reg('1');
    const d = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: first,
      strategy: 'all_at_once',
    });
    await manager.tick();
    const error = await manager.rollbacks.rollback(USE_CASE, { reason: 'oops' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toMatch(/no previous model.*toModelId/);
    expect(await manager.rollbacks.listRollbacks()).toEqual([]);
    expect((await manager.getDeployment(d.id)).status).toBe('progressing');
    expect(await status(first)).toBe('current');
  });

  it('never leaves the use case without a current model when the target cannot serve', async () => {
    const { stable, candidate, d } = await switched();
    await registry.updateModelStatus(stable, 'retired'); // standby → retired behind the deployment's back
    await expect(manager.rollbacks.rollback(USE_CASE, { reason: 'bad' })).rejects.toThrow(/retired/);
    expect(await status(candidate)).toBe('current');
    expect((await manager.getDeployment(d.id)).status).toBe('failed');
    const [rb] = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(rb).toMatchObject({ status: 'failed', from: candidate, to: stable });
    expect(rb!.error).toMatch(/retired/);
  });

  it('runs concurrent rollbacks of one deployment once', async () => {
    const { stable, d } = await switched();
    const seen: string[] = [];
    manager.on('deployment:rolled_back', (e) => seen.push(e.rollback.id));
    const [a, b] = await Promise.all([
      manager.rollbacks.rollback(USE_CASE, { reason: 'first' }),
      manager.rollbacks.rollback(USE_CASE, { reason: 'second' }),
    ]);
    expect(a.id).toBe(b.id);
    expect(seen).toEqual([a.id]);
    expect(await manager.rollbacks.listRollbacks({ deploymentId: d.id })).toHaveLength(1);
    expect(await status(stable)).toBe('current');
  });

  it('keeps rolling_back on a lost database and a driver resumes the same rollback later', async () => {
    const { stable, candidate, d } = await switched();
    port.failNext = 1;
    await expect(manager.rollbacks.rollback(USE_CASE, { reason: 'bad' })).rejects.toBeInstanceOf(
      DatabaseUnavailableError,
    );
    expect((await manager.getDeployment(d.id)).status).toBe('rolling_back');
    const [pending] = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(pending!.status).toBe('in_progress');
    expect(manager.router.route(USE_CASE, { stickyKey: 'p' }).model.id).toBe(stable); // routed to stable already
    clock.advance(31_000);
    await manager.tick();
    expect((await manager.getDeployment(d.id)).status).toBe('rolled_back');
    const all = await manager.rollbacks.listRollbacks({ deploymentId: d.id });
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ id: pending!.id, status: 'completed' });
    expect(await status(stable)).toBe('current');
    expect(await status(candidate)).toBe('failed');
  });

  it('abort after a blue-green switch restores the previous model; the candidate stays standby, deployable again', async () => {
    manager = newManager(() => true);
    const { stable, candidate, d } = await switched('blue_green');
    const aborted = await manager.abort(d.id, { reason: 'wrong build', actor: 'alice' });
    expect(aborted).toMatchObject({ status: 'aborted', weight: 0 });
    expect(await status(stable)).toBe('current');
    expect(await status(candidate)).toBe('standby');
    expect(await manager.rollbacks.listRollbacks()).toEqual([]); // an abort is no rollback verdict
    const again = await manager.startDeployment({
      useCase: USE_CASE,
      newModelId: candidate,
      strategy: 'canary',
    });
    expect(again.stableModelId).toBe(stable);
  });

  it('an abort that lands while the driver validates is not undone by the switch that follows', async () => {
    const stable = await reg('1');
    await registry.updateModelStatus(stable, 'current');
    const candidate = await reg('2');
    let id = '';
    manager = newManager(async () => {
      await manager.abort(id, { reason: 'changed our mind' });
      return true;
    });
    id = (await manager.startDeployment({ useCase: USE_CASE, newModelId: candidate, strategy: 'blue_green' }))
      .id;
    await manager.tick(); // → validating
    await manager.tick(); // validate aborts, then the driver switches and must put stable back
    expect((await manager.getDeployment(id)).status).toBe('aborted');
    expect(await status(stable)).toBe('current');
    expect(manager.router.route(USE_CASE, { stickyKey: 'p' }).model.id).toBe(stable);
  });

  it('close() hands the lease back so another replica drives at once', async () => {
    const { d } = await switched();
    expect((await manager.getDeployment(d.id)).leaseOwner).toBe(manager.owner);
    const other = newManager();
    await manager.close();
    expect((await other.getDeployment(d.id)).leaseOwner).toBeNull();
    await other.tick();
    expect((await other.getDeployment(d.id)).leaseOwner).toBe(other.owner);
  });

  it('validates rollback input', async () => {
    const r = manager.rollbacks;
    await expect(r.rollback('', { reason: 'x' })).rejects.toThrow(/useCase/);
    await expect(r.rollback(USE_CASE, { reason: '' })).rejects.toThrow(/reason/);
    await expect(r.rollback(USE_CASE, { reason: 'x', toModelId: 'nope' })).rejects.toThrow(/toModelId/);
    await expect(r.rollback(USE_CASE, { reason: 'x', trigger: 'sometimes' as never })).rejects.toThrow(
      /trigger/,
    );
    await expect(r.rollback(USE_CASE, { reason: 'x' })).rejects.toThrow(/no current model/);
    await expect(r.getRollback('nope')).rejects.toBeInstanceOf(ValidationError);
    await expect(r.listRollbacks({ limit: 0 })).rejects.toThrow(/limit/);
  });
});
