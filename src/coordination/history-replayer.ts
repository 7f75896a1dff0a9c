/**
 * The SDK's {@link ReplayPort}: reads historic prompts through the history part's public `query()` and
 * sends them to the candidate through the LLM client's `probe()` (no routing, no player traffic). It
 * lives here, above both, because the deployment part may not depend on the LLM client.
 *
 * Which rows may be reused: only rows the current model answered in the range, whose stored text is
 * the text that was served — not `blocked` (the prompt or answer was refused), not truncated, not
 * marked `[redaction failed]` — and that were player traffic (no smoke, probe, replay or shadow rows).
 * The prompt is the stored one, i.e. after the history's `redact` hook: redacted text stays redacted.
 * A host can exclude a row by logging it with `metadata.reuse = false`.
 * @module
 */

import type { ArmOutcome, ReplayedPair, ReplayPort, ReplayRequest } from '../deployment/index.js';
import { ValidationError } from '../errors.js';
import type { InferenceLogRecord, LogQuery } from '../history/index.js';
import type { LLMClient } from '../llm/index.js';

/** What the replayer needs: the history's query API and the LLM client's probe. */
export interface HistoryReplayerOptions {
  history: {
    /** One page of log entries, newest first (`HistoricalLogProcessor.query`). */
    query(q: LogQuery): Promise<{ items: InferenceLogRecord[]; nextCursor: string | null }>;
  };
  llm: Pick<LLMClient, 'probe'>;
  /** Budget of one candidate call. @default the client's `requestTimeoutMs` */
  timeoutMs?: number;
  /** Seed of the uniform sample (same seed, same rows). @default random */
  seed?: number;
  /** Most rows read from the range (the sample is drawn from these). @default 200 000 */
  maxScan?: number;
}

/**
 * Builds the replayer `DeploymentManager` uses for `replay()`.
 * @example
 * ```ts
 * const deploymentManager = new DeploymentManager({ db, registry, replayer: createHistoryReplayer({ history, llm }) });
 * ```
 */
export function createHistoryReplayer(options: HistoryReplayerOptions): ReplayPort {
  return async (r: ReplayRequest) => {
    const { rows, scanned, skipped } = await sampleRows(options, r);
    const pairs: ReplayedPair[] = new Array(rows.length);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        r.signal?.throwIfAborted();
        const i = next++;
        const row = rows[i]!;
        pairs[i] = { stable: stableOutcome(row), candidate: await candidateOutcome(options, r, row) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(r.concurrency, rows.length) }, worker));
    return { pairs, scanned, skipped };
  };
}

/** A uniform sample (reservoir) of the reusable rows of the stable model in the range. */
async function sampleRows(
  o: HistoryReplayerOptions,
  r: ReplayRequest,
): Promise<{ rows: InferenceLogRecord[]; scanned: number; skipped: number }> {
  const random = mulberry32(o.seed ?? Math.floor(Math.random() * 2 ** 32));
  const maxScan = o.maxScan ?? 200_000;
  const rows: InferenceLogRecord[] = [];
  let scanned = 0;
  let skipped = 0;
  let usable = 0;
  let cursor: string | undefined;
  do {
    r.signal?.throwIfAborted();
    const page = await o.history.query({
      useCase: r.useCase,
      modelId: r.stableModel.id,
      from: r.from,
      to: r.to,
      limit: 1000,
      ...(cursor ? { cursor } : {}),
    });
    for (const row of page.items) {
      scanned++;
      if (!reusable(row)) {
        skipped++;
        continue;
      }
      usable++;
      if (rows.length < r.sample) rows.push(row);
      else {
        const j = Math.floor(random() * usable);
        if (j < r.sample) rows[j] = row;
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor && scanned < maxScan);
  rows.sort((a, b) => (a.id < b.id ? -1 : 1)); // oldest first, as they were served
  return { rows, scanned, skipped };
}

/** True when the stored prompt of `row` may be sent again (see the module description). */
export function reusable(row: InferenceLogRecord): boolean {
  if (row.status === 'blocked' || row.truncated || row.variant === 'shadow') return false;
  if (row.prompt === '' || row.prompt.includes('[redaction failed]')) return false;
  const m = (row.metadata ?? {}) as Record<string, unknown>;
  return !(m['smoke'] || m['probe'] || m['replay'] || m['shadow'] || m['reuse'] === false);
}

function stableOutcome(row: InferenceLogRecord): ArmOutcome {
  return {
    ok: row.status !== 'error',
    latencyMs: row.latencyMs ?? 0,
    violations: row.violationCount,
    criticalViolations: row.maxSeverity === 'critical' ? 1 : 0,
    fallback: row.status === 'fallback',
  };
}

async function candidateOutcome(
  o: HistoryReplayerOptions,
  r: ReplayRequest,
  row: InferenceLogRecord,
): Promise<ArmOutcome> {
  const t0 = performance.now();
  try {
    const res = await o.llm.probe(r.candidateModel, {
      prompt: row.prompt,
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(r.signal ? { signal: r.signal } : {}),
      metadata: { replay: true, replayOf: row.id },
    });
    const v = res.guardrails?.violations ?? [];
    return {
      ok: true,
      latencyMs: res.latencyMs,
      violations: v.length,
      criticalViolations: v.filter((x) => x.severity === 'critical').length,
      fallback: res.guardrails !== undefined && (!res.guardrails.allowed || res.guardrails.fallbackUsed),
    };
  } catch (error) {
    if (r.signal?.aborted) throw r.signal.reason;
    if (error instanceof ValidationError) throw error;
    return {
      ok: false,
      latencyMs: performance.now() - t0,
      violations: 0,
      criticalViolations: 0,
      fallback: false,
    };
  }
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
