import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { frozenAt, windowStatus } from '../windows/window-status.js';
import type { EnvironmentFacts, WorldFacts } from './gates.js';
import { LINE_STOP_ENVIRONMENT } from './line-stop.js';
import type { ServingMap } from './plan.js';
import type { ReleaseState } from './types.js';

/** The environment-wide facts as stored: ad-hoc freezes in force, locks, and what serves where. */
export interface StoredWorld {
  freezes: ReadonlyArray<{ environment: string; reason: string; until: Date | null }>;
  locks: ReadonlyArray<{ environment: string; holder: string; reason: string | null }>;
  serving: ServingMap;
}

/** What the gates need to know of the world at `now`: the stored facts with the config's windows and scheduled freezes. */
export function worldFacts(config: DeliveryConfig, stored: StoredWorld, environmentNames: readonly string[], now: Date): WorldFacts {
  const environments: Record<string, EnvironmentFacts> = {};
  for (const name of environmentNames) {
    const envConfig = config.environments[name];
    if (!envConfig) continue;
    const window = windowStatus(envConfig.windows, now);
    const scheduled = frozenAt(envConfig.freezes, now);
    // A stopped line freezes every environment, and says so before any freeze of the environment's own.
    const manual = stored.freezes.find((freeze) => freeze.environment === LINE_STOP_ENVIRONMENT) ?? stored.freezes.find((freeze) => freeze.environment === name);
    const lock = stored.locks.find((row) => row.environment === name);
    environments[name] = {
      window: window.open
        ? { open: true, closesAt: window.closesAt?.toISOString() ?? null }
        : { open: false, reopensAt: window.reopensAt?.toISOString() ?? null, reason: window.reason },
      freeze: manual
        ? { frozen: true, reason: manual.reason, until: manual.until?.toISOString() ?? null }
        : scheduled.frozen
          ? { frozen: true, reason: scheduled.reason, until: scheduled.until.toISOString() }
          : { frozen: false },
      lock: lock ? { holder: lock.holder, reason: lock.reason } : null,
    };
  }
  return { environments, serving: stored.serving };
}

/** The services a release's gates look at: those it ships and the providers they depend on. */
export function servicesConcerned(config: DeliveryConfig, state: ReleaseState): string[] {
  const services = new Set(Object.keys(state.plan.versions));
  for (const service of [...services]) {
    for (const dependency of config.services[service]?.dependsOn ?? []) services.add(dependency.service);
  }
  return [...services];
}

/** What a release's gates look at: its path, the services it ships and their providers (the world read's scope). */
export function releaseScope(config: DeliveryConfig, state: ReleaseState): { environments: readonly string[]; services: string[] } {
  return { environments: state.plan.path, services: servicesConcerned(config, state) };
}
