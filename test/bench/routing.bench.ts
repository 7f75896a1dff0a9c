/**
 * route() latency beside a bare Map.get on the same keys (the raw limit of an in-memory lookup).
 * Run: npx tsx test/bench/routing.bench.ts
 */
import { TrafficRouter } from '../../src/deployment/traffic-router.js';
import type { RegistrySnapshot } from '../../src/registry/types.js';
import { fakeDeployment, fakeModel } from '../fixtures/deployment/records.js';

const N = 200_000;
const stable = fakeModel('00000000-0000-7000-8000-000000000001', 'current');
const cand = fakeModel('00000000-0000-7000-8000-000000000002', 'candidate');
const snap: RegistrySnapshot = {
  version: 1,
  currentByUseCase: new Map([['npc', stable]]),
  models: new Map([
    [stable.id, stable],
    [cand.id, cand],
  ]),
  refreshedAt: 0,
};
const router = new TrafficRouter({ registry: { snapshot: () => snap, getModel: async () => cand } });
const d = fakeDeployment({ candidateModelId: cand.id, stableModelId: stable.id, weight: 25, stepIndex: 1 });
await router.setActiveDeployments([d]);
const keys = Array.from({ length: 10_000 }, (_, i) => `player-${i}`);
const map = new Map(keys.map((k) => [k, stable]));

function measure(label: string, fn: (i: number) => unknown): { p50: number; p99: number; opsPerSec: number } {
  for (let i = 0; i < 20_000; i++) fn(i); // warm up
  const samples = new Float64Array(N);
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    sink ^= fn(i) ? 1 : 0;
    samples[i] = performance.now() - s;
  }
  const total = performance.now() - t0;
  samples.sort();
  const r = {
    p50: samples[Math.floor(N * 0.5)]! * 1000,
    p99: samples[Math.floor(N * 0.99)]! * 1000,
    opsPerSec: N / (total / 1000),
  };
  console.log(
    `${label.padEnd(44)} p50 ${r.p50.toFixed(2)} µs  p99 ${r.p99.toFixed(2)} µs  ${(r.opsPerSec / 1e6).toFixed(2)} M ops/s (incl. timer)${sink < 0 ? '' : ''}`,
  );
  return r;
}

const base = measure('Map.get (raw limit)', (i) => map.get(keys[i % keys.length]!));
const sticky = measure('route() sticky key, canary 25%', (i) =>
  router.route('npc', { stickyKey: keys[i % keys.length]! }),
);
const conv = measure('route() sticky + conversation pin', (i) =>
  router.route('npc', { stickyKey: keys[i % keys.length]!, conversationId: `c${i % 5000}` }),
);
const plain = measure('route() no key (random split)', () => router.route('npc'));
console.log(
  `ratio p99 route/Map.get: sticky ${(sticky.p99 / base.p99).toFixed(1)}×, conversation ${(conv.p99 / base.p99).toFixed(1)}×, random ${(plain.p99 / base.p99).toFixed(1)}× · target p99 ≤ 5 µs`,
);
await router.close();
