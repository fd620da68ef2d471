import type { DoraReleaseHistory } from '../domain/dora/dora-metrics.js';
import type { QueueSnapshot } from './merge-queue-store.js';
import type { ReleaseRecord, WorldRecords } from './release-store.js';

/** What one read for App Home covers. */
export interface HomeScope {
  /** The environments whose serving sets the releases' views show. */
  environments: readonly string[];
  /** Whether to read the merge queue (only when it is on). */
  mergeQueue: boolean;
  /** The delivery history the DORA figures need: releases through `production` changed since `since`. */
  history: { production: string; since: Date };
}

/** Everything an App Home shows, as stored, read at one instant. */
export interface HomeRecords {
  /** Releases not finished, oldest first. */
  active: ReleaseRecord[];
  /** Ad-hoc freezes in force (the line stop among them), locks, and what serves in the scope's environments. */
  world: WorldRecords;
  /** Each merge queue with its active entries and recent cycles; null when the scope leaves the queue out. */
  queues: QueueSnapshot[] | null;
  /** Oldest first, as DeliveryHistory answers it. */
  history: DoraReleaseHistory[];
}

/**
 * App Home's read model: what every Home shows, read at once (DrizzleHomeReadModel: one statement),
 * however many Homes are published from it, so all of them show the same instant.
 */
export interface HomeReadModel {
  read(scope: HomeScope, now: Date): Promise<HomeRecords>;
}
