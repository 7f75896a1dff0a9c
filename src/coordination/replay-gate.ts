/**
 * The replay pre-flight gate of `coordinateModelDeployment` (`preflight: { replay: { sample: 500 } }`):
 * historic prompts replayed to the candidate before any deployment exists; a failing paired verdict
 * (or no reusable history) stops the coordination with status `failed`.
 * @module
 */
import type { DeploymentManager, ReplayComparison } from '../deployment/index.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Timeline } from './timeline.js';

/** Settings of the replay gate. */
export interface PreflightReplay {
  /** Prompts to replay. @default 500 */
  sample?: number;
  /** Start of the history range. @default 7 days before `to` */
  from?: Date;
  /** End of the history range. @default now */
  to?: Date;
  /** Candidate calls in flight at most. @default 8 */
  concurrency?: number;
}

/** Checks run before a deployment starts, besides the smoke suite and validator. */
export interface PreflightOptions {
  /** Replay historic prompts to the candidate and compare pair by pair with the current model's answers. */
  replay?: PreflightReplay;
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/** Runs the gate; `failure` says why the candidate must not be deployed. @internal */
export async function replayGate(
  tl: Timeline,
  dm: { replay?: DeploymentManager['replay'] },
  now: number,
  useCase: string,
  candidateModelId: string,
  settings: PreflightReplay,
  actor: string,
): Promise<{ replay: ReplayComparison | null; failure: string | null }> {
  if (typeof settings !== 'object' || settings === null)
    throw new ValidationError('Expected `preflight.replay` to be an object such as { sample: 500 }', {
      field: 'preflight.replay',
    });
  if (!dm.replay)
    throw new ValidationError('`preflight.replay` needs a deploymentManager with `replay()`', {
      field: 'preflight.replay',
    });
  const to = settings.to ?? new Date(now);
  const from = settings.from ?? new Date(to.getTime() - WEEK_MS);
  let replay: ReplayComparison;
  try {
    replay = await dm.replay({
      useCase,
      candidateModelId,
      from,
      to,
      actor,
      ...(settings.sample !== undefined ? { sample: settings.sample } : {}),
      ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    });
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    tl.add('smoke', `Replay gate: ${error.message}`, false);
    return { replay: null, failure: `Replay gate could not run: ${error.message}` };
  }
  const v = replay.verdict;
  tl.add(
    'smoke',
    `Replay of ${replay.pairs} historic prompts (${replay.id}): ${v.verdict} — ${v.reason}`,
    v.verdict !== 'fail',
  );
  return {
    replay,
    failure: v.verdict === 'fail' ? `Replay gate failed before any traffic: ${v.reason}` : null,
  };
}
