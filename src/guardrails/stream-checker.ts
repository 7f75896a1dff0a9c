/**
 * Incremental checking of streamed model output.
 * @module
 */
import type { BuiltinChecks } from './builtin-checks.js';
import { actionFor, type PolicyTable } from './policy.js';
import type { CheckInput, CheckResult, Finding, GuardrailAction } from './types.js';

/** Request fields of a stream (everything of {@link CheckInput} except the text). */
export type StreamCheckerContext = Partial<Omit<CheckInput, 'text'>>;

/** Answer to one chunk. */
export interface StreamDecision {
  /** `stop` as soon as a critical violation (or any `block`) has appeared; stays `stop` afterwards. */
  readonly action: 'continue' | 'stop';
  /** New findings this chunk revealed (spans in the whole streamed text). */
  readonly violations: ReadonlyArray<Finding & { readonly action: GuardrailAction }>;
}

/**
 * Checks chunks as they arrive. Each chunk is scanned together with the tail of the text before it,
 * so a term split across chunks is found; work per chunk is bounded by the chunk plus the overlap.
 * @example
 * ```ts
 * const sc = guardrails.createStreamChecker({ useCase: 'interaction_layer' });
 * for await (const chunk of stream) if (sc.push(chunk).action === 'stop') break;
 * const final = await sc.end();
 * ```
 */
export class StreamChecker {
  private text = '';
  private stopped = false;
  private readonly seen = new Set<string>();
  private readonly overlap: number;

  constructor(
    private readonly builtins: BuiltinChecks,
    private readonly table: PolicyTable,
    private readonly context: StreamCheckerContext & { stage: 'input' | 'output' },
    private readonly finalCheck: (text: string) => Promise<CheckResult>,
  ) {
    this.overlap = Math.max(256, builtins.matcher.maxTermLength * 8);
  }

  /** The text received so far. */
  get received(): string {
    return this.text;
  }

  /** Adds a chunk and reports what it revealed. */
  push(chunk: string): StreamDecision {
    if (typeof chunk !== 'string') throw new TypeError(`Expected chunk to be a string, got ${typeof chunk}`);
    const windowStart = Math.max(0, this.text.length - this.overlap);
    const newFrom = this.text.length;
    this.text += chunk;
    if (this.stopped) return { action: 'stop', violations: [] };
    const found: Finding[] = [];
    this.builtins.run(this.text.slice(windowStart), this.context.stage, this.context.context, found);
    const fresh: Array<Finding & { action: GuardrailAction }> = [];
    for (const f of found) {
      if (!f.span) continue;
      const span = { start: f.span.start + windowStart, end: f.span.end + windowStart };
      if (span.end <= newFrom) continue;
      const key = `${f.checkId}:${f.category}:${span.start}`;
      if (this.seen.has(key)) continue;
      this.seen.add(key);
      const action = actionFor(this.table, f.category, f.severity);
      if (action === 'allow') continue;
      fresh.push({ ...f, span, action });
      if (f.severity === 'critical' || action === 'block') this.stopped = true;
    }
    return { action: this.stopped ? 'stop' : 'continue', violations: fresh };
  }

  /** Runs the full check (every check, fallback included) on the whole streamed text. */
  end(): Promise<CheckResult> {
    return this.finalCheck(this.text);
  }
}
