import type { Database } from '../db/index.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import type { DeploymentPatch, DeploymentStore } from './deployment-store.js';
import { DEPLOYMENTS_TOPIC, type TrafficRouter } from './traffic-router.js';
import { canTransition, type Deployment } from './types.js';

/** What a transition wants: the patch and who asked; `null` = nothing to do. */
export type TransitionDecision = { patch: DeploymentPatch; actor: string } | null;

const MAX_ATTEMPTS = 10;

/**
 * Applies state-machine transitions with compare-and-set retries, then publishes the change so every
 * replica's router follows, and refreshes the local router at once.
 * @internal
 */
export class DeploymentWriter {
  constructor(
    readonly store: DeploymentStore,
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly router: TrafficRouter | undefined,
  ) {}

  /**
   * Re-reads the deployment, asks `decide` what to do, checks the transition is legal and writes it.
   * Retries when another writer changed the row in between.
   */
  async update(id: string, decide: (d: Deployment) => TransitionDecision): Promise<Deployment> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.store.get(id);
      if (!current) throw new NotFoundError(`No deployment with id '${id}'`, { details: { id } });
      const decision = decide(current);
      if (decision === null) return current;
      const to = decision.patch.status;
      if (to !== undefined && to !== current.status && !canTransition(current.status, to)) {
        throw new ConflictError(`Deployment ${id} is '${current.status}' and cannot become '${to}'`, {
          details: { id, from: current.status, to },
        });
      }
      const next = await this.store.transition(
        current,
        decision.patch,
        decision.actor,
        new Date(this.clock.now()),
      );
      if (next) {
        await this.published(next);
        return next;
      }
    }
    throw new ConflictError(`Deployment ${id} kept changing under us; retry the call`, {
      retryable: true,
      details: { id },
    });
  }

  /** Publishes a committed change and refreshes the local router. */
  async published(d: Deployment): Promise<void> {
    await this.db.changes.publish(DEPLOYMENTS_TOPIC, d.useCase);
    await this.router?.refresh();
  }
}
