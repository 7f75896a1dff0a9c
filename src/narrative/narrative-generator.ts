import { ProviderError, ValidationError } from '../errors.js';
import { bucketOf } from '../internal/hashing.js';
import { InFlight } from '../internal/in-flight.js';
import type { GuardrailsLike, GuardrailViolation } from '../llm/index.js';
import { resolveLogger } from '../logger.js';
import { validateNarrativeRequest } from './narrative-input.js';
import { DEFAULT_NARRATIVE_TEMPLATES, DEFAULT_NARRATIVE_USE_CASES, mergeFallbacks } from './templates.js';
import type {
  NarrativeFallbackReason,
  NarrativeGeneratorOptions,
  NarrativeKind,
  NarrativeRequest,
  NarrativeResult,
  NarrativeTemplate,
} from './types.js';

/** Defaults of {@link NarrativeGeneratorOptions}. */
export const DEFAULT_NARRATIVE_GENERATOR_OPTIONS: {
  readonly historyLimit: number;
  readonly maxTokens: number;
  readonly temperature: number;
} = Object.freeze({ historyLimit: 12, maxTokens: 200, temperature: 0.8 });

/**
 * Story and dialogue generation for game services: versioned prompt templates, the player id as
 * sticky key and the scene's conversation id for pinning during rollouts, output guardrails with the
 * request's rating profile, and authored fallback content (chosen deterministically) when the answer
 * has a critical violation or no model could answer.
 * @example
 * ```ts
 * const generator = new NarrativeGenerator({ llmClient, guardrailsMonitor });
 * const line = await generator.generate({ kind: 'dialogue', scene: { id: 'tavern', conversationId: 'c-1' },
 *   characters: [{ id: 'mara', name: 'Mara', role: 'innkeeper' }], player: { id: 'p-42' },
 *   tone: 'warm', rating: 'T', history: [] });
 * ```
 */
export class NarrativeGenerator {
  private readonly llm: NarrativeGeneratorOptions['llmClient'];
  private readonly guardrails: Pick<GuardrailsLike, 'check'> | undefined;
  private readonly templates: Record<NarrativeKind, NarrativeTemplate>;
  private readonly fallbacks: Record<NarrativeKind, readonly string[]>;
  private readonly useCases: Record<NarrativeKind, string>;
  private readonly o: typeof DEFAULT_NARRATIVE_GENERATOR_OPTIONS;

  private readonly inFlight = new InFlight('NarrativeGenerator');

  constructor(options: NarrativeGeneratorOptions) {
    resolveLogger(options?.logger); // validated here; narrative failures surface as errors to the caller
    if (typeof options?.llmClient?.generate !== 'function') {
      throw new ValidationError('Expected `llmClient` (an LLMClient with `generate()`)', {
        field: 'llmClient',
      });
    }
    if (options.guardrailsMonitor !== undefined && typeof options.guardrailsMonitor?.check !== 'function') {
      throw new ValidationError('Expected `guardrailsMonitor` to have a `check()` method', {
        field: 'guardrailsMonitor',
      });
    }
    this.llm = options.llmClient;
    this.guardrails = options.guardrailsMonitor;
    this.templates = { ...DEFAULT_NARRATIVE_TEMPLATES };
    for (const [k, t] of Object.entries(options.templates ?? {})) {
      if (t === undefined) continue;
      if (
        typeof t !== 'object' ||
        typeof t.version !== 'string' ||
        t.version === '' ||
        typeof t.system !== 'function' ||
        typeof t.user !== 'function'
      ) {
        throw new ValidationError(`Expected \`templates.${k}\` to be { version, system(), user() }`, {
          field: `templates.${k}`,
        });
      }
      this.templates[k as NarrativeKind] = t;
    }
    this.fallbacks = mergeFallbacks(options.fallbacks);
    for (const [k, lines] of Object.entries(this.fallbacks)) {
      if (
        !Array.isArray(lines) ||
        lines.length === 0 ||
        lines.some((l) => typeof l !== 'string' || l.trim() === '')
      ) {
        throw new ValidationError(
          `Expected \`fallbacks.${k}\` to be a non-empty array of non-empty strings`,
          {
            field: `fallbacks.${k}`,
          },
        );
      }
    }
    this.useCases = { ...DEFAULT_NARRATIVE_USE_CASES, ...stripUndefined(options.useCases ?? {}) };
    this.o = {
      ...DEFAULT_NARRATIVE_GENERATOR_OPTIONS,
      ...stripUndefined({
        historyLimit: options.historyLimit,
        maxTokens: options.maxTokens,
        temperature: options.temperature,
      }),
    };
    if (!Number.isInteger(this.o.historyLimit) || this.o.historyLimit < 0) {
      throw new ValidationError(
        `Expected \`historyLimit\` to be a non-negative integer, got ${this.o.historyLimit}`,
        { field: 'historyLimit' },
      );
    }
    if (!Number.isInteger(this.o.maxTokens) || this.o.maxTokens < 1) {
      throw new ValidationError(`Expected \`maxTokens\` to be a positive integer, got ${this.o.maxTokens}`, {
        field: 'maxTokens',
      });
    }
    if (typeof this.o.temperature !== 'number' || !(this.o.temperature >= 0 && this.o.temperature <= 2)) {
      throw new ValidationError(
        `Expected \`temperature\` to be a number from 0 to 2, got ${this.o.temperature}`,
        { field: 'temperature' },
      );
    }
  }

