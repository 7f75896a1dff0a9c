import { afterAll, describe, expect, it, vi } from 'vitest';
import { type Database, DeploymentManager, ModelRegistry, RollbackManager } from '../../src/index.js';
import { openTestDatabase } from '../helpers/backends.js';
import { registerNpc } from '../helpers/models.js';

// The default database comes from the environment (embedded PGlite without DATABASE_URL, covered by the
// registry's and history's default tests). Here it is a pg-mem database, so this file does not pay for a
// PGlite start: what is tested is that zero-argument managers use getDefaultDatabase() and share it.
const defaultDb = vi.hoisted(() => ({ db: null as Promise<Database> | null, calls: 0 }));
vi.mock('../../src/db/default-database.js', () => ({
  getDefaultDatabase: () => {
    defaultDb.calls++;
    defaultDb.db ??= openTestDatabase('pg-mem');
    return defaultDb.db;
  },
  resolveDatabase: (db: Database | Promise<Database> | undefined) => {
    if (db !== undefined) return Promise.resolve(db);
    defaultDb.calls++;
    defaultDb.db ??= openTestDatabase('pg-mem');
    return defaultDb.db;
  },
  closeDefaultDatabase: async () => {},
}));

describe('zero-argument DeploymentManager and RollbackManager (the host guide)', () => {
  afterAll(async () => (await defaultDb.db)?.close());

  it('new DeploymentManager() and new RollbackManager() run on the shared default database', async () => {
    const deployments = new DeploymentManager({ drive: false });
    const rollbacks = new RollbackManager();
    await deployments.ready();
    const registry = new ModelRegistry({ db: await defaultDb.db! });
    await registry.ready();
    const reg = (version: string) => registerNpc(registry, 'zero', version);
    const stable = await reg('1');
    await registry.updateModelStatus(stable.id, 'current');
    const candidate = await reg('2');

    const d = await deployments.startDeployment({
      useCase: 'zero',
      newModelId: candidate.id,
      strategy: 'all_at_once',
    });
    await deployments.tick();
    expect((await deployments.getDeployment(d.id)).status).toBe('progressing');
    // A separate RollbackManager with no options sees the same tables through the same default database.
    const rb = await rollbacks.rollback('zero', { reason: 'zero-arg check', actor: 'oncall' });
    expect(rb).toMatchObject({ deploymentId: d.id, from: candidate.id, to: stable.id, status: 'completed' });
    expect((await deployments.getDeployment(d.id)).status).toBe('rolled_back');
    expect((await registry.getModel(stable.id)).status).toBe('current');
    expect(await deployments.rollbacks.getRollback(rb.id)).toMatchObject({ id: rb.id });
    expect(defaultDb.calls).toBe(2);

    await deployments.close();
    await rollbacks.close();
    await deployments.close(); // idempotent
    await expect(deployments.startDeployment({ useCase: 'zero', newModelId: candidate.id })).rejects.toThrow(
      /closed/,
    );
    // The default database is shared, not owned: it stays open for everyone else.
    expect((await registry.getModel(candidate.id)).status).toBe('failed');
    await registry.close();
  });

  it('explicit injection wins: the default database is not opened', async () => {
    const before = defaultDb.calls;
    const db = await openTestDatabase('pg-mem');
    const registry = new ModelRegistry({ db });
    const deployments = new DeploymentManager({ db, registry, drive: false });
    const rollbacks = new RollbackManager({ db, registry });
    await deployments.ready();
    expect(await deployments.listDeployments()).toEqual([]);
    expect(await rollbacks.listRollbacks()).toEqual([]);
    expect(defaultDb.calls).toBe(before);
    await deployments.close();
    await rollbacks.close();
    // The injected registry is left open by the managers.
    await expect(registry.listModels({})).resolves.toBeDefined();
    await registry.close();
    await db.close();
  });
});
