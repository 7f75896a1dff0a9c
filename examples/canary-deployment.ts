/**
 * Host guide, "Canary Deployment": route a small share of players to the new model, watch the
 * metrics, and raise the share step by step (here 10 % → 50 % → 100 %) or roll back.
 *
 *   npx tsx examples/canary-deployment.ts
 *
 * Players are sticky: the same player id stays on the same side at every step. The new model is
 * served by the `simulated` provider; time runs on a ManualClock (see support.ts).
 */
import { printCoordination, registerSimulated, rolloutSandbox, section } from './support.js';

const { mm, currentModelId } = await rolloutSandbox('interaction_layer', {
  serviceCoordinator: {
    hooks: {
      // Asked before each step; returning false (or throwing) stops the rollout and rolls it back.
      beforeTrafficShift: (s) => console.log(`hook: canary ${s.fromWeight}% → ${s.toWeight}%`),
      onCompleted: () => console.log('hook: canary promoted'),
      onRolledBack: (r) => console.log(`hook: rolled back (${r.reason})`),
    },
  },
});
try {
  const newModelId = await registerSimulated(mm, {
    useCase: 'interaction_layer',
    modelName: 'interaction-model',
    version: '1.1',
  });
  // Between steps the router sends each player to one side, deterministically by player id.
  let lastShare = 0;
  mm.trafficRouter.on('deployment:routes_updated', ({ activeDeployments }) => {
    if (activeDeployments === 0) return;
    const players = Array.from({ length: 1000 }, (_, i) => `player-${i}`);
    const onCandidate = players.filter(
      (p) => mm.trafficRouter.route('interaction_layer', { stickyKey: p }).variant === 'candidate',
    ).length;
    if (onCandidate !== lastShare) console.log(`router: ${onCandidate} of 1000 players now on the candidate`);
    lastShare = onCandidate;
  });

  section('coordinateModelDeployment (canary)');
  const result = await mm.serviceCoordinator.coordinateModelDeployment({
    newModelId,
    currentModelId,
    useCase: 'interaction_layer',
    strategy: 'canary',
  });
  printCoordination(result);

  section('Inference history of the rollout');
  await mm.logProcessor.flush();
  const stats = await mm.logProcessor.stats({
    deploymentId: result.deploymentId ?? undefined,
    groupBy: 'variant',
  });
  for (const g of stats.groups ?? []) {
    console.log(
      `${String(g.key).padEnd(10)} ${g.count} requests, error rate ${(g.errorRate * 100).toFixed(1)}%`,
    );
  }
  const current = await mm.modelRegistry.getCurrentModel('interaction_layer');
  console.log(`current: ${current?.modelName} ${current?.version}`);
  if (result.status !== 'succeeded' || current?.id !== newModelId) process.exitCode = 1;
} finally {
  await mm.close();
}
