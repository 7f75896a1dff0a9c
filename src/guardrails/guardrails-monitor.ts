/**
 * GuardrailsMonitor: layered content policy on player input and model output with in-character fallback.
 * @module
 */
import { translateDbError } from '../db/index.js';
import { ClosedError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { MaintenanceLoop } from '../internal/maintenance-loop.js';
import { type MaintenanceReport, partitionSettings } from '../internal/time-partitions.js';
import { requireUuid } from '../internal/validate.js';
import { logEvents, resolveLogger } from '../logger.js';
import { type BuiltinChecks, BulkSpans } from './builtin-checks.js';
import { builtinsFor } from './builtins-for.js';
import { STAGES, stageError, validateInput } from './check-input.js';
import { type CustomCheck, runCustomChecks, validateCustomChecks } from './custom-checks.js';
import { decide, redactText } from './decide.js';
import { chooseFallback, type FallbackEntry, validateFallbacks } from './fallback.js';
import type { GuardrailsEvents } from './guardrails-events.js';
import { type GuardrailsMetrics, MetricsCollector } from './guardrails-metrics.js';
import {
  DEFAULT_GUARDRAILS_OPTIONS,
  type GuardrailsMonitorOptions,
  validateOptions,
} from './monitor-options.js';
import {
  DEFAULT_POLICY_TABLES,
  mergeTables,
  type PolicyTable,
  ratingToProfile,
  SEVERITY_RANK,
} from './policy.js';
import { primeChecks } from './prime.js';
import { ReviewQueue } from './review-queue.js';
import { StreamChecker, type StreamCheckerContext } from './stream-checker.js';
import { checkStructured } from './structured.js';
import { orderFindings, toViolation } from './to-violation.js';
import type { CheckFailure, CheckInput, CheckResult, Finding, RatingProfile, Violation } from './types.js';
import { type ViolationSink, ViolationStore, violationRecord } from './violation-store.js';

/** A failed maintenance pass is tried again after at most this long. */
const RETRY_MAINTENANCE_MS = 60_000;
/** `close()` waits at most this long for a maintenance pass in progress. */
const CLOSE_MAINTENANCE_MS = 30_000;

type ResolvedOptions = GuardrailsMonitorOptions &
  Required<Pick<GuardrailsMonitorOptions, keyof typeof DEFAULT_GUARDRAILS_OPTIONS>>;

/**
 * Checks text against a layered content policy. Built-in checks are synchronous and linear-time;
 * custom checks may be async and run inside the time budget.
 * @example
 * ```ts
 * const guardrails = new GuardrailsMonitor({ policy: 'teen' });
 * const r = await guardrails.check({ text, stage: 'output', useCase: 'interaction_layer', modelId,
 *   context: { rating: 'T', npcId: 'innkeeper', questProgress: ['act1'] } });
 * if (!r.allowed) reply(r.text); // fallback content
 * ```
 */
export class GuardrailsMonitor extends TypedEmitter<GuardrailsEvents> {
  /** The review queue (needs `db`). */
  readonly reviews: ReviewQueue;
  /** Whether checking is on (`GUARDRAILS_MONITORING_ENABLED`). */
  readonly enabled: boolean;
  /** Default rating profile. */
  readonly profile: RatingProfile;
  private readonly builtins: BuiltinChecks;
  private readonly options: ResolvedOptions;
  private readonly customChecks: readonly CustomCheck[];
  private readonly fallbacks: readonly FallbackEntry[];
  private readonly clock: Clock;
  private readonly metricsCollector = new MetricsCollector();
  private readonly tables = new Map<string, PolicyTable>();
  private readonly sink: ViolationSink | undefined;
  private readonly ownedSink: { flush(): Promise<void>; close(): Promise<void> } | undefined;
  private readonly maintenance: MaintenanceLoop<MaintenanceReport> | undefined;
  private closed = false;

  constructor(options: GuardrailsMonitorOptions = {}) {
    super();
    logEvents(this, resolveLogger(options?.logger), {
      'guardrails:critical': [
        'warn',
        'critical guardrail violation',
        (e: {
          stage: string;
          useCase?: string;
          modelId?: string;
          logId?: string;
          action: string;
          violations: readonly { rule?: string }[];
        }) => ({
          stage: e.stage,
          useCase: e.useCase,
          modelId: e.modelId,
          logId: e.logId,
          action: e.action,
          violations: e.violations.length,
        }),
      ],
    });
    validateOptions(options);
    this.options = { ...DEFAULT_GUARDRAILS_OPTIONS, ...stripUndefined(options) } as ResolvedOptions;
    this.enabled = this.options.enabled;
    this.profile = ratingToProfile(this.options.policy, 'policy');
    this.clock = options.clock ?? systemClock;
    this.customChecks = validateCustomChecks(options.customChecks);
    this.fallbacks = validateFallbacks(options.fallbacks);
    for (const [name, uc] of Object.entries(options.useCases ?? {})) {
      if (uc.policy !== undefined) ratingToProfile(uc.policy, `useCases.${name}.policy`);
    }
    this.builtins = builtinsFor(options);
    if (this.enabled) primeChecks(this.builtins, DEFAULT_POLICY_TABLES[this.profile]);
    const partitions = partitionSettings(options, {
      interval: DEFAULT_GUARDRAILS_OPTIONS.partitionInterval,
      ahead: DEFAULT_GUARDRAILS_OPTIONS.partitionsAhead,
    });
    const store = options.db ? new ViolationStore(options.db) : undefined;
    if (store) {
      this.maintenance = new MaintenanceLoop({
        run: () =>
          store.maintain(partitions, this.clock.now()).catch((error: unknown) => {
            throw translateDbError(error, 'maintaining guardrail violation partitions');
          }),
        intervalMs: this.options.maintenanceIntervalMs,
        retryMs: RETRY_MAINTENANCE_MS,
        closeTimeoutMs: CLOSE_MAINTENANCE_MS,
        clock: this.clock,
        onReport: (r) => {
          if (r.created.length + r.dropped.length + r.movedRows + r.deletedRows > 0)
            this.emitSafely('guardrails:maintained', r);
        },
        onError: (error) => this.emitSafely('guardrails:maintenance_failed', { error }),
      });
    }
    // Maintenance starts at first use of the database (a write or a review-queue call), like the history's.
    const ready = () =>
      this.maintenance && this.options.autoMaintenance && !this.closed
        ? this.maintenance.started()
        : Promise.resolve();
    if (options.sink) {
      this.sink = options.sink;
    } else if (store) {
      const writer = store.createWriter(
        this.clock,
        (error, count) => this.emitSafely('guardrails:persist_failed', { error, count }),
        ready,
      );
      this.sink = writer;
      this.ownedSink = writer;
    }
    this.reviews = new ReviewQueue(
      store,
      (checkId) => this.emitSafely('guardrails:false_positive', { checkId }),
      ready,
    );
  }

  /**
   * Checks one text. Never throws for content; throws `ValidationError` for malformed input (non-string
   * text, unknown stage or rating, a `modelId` that is not a UUID) and `ClosedError` after `close()`.
   */
  async check(input: CheckInput): Promise<CheckResult> {
    const started = performance.now();
    const prepared = this.prepare(input);
    if (!prepared) return this.disabledResult(input, started);
    const { findings, failures, profile, bulk } = prepared;
    const uc = input.useCase !== undefined ? this.options.useCases?.[input.useCase] : undefined;
    const schema = input.schema ?? (input.stage === 'output' ? uc?.schema : undefined);
    const json = input.json ?? (input.stage === 'output' ? uc?.json : undefined);
    if (schema || json) await checkStructured(input.text, schema, findings);
    if (this.customChecks.length) {
      const left = this.options.budgetMs - (performance.now() - started);
      await runCustomChecks(
        this.customChecks,
        {
          text: input.text,
          stage: input.stage,
          useCase: input.useCase,
          modelId: input.modelId,
          context: input.context,
        },
        left,
        this.clock,
        findings,
        failures,
      );
      for (const f of failures)
        this.emitSafely('guardrails:check_failed', { ...f, useCase: input.useCase, modelId: input.modelId });
    }
    return this.finish(input, profile, findings, failures, started, bulk);
  }

  /**
   * Synchronous check with the built-in checks only (no custom checks, no schema): the hot-path variant.
   */
  checkSync(input: CheckInput): CheckResult {
    const started = performance.now();
    const prepared = this.prepare(input);
    if (!prepared) return this.disabledResult(input, started);
    return this.finish(input, prepared.profile, prepared.findings, prepared.failures, started, prepared.bulk);
  }

  /**
   * Creates a checker for streamed output: feed chunks as they arrive; it finds terms split across
   * chunks and answers `stop` as soon as a critical violation appears.
   */
  createStreamChecker(context: StreamCheckerContext = {}): StreamChecker {
    this.assertOpen();
    const stage = context.stage ?? 'output';
    if (!STAGES.has(stage)) throw stageError(stage);
    if (context.modelId !== undefined) requireUuid(context.modelId, 'modelId');
    const profile = this.profileFor(context.useCase, context.context?.rating);
    const table = this.tableFor(profile, context.useCase);
    return new StreamChecker(this.builtins, table, { ...context, stage }, (text) =>
      this.check({ ...context, stage, text }),
    );
  }

  /** Counters per model and use case (optionally filtered). */
  metrics(filter: { modelId?: string; useCase?: string } = {}): GuardrailsMetrics[] {
    return this.metricsCollector.snapshot(filter);
  }

  /**
   * One partition maintenance pass of the stored violations now: creates the partitions ahead, moves
   * rows out of the default partition, drops partitions older than `retention` (pg-mem: deletes rows).
   * Runs by itself every `maintenanceIntervalMs` from first use; on PostgreSQL only the replica holding
   * the maintenance lease works (`leaseAcquired: false` elsewhere). Needs `db`.
   * @example
   * ```ts
   * const { dropped } = await guardrails.maintain();
   * ```
   */
  async maintain(): Promise<MaintenanceReport> {
    this.assertOpen();
    if (!this.maintenance) {
      throw new ValidationError('Maintenance needs a database: create the GuardrailsMonitor with `db`', {
        field: 'db',
      });
    }
    return this.maintenance.maintain();
  }

  /** Writes buffered violation records. */
  async flush(): Promise<void> {
    await this.ownedSink?.flush();
  }

  /** Flushes and stops; idempotent. Closes only the writer this monitor created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Stops the maintenance timer now; a pass in progress gets at most 30 s, waited for alongside the writer.
    const maintenanceClosed = this.maintenance?.close();
    await this.ownedSink?.close();
    await maintenanceClosed;
  }

  /** Alias of {@link GuardrailsMonitor.close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private prepare(
    input: CheckInput,
  ): { findings: Finding[]; failures: CheckFailure[]; profile: RatingProfile; bulk: BulkSpans } | null {
    this.assertOpen();
    validateInput(input);
    const profile = this.profileFor(input.useCase, input.context?.rating);
    if (!this.enabled) return null;
    const findings: Finding[] = [];
    const { text, stage } = input;
    const uc = input.useCase !== undefined ? this.options.useCases?.[input.useCase] : undefined;
    const limit =
      stage === 'input'
        ? (uc?.maxInputChars ?? this.options.maxInputChars)
        : (uc?.maxOutputChars ?? this.options.maxOutputChars);
    if (text.length > limit) {
      findings.push({
        checkId: 'length',
        category: 'length',
        severity: 'high',
        message: `Text has ${text.length} characters; the ${stage} limit is ${limit}`,
        score: 1,
      });
    }
    const cap = this.options.maxScanChars;
    const scanned = text.length > cap ? text.slice(0, cap) : text;
    const bulk = new BulkSpans(Math.max(1, this.options.maxViolations));
    this.builtins.run(scanned, stage, input.context, findings, bulk);
    return { findings, failures: [], profile, bulk };
  }

  private finish(
    input: CheckInput,
    profile: RatingProfile,
    findings: Finding[],
    failures: CheckFailure[],
    started: number,
    bulk?: BulkSpans,
  ): CheckResult {
    const table = this.tableFor(profile, input.useCase);
    const { action, acting, actions, worst } = decide(findings, table);
    let text = input.text;
    let fallbackUsed = false;
    if (action === 'block') {
      if (input.stage === 'output') {
        text = chooseFallback(this.fallbacks, {
          useCase: input.useCase,
          npcId: input.context?.npcId,
          category: worst?.category,
          modelId: input.modelId,
          text: input.text,
        });
        fallbackUsed = true;
      } else {
        text = '';
      }
    } else if (action === 'redact') {
      text = redactText(input.text, acting, actions, bulk);
    }
    bulk?.release();
    const violations: Violation[] = orderFindings(acting, this.options.maxViolations).map((i) =>
      toViolation(input.text, acting[i]!, actions[i]!),
    );
    const result: CheckResult = {
      allowed: action !== 'block',
      action,
      text,
      violations,
      fallbackUsed,
      latencyMs: performance.now() - started,
      monitored: true,
      profile,
      failures,
    };
    this.metricsCollector.record(input.modelId, input.useCase, result);
    if (violations.length) this.report(input, result);
    return result;
  }

  private report(input: CheckInput, result: CheckResult): void {
    const event = {
      stage: input.stage,
      useCase: input.useCase,
      modelId: input.modelId,
      logId: input.logId,
      action: result.action,
      fallbackUsed: result.fallbackUsed,
      violations: result.violations,
    };
    this.emitSafely('guardrails:violation', event);
    if (result.violations.some((v) => v.severity === 'critical'))
      this.emitSafely('guardrails:critical', event);
    if (!this.sink) return;
    const persistMin = SEVERITY_RANK[this.options.persistMinSeverity];
    const reviewMin = SEVERITY_RANK[this.options.reviewMinSeverity];
    for (const v of result.violations) {
      const rank = SEVERITY_RANK[v.severity];
      if (rank < persistMin && v.action !== 'block' && !v.review) continue;
      const review = rank >= reviewMin || v.action === 'block' || v.review === true;
      const record = violationRecord(v, input, this.clock.now(), review);
      try {
        if (this.sink.add(record) === false)
          this.emitSafely('guardrails:persist_failed', {
            error: new Error('Violation writer buffer full'),
            count: 1,
          });
      } catch (error) {
        this.emitSafely('guardrails:persist_failed', { error, count: 1 });
      }
    }
  }

  private disabledResult(input: CheckInput, started: number): CheckResult {
    return {
      allowed: true,
      action: 'allow',
      text: input.text,
      violations: [],
      fallbackUsed: false,
      latencyMs: performance.now() - started,
      monitored: false,
      profile: this.profileFor(input.useCase, input.context?.rating),
      failures: [],
    };
  }

  private profileFor(useCase: string | undefined, rating: unknown): RatingProfile {
    if (rating !== undefined) return ratingToProfile(rating as string, 'context.rating');
    const uc = useCase !== undefined ? this.options.useCases?.[useCase] : undefined;
    return uc?.policy !== undefined ? ratingToProfile(uc.policy, `useCases.${useCase}.policy`) : this.profile;
  }

  private tableFor(profile: RatingProfile, useCase: string | undefined): PolicyTable {
    const key = `${profile}\u0000${useCase ?? ''}`;
    let table = this.tables.get(key);
    if (!table) {
      const uc = useCase !== undefined ? this.options.useCases?.[useCase] : undefined;
      table = mergeTables(mergeTables(DEFAULT_POLICY_TABLES[profile], this.options.overrides), uc?.overrides);
      this.tables.set(key, table);
    }
    return table;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClosedError('GuardrailsMonitor is closed');
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
