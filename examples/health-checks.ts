/**
 * Host guide, "Monitoring & Health Checks": the registry and logging checks, then the SDK's own
 * `health()` report and the Prometheus text for a `/metrics` endpoint.
 *
 *   npx tsx examples/health-checks.ts
 */
import { randomUUID } from 'node:crypto';
import { createModelManagement } from '../src/index.js';

const mm = await createModelManagement({ db: { embedded: {} } });
try {
  const model = await mm.modelRegistry.registerModel({
    modelName: 'foundation-model-v1',
    modelType: 'self_hosted',
    provider: 'ollama',
    useCase: 'foundation_layer',
    version: '1.0',
    configuration: { endpoint: 'http://localhost:11434' },
  });
  await mm.modelRegistry.updateModelStatus(model.id, 'current');

  // Model Registry health: a current model is known (served from memory; null means not healthy).
  const registryHealth = await mm.modelRegistry.getCurrentModel('foundation_layer');
  console.log(`registry: ${registryHealth ? 'healthy' : 'NOT healthy'}`);

  // Historical Logging health: a test write. logInference() resolves at once with the entry's id
  // (it never waits for the database); flush() waits until it is stored.
  const logId = await mm.logProcessor.logInference({
    modelId: randomUUID(),
    useCase: 'health_check',
    prompt: 'Health check',
    context: {},
    generatedOutput: 'OK',
  });
  await mm.logProcessor.flush();
  const { items: entries } = await mm.logProcessor.query({ useCase: 'health_check', limit: 1 });
  console.log(`logging: wrote ${logId}, read back: ${entries[0]?.id === logId ? 'yes' : 'NO'}`);

  // One report across every part, e.g. for GET /health (200 when ok, 503 when degraded).
  const health = await mm.health();
  console.log(`\nhealth(): ${health.status} (database ${health.database.latencyMs?.toFixed(1)} ms)`);
  console.log(JSON.stringify(health, null, 2));

  // Prometheus text exposition for GET /metrics; a few of its lines:
  const text = await mm.prometheus.metrics();
  console.log(`\nmm.prometheus.metrics() (${mm.prometheus.contentType}):`);
  for (const line of text
    .split('\n')
    .filter((l) => /^mms_(registry_lookups|history_written|llm_requests)_total/.test(l))) {
    console.log(`  ${line}`);
  }
  console.log(`  ... ${text.split('\n').length} lines in all`);

  if (!registryHealth || entries[0]?.id !== logId || health.status !== 'ok') process.exitCode = 1;
} finally {
  await mm.close();
}
