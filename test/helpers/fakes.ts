/** In-memory fakes of the narrow interfaces the LLMClient depends on (shared by llm unit, e2e and bench). */
import { NotFoundError } from '../../src/index.js';
import type {
  ActiveDeploymentLike,
  GuardrailCheckInput,
  GuardrailCheckResult,
  GuardrailsLike,
  InferenceLogEntry,
  LogProcessorLike,
  Model,
  ModelRegistryLike,
  RouteDecision,
  RouteOutcome,
  RouterLike,
  StreamCheckerLike,
} from '../../src/llm/types.js';

let n = 0;

/** A model with sensible defaults. */
export function makeModel(over: Partial<Model> & { configuration: Record<string, unknown> }): Model {
  n++;
  return {
    id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    modelName: `model-${n}`,
    modelType: 'self_hosted',
    provider: 'http',
    useCase: 'interaction_layer',
    version: `1.${n}`,
    status: 'current',
    ...over,
  };
}

/**
 * Registry fake: one current model per use case; `fail` makes it throw like an unreachable database.
 * `snapshotModels` is the in-memory view, `stored` what `getModel` finds (NotFoundError otherwise).
 */
export class FakeRegistry implements ModelRegistryLike {
  fail = false;
  calls = 0;
  getModelCalls = 0;
  readonly snapshotModels = new Map<string, Model>();
  readonly stored = new Map<string, Model>();
  constructor(readonly current: Record<string, Model | null> = {}) {}
  async getCurrentModel(useCase: string): Promise<Model | null> {
    this.calls++;
    if (this.fail) throw new Error('connect ECONNREFUSED 127.0.0.1:5443 (registry database)');
    return this.current[useCase] ?? null;
  }
  snapshot(): { models: ReadonlyMap<string, Model> } {
    return { models: this.snapshotModels };
  }
  async getModel(id: string): Promise<Model> {
    this.getModelCalls++;
    if (this.fail) throw new Error('connect ECONNREFUSED 127.0.0.1:5443 (registry database)');
    const m = this.stored.get(id);
    if (!m) throw new NotFoundError(`No model with id ${id}`);
    return m;
  }
}

/** Router fake: always the given decision; records outcomes; `active` is its active deployment. */
export class FakeRouter implements RouterLike {
  outcomes: RouteOutcome[] = [];
  routes = 0;
  active: ActiveDeploymentLike | undefined;
  activeFails = false;
  constructor(public decision: RouteDecision | null) {}
  route(): RouteDecision | null {
    this.routes++;
    return this.decision;
  }
  recordOutcome(o: RouteOutcome): void {
    this.outcomes.push(o);
  }
  activeDeployment(_useCase: string): ActiveDeploymentLike | undefined {
    if (this.activeFails) throw new Error('router snapshot unavailable');
    return this.active;
  }
}

/** Fallback content the fake guardrails serve on a critical violation. */
export const FAKE_FALLBACK = 'The guard looks away and says nothing.';

function verdict(text: string): GuardrailCheckResult {
  if (/\bkill\b/i.test(text)) {
    return {
      allowed: false,
      action: 'block',
      text: FAKE_FALLBACK,
      violations: [{ severity: 'critical', category: 'violence', checkId: 'fake.kill' }],
      fallbackUsed: true,
    };
  }
  if (/\b\d{3}-\d{4}\b/.test(text)) {
    return {
      allowed: true,
      action: 'redact',
      text: text.replace(/\b\d{3}-\d{4}\b/g, '[phone]'),
      violations: [{ severity: 'medium', category: 'pii', checkId: 'fake.phone' }],
      fallbackUsed: false,
    };
  }
  return { allowed: true, action: 'allow', text, violations: [], fallbackUsed: false };
}

/** Guardrails fake: blocks "kill" (critical, with fallback content), redacts phone numbers. */
export class FakeGuardrails implements GuardrailsLike {
  checks: GuardrailCheckInput[] = [];
  constructor(withStreamChecker = true) {
    if (!withStreamChecker) this.createStreamChecker = undefined;
  }
  async check(input: GuardrailCheckInput): Promise<GuardrailCheckResult> {
    this.checks.push(input);
    return verdict(input.text);
  }
  createStreamChecker?: () => StreamCheckerLike = () => {
    let seen = '';
    return {
      push(chunk) {
        seen += chunk;
        const v = verdict(seen);
        return v.allowed
          ? { action: 'continue', text: chunk }
          : { action: 'stop', text: FAKE_FALLBACK, violations: v.violations };
      },
      end: () => ({ action: 'continue', text: '' }),
    };
  };
}

/**
 * Log processor fake: records entries and answers an id at once, or, while `gate` is set, only once the
 * gate resolves (`answered` counts the calls that have answered).
 */
export class FakeLog implements LogProcessorLike {
  entries: InferenceLogEntry[] = [];
  gate: Promise<void> | null = null;
  answered = 0;
  fail = false;
  async logInference(entry: InferenceLogEntry): Promise<string> {
    this.entries.push(entry);
    if (this.fail) throw new Error('log queue full');
    if (this.gate) await this.gate;
    this.answered++;
    return `log-${this.entries.length}`;
  }
}
