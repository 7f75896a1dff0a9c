import type { Clock } from '../internal/clock.js';
import type { TimelineEntry, TimelinePhase } from './types.js';

/** Collects timeline entries and reports each as it is written. @internal */
export class Timeline {
  readonly startedAt: number;
  private readonly list: TimelineEntry[] = [];
  private deploymentId: string | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly onEntry: (entry: TimelineEntry, deploymentId: string | null) => void,
  ) {
    this.startedAt = clock.now();
  }

  bind(deploymentId: string): void {
    this.deploymentId = deploymentId;
  }

  add(phase: TimelinePhase, message: string, ok = true): void {
    const at = this.clock.now();
    const entry: TimelineEntry = { at, elapsedMs: at - this.startedAt, phase, message, ok };
    this.list.push(entry);
    this.onEntry(entry, this.deploymentId);
  }

  elapsed(): number {
    return this.clock.now() - this.startedAt;
  }

  entries(): readonly TimelineEntry[] {
    return [...this.list];
  }
}

/** Renders a timeline as aligned text lines (`+12.0s  phase  message`). */
export function formatTimeline(entries: readonly TimelineEntry[]): string {
  return entries
    .map(
      (e) =>
        `${`+${(e.elapsedMs / 1000).toFixed(1)}s`.padStart(9)}  ${e.ok ? ' ' : '!'} ${e.phase.padEnd(10)} ${e.message}`,
    )
    .join('\n');
}
