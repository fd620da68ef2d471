import type { InfraSetRecord, InfraSetStore } from '../../ports/infra-set-store.js';
import type { DbOrTx } from '../db.js';
import { getInfraSet, infraSetsOf, recordWeights, retireInfraSets, warmInfraSets } from './drizzle-release-repo.js';

/** The infra_sets table over drizzle. */
export class DrizzleInfraSetStore implements InfraSetStore {
  constructor(private readonly db: DbOrTx) {}

  get(id: string): Promise<InfraSetRecord | undefined> {
    return getInfraSet(this.db, id);
  }

  of(service: string, environment: string): Promise<InfraSetRecord[]> {
    return infraSetsOf(this.db, service, environment);
  }

  warm(service: string, environment: string): Promise<InfraSetRecord[]> {
    return warmInfraSets(this.db, service, environment);
  }

  async recordWeights(change: { service: string; environment: string; weights: Record<string, number>; now: Date }): Promise<void> {
    await recordWeights(this.db, { ...change, discard: [] });
  }

  retire(ids: readonly string[], now: Date): Promise<void> {
    return retireInfraSets(this.db, ids, now);
  }
}
