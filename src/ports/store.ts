import type { EnvironmentStore } from './environment-store.js';
import type { InfraSetStore } from './infra-set-store.js';
import type { Outbox } from './outbox.js';
import type { ReleaseCards } from './release-cards.js';
import type { ReleaseStore } from './release-store.js';
import type { VersionSetStore } from './version-set-store.js';

/** The stores one unit of work speaks to. */
export interface Stores {
  releases: ReleaseStore;
  environments: EnvironmentStore;
  infraSets: InfraSetStore;
  versionSets: VersionSetStore;
  cards: ReleaseCards;
  outbox: Outbox;
}

/**
 * The engine's storage: each store on its own (every call its own statement), or all of them in one
 * transaction — what `work` writes through `tx` commits together or not at all.
 */
export interface Store extends Stores {
  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T>;
}
