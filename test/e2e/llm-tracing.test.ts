/**
 * OpenTelemetry (issue #12) with the official SDK's in-memory exporters: one `generate` whose first
 * provider attempt fails with 503 (retried) and whose answer the output guardrails block.
 */
import { context, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/db/index.js';
import { DeploymentManager } from '../../src/deployment/deployment-manager.js';
import { OTEL_ATTRIBUTES, OTEL_METRICS, OTEL_SPANS } from '../../src/internal/tracing.js';
import { LLMClient } from '../../src/llm/index.js';
import { ModelRegistry } from '../../src/registry/model-registry.js';
import { FakeGuardrails, FakeRegistry, FakeRouter, makeModel } from '../helpers/fakes.js';
import { registerNpc } from '../helpers/models.js';
import { type ProviderStub, startProviderStub } from '../helpers/provider-stubs.js';

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
});
const meterProvider = new MeterProvider({ readers: [reader] });
const contextManager = new AsyncLocalStorageContextManager();
let stub: ProviderStub;

beforeAll(async () => {
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
  stub = await startProviderStub('ollama');
});
afterAll(async () => {
  await stub.close();
  trace.disable();
  metrics.disable();
  context.disable();
  await meterProvider.shutdown();
});

describe('OpenTelemetry spans and metrics of llm.generate', () => {
  it('a retry and an output block: span names, parent/child and GenAI attributes, under the host span', async () => {
    stub.enqueue({ kind: 'status', status: 503 }, { kind: 'ok', text: 'I will kill you' });
    const model = makeModel({
      provider: 'ollama',
      modelName: 'llama3.1:8b',
      useCase: 'interaction_layer',
      configuration: { endpoint: stub.url },
    });
    const router = new FakeRouter({ model, variant: 'candidate', deploymentId: 'dep-1', weight: 0.1 });
    const llm = new LLMClient({
      modelRegistry: new FakeRegistry({ interaction_layer: model }),
      router,
      guardrails: new FakeGuardrails(),
      inputGuardrails: true,
      retry: { retries: 1, minTimeoutMs: 1, randomize: false },
    });
    const host = tracerProvider.getTracer('host').startSpan('POST /talk');
    const r = await context.with(trace.setSpan(context.active(), host), () =>
      llm.generate({ useCase: 'interaction_layer', prompt: 'Greet me', maxTokens: 32 }),
    );
    host.end();
    await llm.close();
    expect(r.source).toBe('fallback_content');

    const finished = spans.getFinishedSpans();
    const byName = (name: string) => finished.filter((s) => s.name === name);
    const root = byName(OTEL_SPANS.GENERATE)[0]!;
    expect(root.parentSpanContext?.spanId).toBe(host.spanContext().spanId);
    expect(root.spanContext().traceId).toBe(host.spanContext().traceId);
    expect(root.attributes).toMatchObject({
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: 'interaction_layer',
      [OTEL_ATTRIBUTES.MMS_VARIANT]: 'candidate',
      [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: 'dep-1',
      [OTEL_ATTRIBUTES.MMS_SOURCE]: 'fallback_content',
      [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: 'block',
      [OTEL_ATTRIBUTES.GEN_AI_USAGE_INPUT_TOKENS]: 7,
      [OTEL_ATTRIBUTES.GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    });

    const children = finished.filter((s) => s.parentSpanContext?.spanId === root.spanContext().spanId);
    expect(children.map((s) => s.name)).toEqual([
      OTEL_SPANS.GUARDRAILS_INPUT,
      'text_completion llama3.1:8b',
      'text_completion llama3.1:8b',
      OTEL_SPANS.GUARDRAILS_OUTPUT,
    ]);
    const [input, failed, ok, output] = children;
    expect(input!.attributes).toMatchObject({ [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: 'allow' });
    expect(output!.attributes).toMatchObject({
      [OTEL_ATTRIBUTES.MMS_GUARDRAIL_ACTION]: 'block',
      [OTEL_ATTRIBUTES.MMS_GUARDRAIL_VIOLATIONS]: 1,
    });
    for (const attempt of [failed!, ok!]) {
      expect(attempt.kind).toBe(SpanKind.CLIENT);
      expect(attempt.attributes).toMatchObject({
        [OTEL_ATTRIBUTES.GEN_AI_OPERATION_NAME]: 'text_completion',
        [OTEL_ATTRIBUTES.GEN_AI_PROVIDER_NAME]: 'ollama',
        [OTEL_ATTRIBUTES.GEN_AI_SYSTEM]: 'ollama',
        [OTEL_ATTRIBUTES.GEN_AI_REQUEST_MODEL]: 'llama3.1:8b',
        [OTEL_ATTRIBUTES.GEN_AI_REQUEST_MAX_TOKENS]: 32,
        [OTEL_ATTRIBUTES.SERVER_ADDRESS]: '127.0.0.1',
        [OTEL_ATTRIBUTES.MMS_CHAIN_STEP]: 'routed',
        [OTEL_ATTRIBUTES.MMS_VARIANT]: 'candidate',
      });
    }
    expect(failed!.attributes).toMatchObject({
      [OTEL_ATTRIBUTES.MMS_ATTEMPT]: 1,
      [OTEL_ATTRIBUTES.ERROR_TYPE]: '503',
    });
    expect(failed!.status.code).toBe(SpanStatusCode.ERROR);
    expect(ok!.attributes).toMatchObject({
      [OTEL_ATTRIBUTES.MMS_ATTEMPT]: 2,
      [OTEL_ATTRIBUTES.GEN_AI_USAGE_INPUT_TOKENS]: 7,
      [OTEL_ATTRIBUTES.GEN_AI_USAGE_OUTPUT_TOKENS]: 5,
    });
    expect(ok!.attributes[OTEL_ATTRIBUTES.ERROR_TYPE]).toBeUndefined();

    await reader.forceFlush();
    const scope = metricExporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.find((m) => m.scope.name === 'model-management-sdk')!;
    const duration = scope.metrics.find((m) => m.descriptor.name === OTEL_METRICS.OPERATION_DURATION)!;
    expect(duration.descriptor.unit).toBe('s');
    expect(duration.dataPoints[0]!.attributes).toMatchObject({
      [OTEL_ATTRIBUTES.GEN_AI_OPERATION_NAME]: 'text_completion',
      [OTEL_ATTRIBUTES.GEN_AI_PROVIDER_NAME]: 'ollama',
      [OTEL_ATTRIBUTES.GEN_AI_REQUEST_MODEL]: 'llama3.1:8b',
      [OTEL_ATTRIBUTES.MMS_USE_CASE]: 'interaction_layer',
      [OTEL_ATTRIBUTES.MMS_VARIANT]: 'candidate',
    });
    const tokens = scope.metrics.find((m) => m.descriptor.name === OTEL_METRICS.TOKEN_USAGE)!;
    const byType = Object.fromEntries(
      tokens.dataPoints.map((p) => [
        p.attributes[OTEL_ATTRIBUTES.GEN_AI_TOKEN_TYPE],
        (p.value as { sum: number }).sum,
      ]),
    );
    expect(byType).toEqual({ input: 7, output: 5 });
  });

  it('a failed generate ends its span with error.type and records the duration with it', async () => {
    spans.reset();
    const llm = new LLMClient({ retry: { retries: 0 } });
    await expect(llm.generate({ useCase: 'nothing_here', prompt: 'x' })).rejects.toThrow(/No model/);
    const root = spans.getFinishedSpans().find((s) => s.name === OTEL_SPANS.GENERATE)!;
    expect(root.status.code).toBe(SpanStatusCode.ERROR);
    expect(root.attributes[OTEL_ATTRIBUTES.ERROR_TYPE]).toBe('PROVIDER_ERROR');
    expect(root.parentSpanContext).toBeUndefined();
  });

  it('deployment transitions and rollbacks get spans', async () => {
    spans.reset();
    const db = await createDatabase({ memory: true });
    const registry = new ModelRegistry({ db });
    const deployments = new DeploymentManager({ db, registry, drive: false });
    try {
      const stable = await registerNpc(registry, 'traced', '1');
      await registry.updateModelStatus(stable.id, 'current');
      const candidate = await registerNpc(registry, 'traced', '2');
      const d = await deployments.startDeployment({
        useCase: 'traced',
        newModelId: candidate.id,
        strategy: 'all_at_once',
      });
      await deployments.tick();
      await deployments.rollbacks.rollback('traced', { reason: 'span check', trigger: 'manual' });
      const finished = spans.getFinishedSpans();
      const transition = finished.find((s) => s.name === OTEL_SPANS.DEPLOYMENT_TRANSITION)!;
      expect(transition.attributes).toMatchObject({
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: d.id,
        [OTEL_ATTRIBUTES.MMS_USE_CASE]: 'traced',
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_STRATEGY]: 'all_at_once',
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_STATUS]: 'progressing',
      });
      const rollback = finished.find((s) => s.name === OTEL_SPANS.ROLLBACK)!;
      expect(rollback.attributes).toMatchObject({
        [OTEL_ATTRIBUTES.MMS_DEPLOYMENT_ID]: d.id,
        [OTEL_ATTRIBUTES.MMS_ROLLBACK_TRIGGER]: 'manual',
        'mms.rollback.to_model_id': stable.id,
      });
      expect(rollback.status.code).not.toBe(SpanStatusCode.ERROR);
    } finally {
      await deployments.close();
      await registry.close();
      await db.close();
    }
  });
});
