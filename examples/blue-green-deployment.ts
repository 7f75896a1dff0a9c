/**
 * Host guide, "Blue-Green Deployment (Default)": deploy the new model alongside the current one,
 * validate it, switch all traffic at once, and keep the old model as standby for rollback.
 *
 *   npx tsx examples/blue-green-deployment.ts
 *
 * The new model is served by the `simulated` provider; time runs on a ManualClock (see support.ts).
 */
import { printCoordination, registerSimulated, rolloutSandbox, section } from './support.js';

const { mm, currentModelId } = await rolloutSandbox('foundation_layer', {
  serviceCoordinator: {
    // Host hooks: told when the deployment starts, asked before the switch, told when it ends.
    hooks: {
      onDeploymentStarted: ({ deployment }) => console.log(`hook: deployment ${deployment.id} started`),
      beforeTrafficShift: (s) => {
        console.log(`hook: about to shift ${s.fromWeight}% → ${s.toWeight}%, allowing it`);
        return true; // `false` (or a throw) stops the switch and the current model stays
      },
      onCompleted: () => console.log('hook: completed, warming caches for the new model'),
    },
  },
});
try {
  const newModelId = await registerSimulated(mm, {
    useCase: 'foundation_layer',
    modelName: 'foundation-model',
    version: '1.1',
  });

  section('coordinateModelDeployment (blue_green)');
  const result = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId,
    currentModelId,
    useCase: 'foundation_layer',
    strategy: 'blue_green',
  });
  printCoordination(result);

  section('After the switch');
  const current = await mm.modelRegistry.getCurrentModel('foundation_layer');
  const previous = await mm.modelRegistry.getModel(currentModelId);
  console.log(
    `current: ${current?.modelName} ${current?.version}; previous model is now '${previous.status}'`,
  );
  if (result.status !== 'succeeded' || current?.id !== newModelId) process.exitCode = 1;
} finally {
  await mm.close();
}
