/**
 * Options of {@link GuardrailsMonitor} and their validation.
 * @module
 */
import type { Database } from '../db/index.js';
import { ValidationError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { PartitionInterval } from '../internal/time-partitions.js';
import type { Logger } from '../logger.js';
import { isSeverity } from '../severity.js';
import type { BuiltinCheckToggles } from './builtin-checks.js';
import type { CustomCheck } from './custom-checks.js';
import type { TermGroup } from './default-terms.js';
import type { FallbackEntry } from './fallback.js';
import type { PolicyTable } from './policy.js';
import type { RatingProfile, Severity, StandardSchemaV1 } from './types.js';
import type { ViolationSink } from './violation-store.js';

/** Per-use-case settings. */
export interface UseCasePolicy {
  /** Rating profile (or ESRB/PEGI rating) for this use case. @default the monitor's `policy` */
  readonly policy?: RatingProfile | string;
  /** Category × severity → action overrides on top of the profile's table. */
  readonly overrides?: PolicyTable;
  /** Validate every output of this use case with a Standard Schema validator (after JSON parsing). */
  readonly schema?: StandardSchemaV1;
  /** Require every output of this use case to be JSON. @default false */
  readonly json?: boolean;
  /** @default the monitor's `maxInputChars` */
  readonly maxInputChars?: number;
  /** @default the monitor's `maxOutputChars` */
  readonly maxOutputChars?: number;
}

/** Spoiler terms locked until a quest id appears in `context.questProgress`. */
export interface SpoilerGroup {
  readonly terms: readonly string[];
  readonly unlockedBy: string;
  /** @default 'medium' */
  readonly severity?: Severity;
}

/** Options of {@link GuardrailsMonitor}. Every field is optional. */
export interface GuardrailsMonitorOptions {
  /** Structured logger (pino shape, or `consoleLogger()`) for warnings, alerts and rollouts. @default NOOP_LOGGER (silent) */
  logger?: Logger;
  /** Rating profile, or an ESRB/PEGI rating mapped onto one. @default 'teen' */
  readonly policy?: RatingProfile | string;
  /** `false` (from `GUARDRAILS_MONITORING_ENABLED=false`) makes `check()` a no-op that says so. @default true */
  readonly enabled?: boolean;
  /** Term groups replacing the built-in lists. @default DEFAULT_TERM_GROUPS */
  readonly terms?: readonly TermGroup[];
  /** Term groups added to the built-in (or `terms`) lists, e.g. a game's blocklist. @default [] */
  readonly extraTerms?: readonly TermGroup[];
  /** Phrases added to the built-in allowlist. @default [] */
  readonly allowlist?: readonly string[];
  /** Spoiler terms gated by quest progress. @default [] */
  readonly spoilers?: readonly SpoilerGroup[];
  /** Modern-world words flagged in NPC output; `[]` for modern settings. @default DEFAULT_ANACHRONISMS */
  readonly anachronisms?: readonly string[];
  /**
   * Locales whose term lists may apply (`es`, `pt-BR`…; see `SUPPORTED_LOCALES`): chosen per check by
   * `context.locale`, or else by the scripts and language of the text. Each list is compiled on first
   * use. `[]` keeps English only. @default every supported locale
   */
  readonly locales?: readonly string[];
  /** Turn built-in checks off. @default all on */
  readonly checks?: BuiltinCheckToggles;
  /** Global category × severity → action overrides. */
  readonly overrides?: PolicyTable;
  /** Per-use-case profile, overrides, schema and limits. */
  readonly useCases?: Readonly<Record<string, UseCasePolicy>>;
  /** Authored fallback lines (per use case, NPC, category); generic safe lines are used last. */
  readonly fallbacks?: readonly FallbackEntry[];
  /** Host checks, sync or async. */
  readonly customChecks?: readonly CustomCheck[];
  /** Time budget of one `check()`, custom checks included. @default 200 */
  readonly budgetMs?: number;
  /** Longer player input is a `length` violation (high). @default 4000 */
  readonly maxInputChars?: number;
  /** Longer model output is a `length` violation (high). @default 8000 */
  readonly maxOutputChars?: number;
  /** Only this many characters are scanned; longer text is also a `length` violation. @default 131072 */
  readonly maxScanChars?: number;
  /** At most this many violations are listed per result (the strongest first); all still act. @default 100 */
  readonly maxViolations?: number;
  /** Database for the review queue; violations are written through a non-blocking batch writer. */
  readonly db?: Database;
  /** Custom destination for violation records (instead of `db`), e.g. a shared batch writer. */
  readonly sink?: ViolationSink;
  /** Violations at or above this severity (and every blocked one) are stored. @default 'high' */
  readonly persistMinSeverity?: Severity;
  /** Violations at or above this severity get `reviewStatus: 'pending'`. @default 'critical' */
  readonly reviewMinSeverity?: Severity;
  /**
   * Keep stored violations (reviewed or not) at least this long, e.g. `'90d'`, `'12h'`, `'2w'` (or ms).
   * Expired ones go by detaching and dropping whole partitions of `guardrail_violations` (so up to one
   * `partitionInterval` more is kept); pg-mem deletes rows. @default undefined (keep everything)
   */
  readonly retention?: string | number;
  /**
   * Length of one partition of `guardrail_violations` (UTC; PostgreSQL and PGlite, pg-mem keeps a
   * plain table). Changing it later leaves existing partitions as they are. @default 'day'
   */
  readonly partitionInterval?: PartitionInterval;
  /** Partitions kept ready beyond the current one. @default 3 */
  readonly partitionsAhead?: number;
  /**
   * How often partition maintenance (partitions ahead, retention) runs, starting at the first stored
   * violation or review-queue call; on PostgreSQL only the replica holding the lease works. @default 3600000
   */
  readonly maintenanceIntervalMs?: number;
  /** Run maintenance on a timer; `false` leaves it to the host calling `maintain()`. @default true */
  readonly autoMaintenance?: boolean;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** Defaults of {@link GuardrailsMonitorOptions}. */
export const DEFAULT_GUARDRAILS_OPTIONS = {
  policy: 'teen',
  enabled: true,
  budgetMs: 200,
  maxInputChars: 4000,
  maxOutputChars: 8000,
  maxScanChars: 131_072,
  maxViolations: 100,
  persistMinSeverity: 'high',
  reviewMinSeverity: 'critical',
  partitionInterval: 'day',
  partitionsAhead: 3,
  maintenanceIntervalMs: 3_600_000,
  autoMaintenance: true,
} as const;

/** Throws `ValidationError` naming the first invalid option. */
export function validateOptions(o: GuardrailsMonitorOptions): void {
  if (o === null || typeof o !== 'object') {
    throw new ValidationError(`Expected GuardrailsMonitor options to be an object, got ${String(o)}`);
  }
  for (const field of [
    'budgetMs',
    'maxInputChars',
    'maxOutputChars',
    'maxScanChars',
    'maxViolations',
    'maintenanceIntervalMs',
  ] as const) {
    const v = o[field];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
      throw new ValidationError(`Expected \`${field}\` to be a positive number, got ${String(v)}`, { field });
    }
  }
  for (const field of ['enabled', 'autoMaintenance'] as const) {
    const v = o[field];
    if (v !== undefined && typeof v !== 'boolean') {
      throw new ValidationError(`Expected \`${field}\` to be a boolean, got ${String(v)}`, { field });
    }
  }
  for (const field of ['persistMinSeverity', 'reviewMinSeverity'] as const) {
    const v = o[field];
    if (v !== undefined && !isSeverity(v)) {
      throw new ValidationError(`Expected \`${field}\` to be low/medium/high/critical, got ${String(v)}`, {
        field,
      });
    }
  }
  const groups = [...(o.terms ?? []), ...(o.extraTerms ?? [])];
  groups.forEach((g, i) => {
    if (!g || !Array.isArray(g.terms) || typeof g.category !== 'string' || !isSeverity(g.severity)) {
      throw new ValidationError(`Expected term group ${i} to be { category, severity, terms: string[] }`, {
        field: 'terms',
      });
    }
  });
  (o.spoilers ?? []).forEach((s, i) => {
    if (!s || !Array.isArray(s.terms) || typeof s.unlockedBy !== 'string') {
      throw new ValidationError(`Expected \`spoilers[${i}]\` to be { terms: string[], unlockedBy: string }`, {
        field: `spoilers[${i}]`,
      });
    }
  });
}
