import { ValidationError } from '../errors.js';
import { isUuid } from '../internal/ids.js';
import { describe } from '../internal/validate.js';
import { SEVERITY_RANK, type Severity } from '../severity.js';
import { fitUtf8, safeJson, stripNul } from './sanitize.js';
import type { InferenceLogInput, InferenceStatus, LogRow } from './types.js';

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
// UUID regex and toLowerCase on every call; the last one is checked first (one comparison).
const knownModelIds = new Map<string, string>();
let lastModelRaw = '';
let lastModelLower = '';

function normalisedModelId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === lastModelRaw) return lastModelLower;
  let lower = knownModelIds.get(value);
  if (lower === undefined) {
    if (!isUuid(value)) return undefined;
    if (knownModelIds.size >= 1024) knownModelIds.clear();
    lower = value.toLowerCase();
    knownModelIds.set(value, lower);
  }
  lastModelRaw = value;
  lastModelLower = lower;
  return lower;
}

function fail(field: string, expected: string, value: unknown): never {
  throw new ValidationError(`Expected \`${field}\` to be ${expected}, got ${describe(value)}`, { field });
}

function optionalId(v: unknown, field: 'deploymentId' | 'playerId' | 'sessionId' | 'conversationId') {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ID_CHARS) {
    fail(field, `a non-empty string of at most ${MAX_ID_CHARS} characters`, v);
  }
  return stripNul(v);
}

function optionalCount(v: unknown, field: 'tokensIn' | 'tokensOut'): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_INT) {
    fail(field, 'a non-negative integer', v);
  }
  return v;
}

function isStatus(v: unknown): v is InferenceStatus {
  return v === 'ok' || v === 'error' || v === 'fallback' || v === 'blocked';
}

// Set by text()/json() when they cut a field; read and reset by buildRow (single-threaded, no closure).
let cutAny = false;

/** NUL stripped, redacted, cut at `maxFieldBytes` (sets `cutAny`). The same string when nothing changes. */
function text(value: string, field: RedactedField, s: BuildSettings): string {
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
  if (t.length * 3 <= s.maxFieldBytes) return t; // cannot exceed the cap: no encoding needed
  const cut = fitUtf8(t, s.maxFieldBytes);
  if (cut !== t) cutAny = true;
  return cut;
}

/** An object with no own enumerable string keys and no `toJSON`: serialises to `{}`. */
function isEmptyPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(value)) return false;
  if ((value as { toJSON?: unknown }).toJSON !== undefined) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

function json(value: unknown, field: 'context' | 'metadata', maxFieldBytes: number): string | null {
  if (value === undefined || value === null) return null;
  try {
    if (typeof value === 'object' && isEmptyPlainObject(value)) return '{}';
  } catch {
    // an exotic object (a throwing Proxy trap): safeJson below reports it as a ValidationError
  }
  const j = safeJson(value, field);
  if (j === null || j.length * 3 <= maxFieldBytes) return j;
  if (fitUtf8(j, maxFieldBytes) === j) return j;
  cutAny = true;
  return JSON.stringify({ $truncated: true, preview: fitUtf8(j, 1024) });
}

/**
 * Validates an input synchronously and turns it into the row that is buffered and stored: texts
 * cleaned (NUL stripped), redacted, cut at `maxFieldBytes`; context/metadata/guardrails serialised.
 * Strings already within limits are kept as they are (no copies); no closures or arrays per call.
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
  const prompt = input.prompt;
  if (typeof prompt !== 'string') fail('prompt', 'a string', prompt);
  const output = input.generatedOutput;
  if (output !== undefined && output !== null && typeof output !== 'string') {
    fail('generatedOutput', 'a string or null', output);
  }
  const status = input.status ?? 'ok';
  if (!isStatus(status)) fail('status', 'one of ok, error, fallback, blocked', status);
  const variant = input.variant ?? null;
  if (variant !== null && variant !== 'stable' && variant !== 'candidate' && variant !== 'shadow') {
    fail('variant', 'stable, candidate or shadow', variant);
  }
  const latency = input.latencyMs ?? null;
  if (latency !== null && (typeof latency !== 'number' || !Number.isFinite(latency) || latency < 0)) {
    fail('latencyMs', 'a finite number ≥ 0', latency);
  }
  let errorText: string | null = null;
  const err = input.error;
  if (err !== undefined && err !== null) {
    if (err instanceof Error) errorText = `${err.name}: ${err.message}`;
    else if (typeof err === 'string') errorText = err;
    else fail('error', 'a string or an Error', err);
  }

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
    for (let i = 0; i < list.length; i++) {
      const v: unknown = list[i];
      const sev = (v as { severity?: unknown } | null)?.severity;
      if (typeof v !== 'object' || v === null || typeof sev !== 'string') {
        fail('guardrails', 'violations with a string `severity`', v);
      }
      const r = (SEVERITY_RANK[sev as Severity] ?? -1) + 1; // unknown strings rank below `low`
      if (maxSeverity === null || r > rank) {
        rank = r;
        maxSeverity = sev;
      }
    }
    violationCount = list.length;
    // Kept as logged (array or { action, violations }) unless there is nothing to keep.
    if (violationCount > 0 || !Array.isArray(g)) guardrails = safeJson({ g }, 'guardrails')!.slice(5, -1);
  }

  cutAny = false;
  const max = s.maxFieldBytes;
  const deploymentId = optionalId(input.deploymentId, 'deploymentId');
  const promptText = text(prompt, 'prompt', s);
  const outputText = typeof output === 'string' ? text(output, 'generatedOutput', s) : null;
  const context = json(input.context, 'context', max);
  const metadata = json(input.metadata, 'metadata', max);
  const error = errorText === null ? null : text(errorText, 'error', s);
  const tokensIn = optionalCount(input.tokensIn, 'tokensIn');
  const tokensOut = optionalCount(input.tokensOut, 'tokensOut');
  const playerId = optionalId(input.playerId, 'playerId');
  const sessionId = optionalId(input.sessionId, 'sessionId');
  const conversationId = optionalId(input.conversationId, 'conversationId');
  const truncated = cutAny;
  cutAny = false;

  // One flat literal, always the same keys in the same order: every row shares one hidden class.
  return {
    id,
    createdAt: now,
    modelId,
    useCase: stripNul(useCase),
    status,
    variant,
    deploymentId,
    prompt: promptText,
    generatedOutput: outputText,
    context,
    metadata,
    error,
    latencyMs: latency,
    tokensIn,
    tokensOut,
    playerId,
    sessionId,
    conversationId,
    guardrails,
    violationCount,
    maxSeverity,
    truncated,
  };
}

/**
 * Approximate heap a buffered row retains: its text plus ~850 bytes of object, id and small strings.
 * Conservative: test/bench/history.bench.ts measured 2,309 bytes of heap for a row with 1,470 characters
 * of text before the id was flattened in logSync, ~1,890 since. @internal
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
