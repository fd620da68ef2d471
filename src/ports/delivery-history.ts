import type { DoraReleaseHistory } from '../domain/dora/dora-metrics.js';

/** What the DORA figures are computed from: releases that touched production, with their events. */
export interface DeliveryHistory {
  /** Releases whose path ends in (or passes) `production` and that changed since `since`. */
  productionHistory(production: string, since: Date): Promise<DoraReleaseHistory[]>;
}
