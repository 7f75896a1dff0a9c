import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));
const built = existsSync(dist);
if (process.env.CI && !built) throw new Error('CI builds dist/ before the tests: run `npm run build` first');

// The built package as a host imports it (`import { … } from 'model-management-sdk'`). Runs after
// `npm run build` (CI always builds first); locally it runs whenever dist/ exists.
describe.runIf(built)('the built package (dist/)', () => {
  it('exports every part by name and runs the host guide flow on pg-mem', async () => {
    const sdk = await import(dist);
    for (const name of [
      'createModelManagement',
      'createDatabase',
      'migrate',
      'ModelRegistry',
      'DeploymentManager',
      'TrafficRouter',
      'RollbackManager',
      'GuardrailsMonitor',
      'HistoricalLogProcessor',
      'LLMClient',
      'ServiceCoordinator',
      'NarrativeGenerator',
      'ModelManagementError',
      'ValidationError',
      'toPrometheus',
    ]) {
      expect(typeof sdk[name], name).toBe('function');
    }
    const mm = await sdk.createModelManagement({ db: { memory: true } });
    try {
      const model = await mm.registry.registerModel({
        modelName: 'foundation-model-v1',
        modelType: 'self_hosted',
        provider: 'simulated',
        useCase: 'foundation_layer',
        version: '1.0',
      });
      await mm.registry.updateModelStatus(model.id, 'current');
      expect((await mm.registry.getCurrentModel('foundation_layer')).id).toBe(model.id);
      const reply = await mm.llm.generate({ useCase: 'foundation_layer', prompt: 'Greet the traveller' });
      expect(reply.modelId).toBe(model.id);
      const error = await mm.registry.getModel('nope').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(sdk.ValidationError);
      expect(error).toBeInstanceOf(sdk.ModelManagementError);
    } finally {
      await mm.close();
    }
  });

  it('has a /testing subpath and a `default` condition, so require(esm) works on Node 20.19+', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const entry of ['.', './testing']) {
      expect(Object.keys(pkg.exports[entry]), entry).toEqual(['types', 'import', 'default']);
    }
    expect(pkg.dependencies['pg-mem']).toBeUndefined();
    expect(pkg.peerDependenciesMeta['pg-mem'].optional).toBe(true);
    const require = createRequire(import.meta.url);
    const testing = require(fileURLToPath(new URL('../../dist/testing.js', import.meta.url)));
    expect(typeof testing.ManualClock).toBe('function');
    expect(typeof testing.SimulatedProvider).toBe('function');
    expect(require(dist).createModelManagement).toBeTypeOf('function');
  });
});
