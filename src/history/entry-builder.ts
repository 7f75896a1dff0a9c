import { ValidationError } from '../errors.js';
import { isUuid } from '../internal/ids.js';
import { describe, safeJson, stripNul, truncateUtf8 } from './sanitize.js';
import type { InferenceLogInput, LogRow } from './types.js';

const STATUSES: ReadonlySet<string> = new Set(['ok', 'error', 'fallback', 'blocked']);
const VARIANTS: ReadonlySet<string> = new Set(['stable', 'candidate']);
const SEVERITY_RANK: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3, critical: 4 };
const MAX_ID_CHARS = 256;
const MAX_INT = 2_147_483_647;

/** Which text fields the `redact` hook sees. */
export type RedactedField = 'prompt' | 'generatedOutput' | 'error';

/** Settings the builder needs. @internal */
export interface BuildSettings {
  maxFieldBytes: number;
  redact: ((text: string, field: RedactedField) => string) | undefined;
  onRedactionFailure: (field: RedactedField, error: unknown) => void;
}

// A service logs for a handful of models: remember validated ids (bounded) instead of running the
// UUID regex and toLowerCase on every call.
const knownModelIds = new Map<string, string>();

function normalisedModelId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const known = knownModelIds.get(value);
  if (known !== undefined) return known;
  if (!isUuid(value)) return undefined;
  if (knownModelIds.size >= 1024) knownModelIds.clear();
  const lower = value.toLowerCase();
  knownModelIds.set(value, lower);
  return lower;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new ValidationError(`Expected \`${field}\` to be ${expected}, got ${describe(value)}`, { field });
}

function optionalId(
  input: InferenceLogInput,
  field: 'deploymentId' | 'playerId' | 'sessionId' | 'conversationId',
) {
  const v = input[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_CHARS) {
    fail(field, `a non-empty string of at most ${MAX_ID_CHARS} characters`, v);
  }
  return stripNul(v);
}

function optionalCount(input: InferenceLogInput, field: 'tokensIn' | 'tokensOut'): number | null {
  const v = input[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT) {
    fail(field, 'a non-negative integer', v);
  }
  return v;
}

/**
 * Validates an input synchronously and turns it into the row that is buffered and stored: texts
 * cleaned (NUL stripped), redacted, cut at `maxFieldBytes`; context/metadata/guardrails serialised.
 * Throws {@link ValidationError} naming the field. @internal
 */
export function buildRow(input: InferenceLogInput, id: string, now: number, s: BuildSettings): LogRow {
  if (typeof input !== 'object' || input === null) fail('entry', 'an object', input);
  const rawModelId = input.modelId;
  const modelId = rawModelId === null ? null : normalisedModelId(rawModelId);
  if (modelId === undefined) fail('modelId', 'a UUID or null', rawModelId);
  const useCase = input.useCase;
  if (typeof useCase !== 'string' || useCase.length === 0 || useCase.length > 200) {
    fail('useCase', 'a non-empty string of at most 200 characters', useCase);
  }
  if (typeof input.prompt !== 'string') fail('prompt', 'a string', input.prompt);
  const output = input.generatedOutput;
  if (output !== undefined && output !== null && typeof output !== 'string') {
    fail('generatedOutput', 'a string or null', output);
  }
  const status = input.status ?? 'ok';
  if (!STATUSES.has(status)) fail('status', 'one of ok, error, fallback, blocked', status);
  const variant = input.variant ?? null;
  if (variant !== null && !VARIANTS.has(variant)) fail('variant', 'stable or candidate', variant);
  const latency = input.latencyMs ?? null;
  if (latency !== null && (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0)) {
    fail('latencyMs', 'a finite number ≥ 0', latency);
  }
  let errorText: string | null = null;
  const err = input.error;
  if (err instanceof Error) errorText = `${err.name}: ${err.message}`;
  else if (typeof err === 'string') errorText = err;
  else if (err !== undefined && err !== null) fail('error', 'a string or an Error', err);

  let violationCount = 0;
  let maxSeverity: string | null = null;
  let guardrails: string | null = null;
  const g = input.guardrails;
  if (g !== undefined && g !== null) {
    const list = Array.isArray(g) ? g : (g as { violations?: unknown }).violations;
    if (typeof g !== 'object' || !Array.isArray(list)) {
      fail('guardrails', 'an array of violations or { action, violations }', g);
    }
    let rank = 0;
    for (const v of list as readonly unknown[]) {
      const sev = (v as { severity?: unknown } | null)?.severity;
      if (typeof v !== 'object' || v === null || typeof sev !== 'string') {
        fail('guardrails', 'violations with a string `severity`', v);
      }
      const r = SEVERITY_RANK[sev] ?? 0;
      if (maxSeverity === null || r > rank) {
        rank = r;
        maxSeverity = sev;
      }
    }
    violationCount = list.length;
    // Kept as logged (array or { action, violations }) unless there is nothing to keep.
    if (violationCount > 0 || !Array.isArray(g)) guardrails = safeJson({ g }, 'guardrails')!.slice(5, -1);
  }

  let truncated = false;
  const text = (value: string, field: RedactedField): string => {
    let t = stripNul(value);
    if (s.redact) {
      try {
        t = s.redact(t, field);
        if (typeof t !== 'string') throw new TypeError(`redact returned ${describe(t)}`);
      } catch (error) {
        s.onRedactionFailure(field, error);
        t = '[redaction failed]';
      }
    }
    const cut = truncateUtf8(t, s.maxFieldBytes);
    if (cut.cut) truncated = true;
    return cut.text;
  };
  const json = (value: unknown, field: 'context' | 'metadata'): string | null => {
    const j = safeJson(value, field);
    if (j === null || j.length * 3 <= s.maxFieldBytes) return j;
    const cut = truncateUtf8(j, s.maxFieldBytes);
    if (!cut.cut) return j;
    truncated = true;
    return JSON.stringify({ $truncated: true, preview: truncateUtf8(j, 1024).text });
  };

  return {
    id,
    createdAt: now,
    modelId,
    useCase: stripNul(useCase),
    status,
    variant,
    deploymentId: optionalId(input, 'deploymentId'),
    prompt: text(input.prompt, 'prompt'),
    generatedOutput: typeof output === 'string' ? text(output, 'generatedOutput') : null,
    context: json(input.context, 'context'),
    metadata: json(input.metadata, 'metadata'),
    error: errorText === null ? null : text(errorText, 'error'),
    latencyMs: latency,
    tokensIn: optionalCount(input, 'tokensIn'),
    tokensOut: optionalCount(input, 'tokensOut'),
    playerId: optionalId(input, 'playerId'),
    sessionId: optionalId(input, 'sessionId'),
    conversationId: optionalId(input, 'conversationId'),
    guardrails,
    violationCount,
    maxSeverity,
    truncated,
  };
}

/**
 * Approximate heap a buffered row retains: its text plus ~850 bytes of object, id and small strings
 * (test/bench/history.bench.ts measured 2,309 bytes of heap for a row with 1,470 characters of text). @internal
 */
export function rowSize(row: LogRow): number {
  return (
    850 +
    row.prompt.length +
    (row.generatedOutput?.length ?? 0) +
    (row.context?.length ?? 0) +
    (row.metadata?.length ?? 0) +
    (row.error?.length ?? 0) +
    (row.guardrails?.length ?? 0)
  );
}
