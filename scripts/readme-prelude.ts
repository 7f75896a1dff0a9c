/**
 * What the README's code fragments assume is in scope, built for real on the in-memory test database
 * with the `simulated` provider (no network): `db`, `registry`, `deployments`, `router`, `guardrails`,
 * `logProcessor`, `llm`, a current model per use case, a candidate (`newModelId`), a player, a
 * conversation… `scripts/readme-check.ts` runs each README block inside `setup()`'s context.
 */
import {
  createDatabase,
  DeploymentManager,
  GuardrailsMonitor,
  HistoricalLogProcessor,
  LLMClient,
  ModelRegistry,
  type ModelRegistry as ModelRegistryType,
} from '../src/index.js';

async function simulated(registry: ModelRegistryType, useCase: string, version: string): Promise<string> {
  const model = await registry.registerModel({
    modelName: `${useCase.replace(/_/g, '-')}-model`,
    modelType: 'self_hosted',
    provider: 'simulated',
    useCase,
    version,
    configuration: { endpoint: `http://simulated.invalid/${useCase}/${version}`, latencyMs: 5 },
  });
  return model.id;
}

/** Builds the fragments' context; `close()` releases it. */
export async function setup() {
  const db = await createDatabase({ memory: true });
  const registry = new ModelRegistry({ db });
  const deployments = new DeploymentManager({ db, registry });
  const router = deployments.router;
  const guardrails = new GuardrailsMonitor();
  const logProcessor = new HistoricalLogProcessor({ db });
  const llm = new LLMClient({ modelRegistry: registry, router, guardrails, logProcessor });
  for (const useCase of ['foundation_layer', 'interaction_layer']) {
    await registry.updateModelStatus(await simulated(registry, useCase, '1.0'), 'current');
  }
  const modelId = (await registry.getCurrentModel('interaction_layer'))!.id;
  const newModelId = await simulated(registry, 'interaction_layer', '2.0');
  const written: unknown[] = [];
  return {
    db,
    registry,
    modelRegistry: registry,
    deployments,
    deploymentManager: deployments,
    router,
    guardrails,
    guardrailsMonitor: guardrails,
    logProcessor,
    processor: logProcessor,
    llm,
    modelId,
    newModelId,
    currentModelId: modelId,
    useCase: 'interaction_layer',
    playerId: 'player-42',
    conversationId: 'tavern-evening-1',
    prompt: 'Greet the traveller',
    text: 'Welcome to the Prancing Pony, traveller.',
    messages: [{ role: 'user' as const, content: 'Any news from the north?' }],
    reason: 'players report gibberish',
    signal: AbortSignal.timeout(30_000),
    timeoutMs: 10_000,
    res: { write: (chunk: unknown) => void written.push(chunk) },
    out: { write: (line: string) => void written.push(line) },
    async close() {
      await llm.close();
      await deployments.close();
      await logProcessor.close();
      await guardrails.close();
      await registry.close();
      await db.close();
    },
  };
}
