import type { DeliveryConfig } from '../config/delivery-schema.js';
import { currentStep } from '../domain/release/cursor.js';
import { LINE_STOP_ENVIRONMENT } from '../domain/release/line-stop.js';
import { worldFacts } from '../domain/release/world.js';
import type { DeliveryStatus, FreezeStatus } from '../ports/delivery-status.js';
import type { Store } from '../ports/store.js';

/** Freezes and canary health as the merge queue and App Home ask for them. */
export class StoredDeliveryStatus implements DeliveryStatus {
  constructor(
    private readonly store: Store,
    private readonly config: DeliveryConfig,
  ) {}

  async freezeOf(environment: string, at: Date): Promise<FreezeStatus> {
    const facts = worldFacts(this.config, await this.store.releases.world({ environments: [environment] }, at), [environment], at);
    const freeze = facts.environments[environment]?.freeze;
    if (!freeze || !freeze.frozen) return { frozen: false };
    return { frozen: true, reason: freeze.reason, until: freeze.until ? new Date(freeze.until) : null };
  }

  async lineStop(at: Date): Promise<FreezeStatus> {
    const [stop] = await this.store.environments.freezes(at, LINE_STOP_ENVIRONMENT);
    return stop ? { frozen: true, reason: stop.reason, until: null } : { frozen: false };
  }

  /** Canaries failing health (a fail not yet enough to roll back), held for a human, or rolling back. */
  async unhealthyCanaries(): Promise<Array<{ releaseId: string; service: string; environment: string }>> {
    const rows = await this.store.releases.active();
    const unhealthy: Array<{ releaseId: string; service: string; environment: string }> = [];
    for (const row of rows) {
      const phase = row.state.phase;
      const step = currentStep(row.state);
      if (!step) continue;
      const bad = phase.kind === 'rolling_back' || (phase.kind === 'baking' && (phase.consecutiveFails > 0 || phase.askedHuman));
      if (bad) unhealthy.push({ releaseId: row.id, service: step.service, environment: step.environment });
    }
    return unhealthy;
  }
}
