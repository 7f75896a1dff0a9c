/**
 * Host guide, "All-at-Once Deployment": switch all traffic immediately, monitor closely, and roll
 * back if issues are detected.
 *
 *   npx tsx examples/all-at-once-deployment.ts
 *
 * Two rollouts of customization_layer: a broken release (half the calls fail) that the judge rolls
 * back by itself, then a healthy one that is promoted. Models are served by the `simulated` provider;
 * time runs on a ManualClock (see support.ts).
 */
import { printCoordination, registerSimulated, rolloutSandbox, section } from './support.js';

const useCase = 'customization_layer';
// One smoke prompt of three may fail, so the broken release reaches players and the judge must act.
const { mm, currentModelId, traffic } = await rolloutSandbox(useCase, {
  serviceCoordinator: { smokeMinPassRate: 2 / 3 },
});
try {
  section('A broken release, all at once');
  const brokenId = await registerSimulated(mm, {
    useCase,
    modelName: 'customization-model',
    version: '2.0',
    configuration: { errorRate: 0.5 }, // HTTP 503 on half the calls
  });
  const broken = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId: brokenId,
    currentModelId,
    useCase,
    strategy: 'all_at_once',
  });
  printCoordination(broken);
  const [rollback] = await mm.rollbackManager.listRollbacks({
    deploymentId: broken.deploymentId ?? undefined,
  });
  console.log(
    `player requests: ${traffic.sent()}; failed with no model left to fall back to: ${traffic.failed()}`,
  );
  console.log(
    `rollback record: ${rollback?.trigger} from ${rollback?.from} to ${rollback?.to}, ${rollback?.status}`,
  );

  section('A healthy release, all at once');
  const healthyId = await registerSimulated(mm, {
    useCase,
    modelName: 'customization-model',
    version: '2.1',
  });
  const healthy = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId: healthyId,
    currentModelId, // still current: the broken release was rolled back
    useCase,
    strategy: 'all_at_once',
  });
  printCoordination(healthy);

  const current = await mm.modelRegistry.getCurrentModel(useCase);
  console.log(`\ncurrent: ${current?.modelName} ${current?.version}`);
  if (broken.status !== 'rolled_back' || healthy.status !== 'succeeded' || current?.id !== healthyId) {
    process.exitCode = 1;
  }
} finally {
  await mm.close();
}
