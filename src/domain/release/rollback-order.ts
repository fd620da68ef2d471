import type { ReleaseState, RollbackMove } from './types.js';

export interface EnvironmentRollback {
  environment: string;
  moves: RollbackMove[];
}

/**
 * The one rollback order, used both to roll back and to show it on the card, so they never
 * disagree. A release that fails leaves nothing of its version set half-shipped: every service it
 * moved in every environment of its path returns to the infra-set that served before the release
 * moved it. The latest environment goes first (the current one, or a later one whose canary a
 * supersede left in place), then the earlier ones; within an environment, consumers before their
 * providers (reverse dependency order, planned up front).
 *
 * `onlyMoved`: only what the release actually moved (what a rollback starting now does); otherwise
 * every planned change (what a failure after the last step would do).
 */
export function rollbackOrder(state: ReleaseState, options: { onlyMoved: boolean }): EnvironmentRollback[] {
  const order: EnvironmentRollback[] = [];
  for (const environment of [...state.plan.path].reverse()) {
    const envPlan = state.plan.environments.find((plan) => plan.environment === environment);
    if (!envPlan) continue;
    const moves: RollbackMove[] = [];
    for (const entry of envPlan.rollbackOrder) {
      const moved = state.moved.find((candidate) => candidate.environment === environment && candidate.service === entry.service);
      if (!moved && options.onlyMoved) continue;
      const before = moved && moved.fromInfraSetId !== undefined ? { toInfraSetId: moved.fromInfraSetId, toVersion: moved.fromVersion ?? null } : { toInfraSetId: entry.toInfraSetId, toVersion: entry.toVersion };
      moves.push({ environment, service: entry.service, ...before });
    }
    if (moves.length > 0 || !options.onlyMoved) order.push({ environment, moves });
  }
  return order;
}
