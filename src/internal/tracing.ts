/**
 * OpenTelemetry for the SDK, through `@opentelemetry/api` only: a no-op until the host installs an
 * SDK (the convention for libraries). Spans and metrics follow the GenAI semantic conventions
 * (`gen_ai.*`); the SDK's own attributes live under `mms.`. Trace context flows from the host's
 * active span.
 * @example
 * ```ts
 * // host side: any OpenTelemetry SDK, e.g. @opentelemetry/sdk-node
 * const sdk = new NodeSDK({ traceExporter, metricReader });
 * sdk.start();
 * // every llm.generate() now yields `mms.generate` → `chat {model}` / `mms.guardrails.output` spans
 * ```
 * @module
 */
import {
  type Attributes,
  type Context,
  context,
  type Histogram,
  type Meter,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** Instrumentation scope name of every span and metric of the SDK. */
export const INSTRUMENTATION_NAME = 'model-management-sdk';

/** Attribute names: GenAI semantic conventions, then the SDK's own (`mms.`). */
export const OTEL_ATTRIBUTES = {
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
  /** Deprecated predecessor of `gen_ai.provider.name`, still read by many backends. */
  GEN_AI_SYSTEM: 'gen_ai.system',
  GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
  GEN_AI_REQUEST_MAX_TOKENS: 'gen_ai.request.max_tokens',
  GEN_AI_REQUEST_TEMPERATURE: 'gen_ai.request.temperature',
  GEN_AI_RESPONSE_MODEL: 'gen_ai.response.model',
  GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  GEN_AI_TOKEN_TYPE: 'gen_ai.token.type',
  ERROR_TYPE: 'error.type',
  SERVER_ADDRESS: 'server.address',
  SERVER_PORT: 'server.port',
  HTTP_RESPONSE_STATUS_CODE: 'http.response.status_code',
  MMS_USE_CASE: 'mms.use_case',
  MMS_VARIANT: 'mms.variant',
  MMS_DEPLOYMENT_ID: 'mms.deployment.id',
  MMS_MODEL_ID: 'mms.model.id',
  MMS_SOURCE: 'mms.source',
  MMS_CHAIN_STEP: 'mms.chain.step',
  MMS_ATTEMPT: 'mms.attempt',
  MMS_STREAM: 'mms.stream',
  MMS_GUARDRAIL_STAGE: 'mms.guardrail.stage',
  MMS_GUARDRAIL_ACTION: 'mms.guardrail.action',
  MMS_GUARDRAIL_VIOLATIONS: 'mms.guardrail.violations',
  MMS_DEPLOYMENT_STRATEGY: 'mms.deployment.strategy',
  MMS_DEPLOYMENT_STATUS: 'mms.deployment.status',
  MMS_DEPLOYMENT_STEP: 'mms.deployment.step',
  MMS_ROLLBACK_TRIGGER: 'mms.rollback.trigger',
} as const;

/** Span names of the SDK (provider attempts are named `{gen_ai.operation.name} {gen_ai.request.model}`). */
export const OTEL_SPANS = {
  GENERATE: 'mms.generate',
  GENERATE_STREAM: 'mms.generate_stream',
  GUARDRAILS_INPUT: 'mms.guardrails.input',
  GUARDRAILS_OUTPUT: 'mms.guardrails.output',
  DEPLOYMENT_TRANSITION: 'mms.deployment.transition',
  ROLLBACK: 'mms.rollback',
} as const;

/** Metric names (GenAI semantic conventions). */
export const OTEL_METRICS = {
  OPERATION_DURATION: 'gen_ai.client.operation.duration',
  TOKEN_USAGE: 'gen_ai.client.token.usage',
} as const;

/** The SDK's tracer from the global provider (a no-op tracer until the host registers one). */
export function getTracer(): Tracer {
  return trace.getTracer(INSTRUMENTATION_NAME);
}

/** The SDK's meter from the global provider (a no-op meter until the host registers one). */
export function getMeter(): Meter {
  return metrics.getMeter(INSTRUMENTATION_NAME);
}

/** The GenAI client instruments, with the bucket boundaries the conventions recommend. */
export interface GenAiInstruments {
  operationDuration: Histogram;
  tokenUsage: Histogram;
}

// Instruments are made per meter provider: a host may register its SDK after the client exists.
const instrumentsByProvider = new WeakMap<MeterProvider, GenAiInstruments>();

/** The GenAI client histograms of the current global meter provider. */
export function genAiInstruments(): GenAiInstruments {
  const provider = metrics.getMeterProvider();
  let found = instrumentsByProvider.get(provider);
  if (!found) {
    const meter = provider.getMeter(INSTRUMENTATION_NAME);
    found = {
      operationDuration: meter.createHistogram(OTEL_METRICS.OPERATION_DURATION, {
        description: 'GenAI operation duration.',
        unit: 's',
        advice: {
          explicitBucketBoundaries: [
            0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
          ],
        },
      }),
      tokenUsage: meter.createHistogram(OTEL_METRICS.TOKEN_USAGE, {
        description: 'Number of input and output tokens used.',
        unit: '{token}',
        advice: {
          explicitBucketBoundaries: [
            1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
          ],
        },
      }),
    };
    instrumentsByProvider.set(provider, found);
  }
  return found;
}

/** Starts a child of `parent` (default: the host's active context). */
export function startSpan(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  parent: Context = context.active(),
  kind: SpanKind = SpanKind.INTERNAL,
): Span {
  return tracer.startSpan(name, { kind, attributes }, parent);
}

/** The context whose active span is `span` (for children of it). */
export function contextWith(span: Span, parent: Context = context.active()): Context {
  return trace.setSpan(parent, span);
}

/** Ends `span` as failed: `error.type`, the exception event and an error status. */
export function endSpanWithError(span: Span, error: unknown, errorType: string): void {
  if (span.isRecording()) {
    span.setAttribute(OTEL_ATTRIBUTES.ERROR_TYPE, errorType);
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
  }
  span.end();
}

/**
 * Runs `fn` inside a span named `name` (child of the active context); the span ends with `fn`, as an
 * error when it throws. For control-plane steps (deployment transitions, rollbacks).
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  const span = getTracer().startSpan(name, { attributes });
  try {
    const value = await context.with(trace.setSpan(context.active(), span), () => fn(span));
    span.end();
    return value;
  } catch (error) {
    endSpanWithError(
      span,
      error,
      (error as { code?: unknown })?.code?.toString() ?? (error as Error)?.name ?? 'Error',
    );
    throw error;
  }
}
