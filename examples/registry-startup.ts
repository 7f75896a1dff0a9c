/**
 * Host guide, "Model Registry Initialization": register the models on service start-up and mark one
 * current; lookups are then served from memory.
 *
 *   npx tsx examples/registry-startup.ts
 *
 * `new ModelRegistry()` with no arguments uses the default database from the environment
 * (DATABASE_URL or POSTGRES_*), else the embedded PGlite in memory, with a one-time warning.
 */
import { closeDefaultDatabase, LLMClient, ModelRegistry } from '../src/index.js';

const registry = new ModelRegistry();
try {
  // Start-up code runs on every boot (and on every replica): register only what is not there yet.
  const wanted = { useCase: 'foundation_layer', modelName: 'foundation-model-v1', version: '1.0' };
  const model =
    (await registry.findModel(wanted)) ??
    (await registry.registerModel({
      ...wanted,
      modelType: 'self_hosted',
      provider: 'ollama',
      configuration: { endpoint: 'http://localhost:11434' },
    }));
  console.log(`registered ${model.modelName} ${model.version} (${model.id}), status '${model.status}'`);

  if (model.status !== 'current') {
    await registry.updateModelStatus(model.id, 'current', { reason: 'initial model on start-up' });
  }

  // The hot path: answered from the in-memory snapshot, kept fresh by the database's change feed.
  const current = await registry.getCurrentModel('foundation_layer');
  console.log(`current model of foundation_layer: ${current?.modelName} ${current?.version}`);
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) await registry.getCurrentModel('foundation_layer');
  console.log(
    `10,000 lookups: ${((performance.now() - t0) / 10).toFixed(2)} µs each (host guide target: < 100 ms)`,
  );

  // The audit trail of the model's status.
  for (const h of await registry.getStatusHistory(model.id)) {
    console.log(`  ${h.fromStatus ?? '(registered)'} → ${h.toStatus}: ${h.reason ?? ''}`);
  }

  // Integration point "AI Inference Service": the client routes each request to the current model,
  // here the ollama endpoint above (not called in this example; see narrative-generation.ts).
  const llm = new LLMClient({ modelRegistry: registry });
  await llm.close();

  if (current?.id !== model.id) process.exitCode = 1;
} finally {
  await registry.close();
  await closeDefaultDatabase(); // the default database is shared process-wide; close it on shutdown
}