  /**
   * Generates one line, passage or quest text. Throws `ValidationError` for bad input; a provider
   * failure or an unsafe answer gives authored fallback content (`source: 'fallback'`) instead.
   */
  generate(request: NarrativeRequest): Promise<NarrativeResult> {
    return this.inFlight.run(() => this.generateOne(request));
  }

  /**
   * Refuses new requests and waits for the ones in flight. The LLM client and guardrails it was given
   * stay open (they belong to the caller). Idempotent.
   * @example
   * ```ts
   * await narrative.close();
   * ```
   */
  async close(): Promise<void> {
    await this.inFlight.close();
  }

  /** Same as {@link NarrativeGenerator.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async generateOne(request: NarrativeRequest): Promise<NarrativeResult> {
    validateNarrativeRequest(request);
    const t0 = performance.now();
    const template = this.templates[request.kind];
    const useCase = request.useCase ?? this.useCases[request.kind];
    const history = this.o.historyLimit === 0 ? [] : request.history.slice(-this.o.historyLimit);
    const context = {
      rating: request.rating,
      kind: request.kind,
      sceneId: request.scene.id,
      characterIds: request.characters.map((c) => c.id),
      templateVersion: template.version,
    };
    const base = { templateVersion: template.version, kind: request.kind, useCase };
    let r: Awaited<ReturnType<NarrativeGeneratorOptions['llmClient']['generate']>>;
    try {
      r = await this.llm.generate({
        useCase,
        messages: [
          { role: 'system', content: template.system(request) },
          { role: 'user', content: template.user(request, history) },
        ],
        context,
        stickyKey: request.player.id,
        playerId: request.player.id,
        conversationId: request.scene.conversationId,
        maxTokens: this.o.maxTokens,
        temperature: this.o.temperature,
        signal: request.signal,
        metadata: { templateVersion: template.version, kind: request.kind },
      });
    } catch (error) {
      if (!(error instanceof ProviderError)) throw error;
      return this.fallback(request, base, 'provider_error', [], null, t0);
    }
    const violations: GuardrailViolation[] = [...(r.guardrails?.violations ?? [])];
    const ids = { modelId: r.modelId, deploymentId: r.deploymentId, logId: r.logId };
    if (r.source === 'fallback_content') {
      const critical = violations.some((v) => v.severity === 'critical');
      return this.fallback(request, base, critical ? 'critical_violation' : 'blocked', violations, ids, t0);
    }
    let text = r.text;
    if (this.guardrails) {
      const v = await this.guardrails.check({
        text,
        stage: 'output',
        useCase,
        modelId: r.modelId ?? undefined,
        context,
      });
      violations.push(...v.violations);
      if (!v.allowed || v.fallbackUsed || v.violations.some((x) => x.severity === 'critical')) {
        const critical = v.violations.some((x) => x.severity === 'critical');
        return this.fallback(request, base, critical ? 'critical_violation' : 'blocked', violations, ids, t0);
      }
      text = v.text;
    }
    return {
      ...base,
      ...ids,
      text,
      source: 'model',
      violations,
      fallbackReason: null,
      latencyMs: performance.now() - t0,
    };
  }

  /** The authored fallback line for a request (deterministic: same player, scene and turn → same line). */
  fallbackFor(request: NarrativeRequest): string {
    validateNarrativeRequest(request);
    const lines = this.fallbacks[request.kind];
    const i = bucketOf(
      request.kind,
      `${request.player.id}|${request.scene.id}|${request.history.length}`,
      lines.length,
    );
    const character = request.characters[0]?.name ?? 'The stranger';
    return lines[i]!.replaceAll('{character}', character)
      .replaceAll('{player}', request.player.name ?? 'traveller')
      .replaceAll('{location}', request.scene.location ?? 'this place');
  }

  private fallback(
    request: NarrativeRequest,
    base: Pick<NarrativeResult, 'templateVersion' | 'kind' | 'useCase'>,
    reason: NarrativeFallbackReason,
    violations: GuardrailViolation[],
    ids: Pick<NarrativeResult, 'modelId' | 'deploymentId' | 'logId'> | null,
    t0: number,
  ): NarrativeResult {
    return {
      ...base,
      modelId: ids?.modelId ?? null,
      deploymentId: ids?.deploymentId ?? null,
      logId: ids?.logId ?? null,
      text: this.fallbackFor(request),
      source: 'fallback',
      violations,
      fallbackReason: reason,
      latencyMs: performance.now() - t0,
    };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
