/**
 * Custom checks (sync or async, e.g. a moderation model call) run concurrently, each with a timeout
 * inside the monitor's time budget; a check that throws or times out is recorded as a check failure and
 * turned into a `check_failure` finding: `flag` when it fails open, `block` when it fails closed.
 * @module
 */
import { ValidationError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { isSeverity } from '../severity.js';
import type {
  CheckFailure,
  Finding,
  GuardrailCategory,
  GuardrailContext,
  GuardrailStage,
  Severity,
  Span,
} from './types.js';

/** What a custom check receives. */
export interface CustomCheckInput {
  readonly text: string;
  readonly stage: GuardrailStage;
  readonly useCase?: string | undefined;
  readonly modelId?: string | undefined;
  readonly context?: GuardrailContext | undefined;
  /** Aborted when the check's time is up. */
  readonly signal: AbortSignal;
}

/** A finding reported by a custom check. */
export interface CustomCheckFinding {
  /** @default 'custom' */
  readonly category?: GuardrailCategory;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  /** @default 1 */
  readonly score?: number;
}

/** Return type of a custom check: nothing, one finding or several, possibly as a promise. */
// biome-ignore lint/suspicious/noConfusingVoidType: a check written as `() => {}` returns void.
export type CustomCheckOutcome = CustomCheckFinding | readonly CustomCheckFinding[] | null | undefined | void;

/** A host-supplied check. */
export interface CustomCheck {
  /** Unique id, reported as the violation's `checkId`. */
  readonly id: string;
  /** Stages it runs on. @default ['input', 'output'] */
  readonly stages?: readonly GuardrailStage[];
  /** Its own timeout; capped by what is left of the monitor's budget. @default the budget */
  readonly timeoutMs?: number;
  /** `open`: a failure flags and lets the text through; `closed`: a failure blocks. @default 'open' */
  readonly failMode?: 'open' | 'closed';
  /** The check itself: sync or async; its findings become violations. */
  readonly run: (input: CustomCheckInput) => CustomCheckOutcome | Promise<CustomCheckOutcome>;
}

/** Validates custom checks at construction (throws `ValidationError`). */
export function validateCustomChecks(checks: unknown): readonly CustomCheck[] {
  if (checks === undefined) return [];
  if (!Array.isArray(checks)) {
    throw new ValidationError(`Expected \`customChecks\` to be an array, got ${typeof checks}`, {
      field: 'customChecks',
    });
  }
  const ids = new Set<string>();
  checks.forEach((c: Partial<CustomCheck>, i) => {
    const field = `customChecks[${i}]`;
    if (!c || typeof c.id !== 'string' || c.id.length === 0) {
      throw new ValidationError(
        `Expected \`${field}.id\` to be a non-empty string, got ${JSON.stringify(c?.id)}`,
        { field: `${field}.id` },
      );
    }
    if (ids.has(c.id))
      throw new ValidationError(`Duplicate custom check id ${JSON.stringify(c.id)}`, {
        field: `${field}.id`,
      });
    ids.add(c.id);
    if (typeof c.run !== 'function') {
      throw new ValidationError(`Expected \`${field}.run\` to be a function, got ${typeof c.run}`, {
        field: `${field}.run`,
      });
    }
    if (c.timeoutMs !== undefined && !(typeof c.timeoutMs === 'number' && c.timeoutMs > 0)) {
      throw new ValidationError(
        `Expected \`${field}.timeoutMs\` to be a positive number, got ${String(c.timeoutMs)}`,
        {
          field: `${field}.timeoutMs`,
        },
      );
    }
    if (c.failMode !== undefined && c.failMode !== 'open' && c.failMode !== 'closed') {
      throw new ValidationError(
        `Expected \`${field}.failMode\` to be 'open' or 'closed', got ${JSON.stringify(c.failMode)}`,
        {
          field: `${field}.failMode`,
        },
      );
    }
  });
  return checks as CustomCheck[];
}

/** Runs the applicable custom checks within `budgetMs`, appending findings and failures. */
export async function runCustomChecks(
  checks: readonly CustomCheck[],
  input: Omit<CustomCheckInput, 'signal'>,
  budgetMs: number,
  clock: Clock,
  findings: Finding[],
  failures: CheckFailure[],
): Promise<void> {
  const started = clock.now();
  const applicable = checks.filter((c) => !c.stages || c.stages.includes(input.stage));
  await Promise.all(
    applicable.map(async (check) => {
      const left = budgetMs - (clock.now() - started);
      const timeoutMs = Math.max(0, Math.min(check.timeoutMs ?? budgetMs, left));
      const controller = new AbortController();
      let cancel: (() => void) | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        cancel = clock.setTimeout(() => resolve('timeout'), timeoutMs);
      });
      try {
        const outcome = await Promise.race([
          Promise.resolve().then(() => check.run({ ...input, signal: controller.signal })),
          timeout,
        ]);
        if (outcome === 'timeout') {
          controller.abort();
          fail(
            check,
            'timeout',
            `Custom check ${check.id} did not finish within ${timeoutMs} ms`,
            findings,
            failures,
          );
          return;
        }
        for (const f of toArray(outcome)) {
          if (!f || typeof f.message !== 'string' || !isSeverity(f.severity)) {
            fail(check, 'error', `Custom check ${check.id} returned an invalid finding`, findings, failures);
            continue;
          }
          findings.push({
            checkId: check.id,
            category: f.category ?? 'custom',
            severity: f.severity,
            message: f.message,
            score: f.score ?? 1,
            ...(f.span ? { span: f.span } : {}),
          });
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        fail(check, 'error', `Custom check ${check.id} threw: ${message}`, findings, failures);
      } finally {
        cancel?.();
      }
    }),
  );
}

function toArray(outcome: CustomCheckOutcome): readonly CustomCheckFinding[] {
  if (outcome === null || outcome === undefined) return [];
  return Array.isArray(outcome) ? outcome : [outcome as CustomCheckFinding];
}

function fail(
  check: CustomCheck,
  reason: CheckFailure['reason'],
  message: string,
  findings: Finding[],
  failures: CheckFailure[],
): void {
  const closed = check.failMode === 'closed';
  failures.push({ checkId: check.id, reason, message });
  findings.push({
    checkId: check.id,
    category: 'check_failure',
    severity: closed ? 'high' : 'low',
    message: `${message} (fail-${closed ? 'closed' : 'open'})`,
    score: 1,
    action: closed ? 'block' : 'flag',
  });
}
