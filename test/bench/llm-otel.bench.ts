/**
 * Cost of the OpenTelemetry instrumentation in `llm.generate()` (issue #12): the request path with
 * an in-process provider (no transport noise), with no SDK installed, then with a recording SDK
 * (`BasicTracerProvider` + `MeterProvider`, spans and metrics recorded, exported nowhere), then with
 * no SDK again (drift check); and the instrumentation calls of one generate alone, with no SDK.
 * Target: ≤ 10 µs added per call p50 with no SDK. Run: `npm run bench -- llm-otel`.
 */
import { loadavg } from 'node:os';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  contextWith,
  genAiInstruments,
  getTracer,
  OTEL_ATTRIBUTES,
  OTEL_SPANS,
  startSpan,
} from '../../src/internal/tracing.js';
import { LLMClient } from '../../src/llm/index.js';

const N = Number(process.env['BENCH_N'] ?? 20_000);
const llm = new LLMClient({
  providers: [
    { name: 'echo', generate: async (r) => ({ text: r.prompt ?? '', usage: { tokensIn: 3, tokensOut: 3 } }) },
  ],
  fallbackEndpoints: { npc: { provider: 'echo', endpoint: 'echo://local', model: 'echo-1' } },
  modelRegistryEnabled: false,
});

async function phase(): Promise<number[]> {
  for (let i = 0; i < 2_000; i++) await llm.generate({ useCase: 'npc', prompt: `warm ${i}` });
  const out: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await llm.generate({ useCase: 'npc', prompt: `hello ${i}` });
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}
const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * (xs.length - 1))]!;

const none1 = await phase();
let recorded = 0;
const counting: SpanProcessor = {
  onStart: () => {},
  onEnd: (_s: ReadableSpan) => {
    recorded++;
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const tracerProvider = new BasicTracerProvider({ spanProcessors: [counting] });
const meterProvider = new MeterProvider();
trace.setGlobalTracerProvider(tracerProvider);
metrics.setGlobalMeterProvider(meterProvider);
const withSdk = await phase();
trace.disable();
metrics.disable();
const none2 = await phase();

// The instrumentation calls one generate makes when no SDK is installed, alone.
const calls: number[] = [];
for (let r = 0; r < 20; r++) {
  const t0 = performance.now();
  for (let i = 0; i < 10_000; i++) {
    const span = startSpan(getTracer(), OTEL_SPANS.GENERATE, {
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: 'npc',
      [OTEL_ATTRIBUTES.MMS_STREAM]: false,
    });
    contextWith(span);
    if (span.isRecording()) span.setAttribute(OTEL_ATTRIBUTES.MMS_SOURCE, 'model');
    const m = genAiInstruments();
    const attributes = {
      [OTEL_ATTRIBUTES.GEN_AI_OPERATION_NAME]: 'chat',
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: 'npc',
    };
    m.operationDuration.record(0.001, attributes);
    m.tokenUsage.record(3, { ...attributes, [OTEL_ATTRIBUTES.GEN_AI_TOKEN_TYPE]: 'input' });
    m.tokenUsage.record(3, { ...attributes, [OTEL_ATTRIBUTES.GEN_AI_TOKEN_TYPE]: 'output' });
    span.end();
  }
  calls.push(((performance.now() - t0) * 1000) / 10_000);
}

const row = (name: string, xs: number[]) =>
  `${name.padEnd(34)} p50 ${q(xs, 0.5).toFixed(1).padStart(6)} µs   p99 ${q(xs, 0.99).toFixed(1).padStart(7)} µs`;
console.log(`llm-otel: ${N} in-process generate() calls per phase; load average ${loadavg()[0]!.toFixed(2)}`);
console.log(row('no SDK', none1));
console.log(row('recording SDK (spans + metrics)', withSdk), `  spans recorded ${recorded}`);
console.log(row('no SDK again (drift)', none2));
console.log(
  `SDK adds p50 ${(q(withSdk, 0.5) - Math.min(q(none1, 0.5), q(none2, 0.5))).toFixed(1)} µs per generate`,
);
console.log(
  `instrumentation calls of one generate with no SDK: median ${q(calls, 0.5).toFixed(2)} µs (target ≤ 10 µs added)`,
);
await llm.close();
