import { ValidationError } from '../errors.js';
import { DEFAULT_SMOKE_SUITE, runSmokeSuite, type SmokeProbe, type SmokeReport } from './smoke.js';
import type { Timeline } from './timeline.js';
import type { ServiceCoordinatorOptions } from './types.js';

/** What the checks before a deployment need. @internal */
export type PreflightSettings = Pick<ServiceCoordinatorOptions, 'registry' | 'smokeSuite' | 'validate'> & {
  probe: SmokeProbe | undefined;
  smokeMinPassRate: number;
};

/**
 * Smoke suite and host validator, run before any deployment exists (so no player can be routed to the
 * candidate). Returns the smoke report and, when the candidate must not be deployed, why. @internal
 */
export async function preflight(
  tl: Timeline,
  o: PreflightSettings,
  useCase: string,
  newModelId: string,
  onSmoke: (report: SmokeReport) => void,
): Promise<{ smoke: SmokeReport | null; failure: string | null }> {
  if (!o.probe && !o.validate) {
    tl.add('note', 'No llmClient, probe or validate configured: smoke suite skipped');
    return { smoke: null, failure: null };
  }
  if (!o.registry) {
    tl.add('note', 'Smoke suite skipped: pass `registry` so the candidate can be read and called');
    return { smoke: null, failure: null };
  }
  const model = await o.registry.getModel(newModelId);
  if (model.useCase !== useCase) {
    throw new ValidationError(`Model '${newModelId}' serves use case '${model.useCase}', not '${useCase}'`, {
      field: 'newModelId',
    });
  }
  let smoke: SmokeReport | null = null;
  if (o.probe) {
    smoke = await runSmokeSuite(model, o.smokeSuite ?? DEFAULT_SMOKE_SUITE, o.probe, o.smokeMinPassRate);
    onSmoke(smoke);
    for (const c of smoke.cases) {
      tl.add('smoke', `${c.name}: ${c.ok ? 'ok' : c.reason} (${c.latencyMs.toFixed(1)} ms)`, c.ok);
    }
    if (!smoke.ok) {
      const why = smoke.cases.find((c) => !c.ok)?.reason ?? 'unknown';
      return {
        smoke,
        failure: `Smoke suite failed before any traffic: ${smoke.passed}/${smoke.total} passed (${why})`,
      };
    }
  }
  if (o.validate) {
    let ok = false;
    let why = 'validator returned false';
    try {
      const r = await o.validate(model);
      ok = typeof r === 'boolean' ? r : !!r?.ok;
      if (typeof r === 'object' && r?.reason) why = r.reason;
    } catch (error) {
      why = `validator threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    tl.add('smoke', ok ? 'Host validator passed' : `Host validator failed: ${why}`, ok);
    if (!ok) return { smoke, failure: `Validation failed before any traffic: ${why}` };
  }
  return { smoke, failure: null };
}
