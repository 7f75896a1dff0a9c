import type { Deployment, Rollback } from '../deployment/index.js';
import { ConflictError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { type Clock, systemClock } from '../internal/clock.js';
import { InFlight } from '../internal/in-flight.js';
import { keepAliveWhile } from '../internal/keep-alive.js';
import { describe } from '../internal/validate.js';
import { logEvents, resolveLogger } from '../logger.js';
import {
  DEFAULT_SERVICE_COORDINATOR_OPTIONS,
  validateCoordinateInput,
  validateCoordinatorOptions,
} from './coordinator-options.js';
import { callHook, sleep } from './hooks.js';
import { preflight } from './preflight.js';
import { replayGate } from './replay-gate.js';
import { createClientProbe, type SmokeProbe } from './smoke.js';
import { Timeline } from './timeline.js';
import type {
  CoordinateDeploymentInput,
  CoordinationResult,
  CoordinatorDeploymentManager,
  CoordinatorRollbackManager,
  HookName,
  ServiceCoordinatorEvents,
  ServiceCoordinatorOptions,
} from './types.js';

const TERMINAL = new Set<Deployment['status']>([
  'succeeded',
  'shadow_passed',
  'rolled_back',
  'failed',
  'aborted',
]);

/**
 * Runs a whole model deployment end to end: checks the caller's view of the current model, smoke-tests
 * the candidate before any player traffic, starts the deployment, gates each traffic shift with the
 * host's `beforeTrafficShift` hook, drives the state machine to its end on the injected clock and
 * reports to the host hooks. Returns a readable timeline.
 * @example
 * ```ts
 * const coordinator = new ServiceCoordinator({ deploymentManager, llmClient, registry, hooks });
 * const result = await coordinator.coordinateModelDeployment({ newModelId, currentModelId,
 *   useCase: 'foundation_layer', strategy: 'blue_green' });
 * if (result.status !== 'succeeded') console.warn(result.reason);
 * ```
 */
export class ServiceCoordinator extends TypedEmitter<ServiceCoordinatorEvents> {
  private readonly o: ServiceCoordinatorOptions & typeof DEFAULT_SERVICE_COORDINATOR_OPTIONS;
  private readonly dm: CoordinatorDeploymentManager;
  private readonly rollbacks: CoordinatorRollbackManager | undefined;
  private readonly clock: Clock;
  private readonly probe: SmokeProbe | undefined;

  private readonly inFlight = new InFlight('ServiceCoordinator');

  constructor(options: ServiceCoordinatorOptions) {
    super();
    options = validateCoordinatorOptions(options);
    logEvents(this, resolveLogger(options.logger), {
      'coordination:hook_failed': ['warn', 'coordination hook failed', (e: object) => e],
      'coordination:finished': ['info', 'coordinated rollout finished', (e: object) => e],
    });
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.o = { ...DEFAULT_SERVICE_COORDINATOR_OPTIONS, ...(defined as unknown as ServiceCoordinatorOptions) };
    this.dm = options.deploymentManager;
    this.rollbacks = options.rollbackManager ?? options.deploymentManager.rollbacks;
    this.clock = options.clock ?? systemClock;
    this.probe =
      options.probe ??
      (options.llmClient
        ? createClientProbe(options.llmClient, {
            retries: this.o.smokeRetries,
            timeoutMs: this.o.smokeTimeoutMs,
            guardrails: options.guardrails,
          })
        : undefined);
  }

  /**
   * Runs one deployment to its end. Throws `ValidationError` for bad input and `ConflictError` when
   * `currentModelId` is no longer current or the use case already has an active deployment; every
   * other outcome is a result (`succeeded`, `rolled_back`, `failed`) with its reason and timeline.
   * Keeps the process alive while awaited (the rollout waits on the SDK's timers, which never do).
   */
  coordinateModelDeployment(input: CoordinateDeploymentInput): Promise<CoordinationResult> {
    return keepAliveWhile(this.inFlight.run(() => this.coordinate(input)));
  }

  /**
   * Refuses new coordinations and waits for the running ones to reach their result (each ends with a
   * deployment outcome; nothing is left half-written). Idempotent.
   * @example
   * ```ts
   * process.on('SIGTERM', () => void coordinator.close());
   * ```
   */
  async close(): Promise<void> {
    await this.inFlight.close();
  }

  /** Same as {@link ServiceCoordinator.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async coordinate(input: CoordinateDeploymentInput): Promise<CoordinationResult> {
    validateCoordinateInput(input);
    const { useCase, newModelId, currentModelId } = input;
    const actor = input.actor ?? this.o.actor;
    const tl = new Timeline(this.clock, (entry, deploymentId) =>
      this.emitSafely('coordination:timeline', { useCase, deploymentId, entry }),
    );
    const base = { useCase, newModelId, previousModelId: currentModelId };
    const registry = this.o.registry;
    if (registry) {
      const current = await registry.getCurrentModel(useCase);
      if ((current?.id ?? null) !== currentModelId) {
        throw new ConflictError(
          `Expected model ${describe(currentModelId)} to be current for '${useCase}', but it is ${describe(current?.id ?? null)}; re-read the registry and retry`,
          { details: { useCase, expected: currentModelId, actual: current?.id ?? null } },
        );
      }
      tl.add('check', `Current model of '${useCase}' is ${currentModelId ?? 'none'}, as expected`);
    }

    // Smoke suite and host validator: before any deployment exists, so no player can be routed to it.
    const pre = await preflight(
      tl,
      { ...this.o, registry, probe: this.probe },
      useCase,
      newModelId,
      (report) => this.emitSafely('coordination:smoke', { useCase, modelId: newModelId, report }),
    );
    const smoke = pre.smoke;
    if (pre.failure !== null) {
      return this.finish(
        tl,
        { ...base, smoke, deploymentId: null, strategy: input.strategy ?? null },
        'failed',
        pre.failure,
        null,
      );
    }
    // Replay from history: the candidate judged on past prompts, still before any deployment exists.
    const gate = input.preflight?.replay
      ? await replayGate(tl, this.dm, this.clock.now(), useCase, newModelId, input.preflight.replay, actor)
      : null;
    if (gate?.failure) {
      return this.finish(
        tl,
        { ...base, smoke, replay: gate.replay, deploymentId: null, strategy: input.strategy ?? null },
        'failed',
        gate.failure,
        null,
      );
    }

    let d = await this.dm.startDeployment({
      useCase,
      newModelId,
      strategy: input.strategy,
      plan: input.plan,
      analysis: input.analysis,
      actor,
      reason: input.reason,
    });
    tl.bind(d.id);
    tl.add('deployment', `Deployment ${d.id} started: ${d.strategy}, candidate ${newModelId}`);
    if (d.stableModelId !== currentModelId) {
      await this.dm.abort(d.id, { actor, reason: 'Current model changed before the deployment started' });
      throw new ConflictError(
        `Expected model ${describe(currentModelId)} to be current for '${useCase}', but it is ${describe(d.stableModelId)}; the deployment was aborted`,
        { details: { useCase, expected: currentModelId, actual: d.stableModelId, deploymentId: d.id } },
      );
    }
    const ctx = {
      ...base,
      smoke,
      ...(gate ? { replay: gate.replay } : {}),
      deploymentId: d.id,
      strategy: d.strategy,
    };
    await this.hook(tl, 'onDeploymentStarted', { deployment: d }, d.id);

    const approved = new Set<number>();
    const deadline = tl.startedAt + this.o.timeoutMs;
    let stopReason: string | null = null;
    let prev = d;
    for (;;) {
      if (TERMINAL.has(d.status)) break;
      if (input.signal?.aborted) {
        stopReason = 'Stopped by the caller (AbortSignal)';
        tl.add('error', stopReason, false);
        d = await this.stop(d, stopReason, actor, tl);
        break;
      }
      if (this.clock.now() >= deadline) {
        stopReason = `Timed out after ${this.o.timeoutMs} ms in state '${d.status}'`;
        tl.add('error', stopReason, false);
        d = await this.stop(d, stopReason, actor, tl);
        break;
      }
      const next = nextShift(d, this.clock.now());
      if (next !== null && !approved.has(next)) {
        if (!(await this.gate(tl, d, next, false))) {
          stopReason = `beforeTrafficShift stopped the shift ${d.weight}% → ${next}%`;
          d = await this.stop(d, stopReason, actor, tl);
          break;
        }
        approved.add(next);
      }
      if (this.o.drive) await this.dm.tick();
      d = await this.dm.getDeployment(d.id);
      prev = this.observe(tl, prev, d);
      if (d.weight > 0 && !approved.has(d.weight) && !TERMINAL.has(d.status)) {
        // The manager drove on its own timer and shifted before we asked: ask now, stop if refused.
        if (!(await this.gate(tl, d, d.weight, true))) {
          stopReason = `beforeTrafficShift refused the shift to ${d.weight}% (applied by the manager's own timer)`;
          d = await this.stop(d, stopReason, actor, tl);
          break;
        }
        approved.add(d.weight);
      }
      if (TERMINAL.has(d.status)) break;
      this.emitSafely('coordination:waiting', { deploymentId: d.id, status: d.status, weight: d.weight });
      await sleep(this.clock, this.o.pollIntervalMs);
      d = await this.dm.getDeployment(d.id);
      prev = this.observe(tl, prev, d);
    }
    this.observe(tl, prev, d);
    const rollback = await this.rollbackOf(d.id);
    if (rollback) {
      tl.add(
        'rollback',
        `Rollback (${rollback.trigger}) ${rollback.status} in ${rollback.durationMs ?? '?'} ms: ${rollback.reason}`,
        rollback.status === 'completed',
      );
    }
    const status =
      d.status === 'succeeded' || d.status === 'shadow_passed' || d.status === 'failed'
        ? d.status
        : 'rolled_back';
    const reason = stopReason ?? d.reason ?? status;
    return this.finish(tl, ctx, status, reason, rollback);
  }

  private async finish(
    tl: Timeline,
    ctx: Omit<CoordinationResult, 'status' | 'reason' | 'durationMs' | 'timeline'>,
    status: CoordinationResult['status'],
    reason: string,
    rollback: Rollback | null,
  ): Promise<CoordinationResult> {
    const make = (): CoordinationResult => ({
      ...ctx,
      status,
      reason,
      durationMs: tl.elapsed(),
      timeline: tl.entries(),
    });
    const hooks = this.o.hooks ?? {};
    if (status === 'succeeded')
      await this.hook(tl, 'onCompleted', make(), ctx.deploymentId, hooks.onCompleted);
    else if (status === 'rolled_back')
      await this.hook(tl, 'onRolledBack', { ...make(), rollback }, ctx.deploymentId);
    else if (status !== 'shadow_passed') await this.hook(tl, 'onFailed', make(), ctx.deploymentId);
    const ok = status === 'succeeded' || status === 'shadow_passed';
    tl.add(ok ? 'deployment' : 'error', `Finished: ${status} — ${reason}`, ok);
    const result = make();
    this.emitSafely('coordination:finished', { result });
    return result;
  }

  private async hook(
    tl: Timeline,
    name: HookName,
    arg: unknown,
    deploymentId: string | null,
    fn: ((a: never) => unknown) | undefined = this.o.hooks?.[name] as ((a: never) => unknown) | undefined,
  ): Promise<boolean> {
    if (!fn) return true;
    const r = await callHook(name, fn, arg, this.clock, this.o.hookTimeoutMs);
    const refused = r.ok && name === 'beforeTrafficShift' && r.value === false;
    if (r.ok && !refused) {
      tl.add('hook', `${name} ok`);
      return true;
    }
    const error = r.ok ? new Error('hook returned false') : r.error;
    const timedOut = !r.ok && r.timedOut;
    tl.add('hook', `${name} failed: ${error instanceof Error ? error.message : String(error)}`, false);
    this.emitSafely('coordination:hook_failed', { hook: name, deploymentId, timedOut, error });
    return false;
  }

  private gate(tl: Timeline, d: Deployment, toWeight: number, alreadyApplied: boolean): Promise<boolean> {
    tl.add(
      'shift',
      `${alreadyApplied ? 'Shifted' : 'Shifting'} candidate traffic ${alreadyApplied ? 'to' : `${d.weight}% →`} ${toWeight}%`,
    );
    return this.hook(
      tl,
      'beforeTrafficShift',
      {
        deploymentId: d.id,
        useCase: d.useCase,
        strategy: d.strategy,
        fromWeight: alreadyApplied ? 0 : d.weight,
        toWeight,
        deployment: d,
        alreadyApplied,
      },
      d.id,
    );
  }

  /** Ends a deployment early: abort while no traffic moved, roll back once it has. */
  private async stop(d: Deployment, reason: string, actor: string, tl: Timeline): Promise<Deployment> {
    try {
      if ((d.weight > 0 || d.switched) && this.rollbacks) {
        await this.rollbacks.rollback(d.useCase, { reason, actor, trigger: 'automatic' });
      } else {
        await this.dm.abort(d.id, { actor, reason });
      }
    } catch (error) {
      tl.add(
        'error',
        `Stopping the deployment failed: ${error instanceof Error ? error.message : String(error)}`,
        false,
      );
    }
    return this.dm.getDeployment(d.id);
  }

  private observe(tl: Timeline, prev: Deployment, d: Deployment): Deployment {
    if (prev.status !== d.status || prev.weight !== d.weight || prev.stepIndex !== d.stepIndex) {
      tl.add(
        'deployment',
        `${prev.status} → ${d.status} at ${d.weight}%${d.reason ? `: ${d.reason}` : ''}`,
        !['rolling_back', 'rolled_back', 'failed', 'aborted'].includes(d.status),
      );
    }
    return d;
  }

  private async rollbackOf(deploymentId: string): Promise<Rollback | null> {
    if (!this.rollbacks) return null;
    const [rb] = await this.rollbacks.listRollbacks({ deploymentId, limit: 1 });
    return rb ?? null;
  }
}

/** The candidate weight the next driver step may move to, or null when it cannot shift traffic. */
export function nextShift(d: Deployment, now: number): number | null {
  const steps = d.plan.steps;
  switch (d.status) {
    case 'pending':
      if (d.strategy === 'canary') return steps[0] ?? null;
      return d.strategy === 'all_at_once' ? 100 : null;
    case 'validating':
      return 100;
    case 'progressing': {
      if (d.strategy !== 'canary' || now - d.stepStartedAt.getTime() < d.plan.stepMinDurationMs) return null;
      if (d.stepIndex < steps.length - 1) return steps[d.stepIndex + 1] ?? null;
      return d.weight < 100 ? 100 : null;
    }
    case 'promoting':
      return d.weight < 100 ? 100 : null;
    default:
      return null;
  }
}
