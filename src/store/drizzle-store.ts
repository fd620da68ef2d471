import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { Store, Stores } from '../ports/store.js';
import type { Db, DbOrTx } from './db.js';
import { DrizzleEnvironmentStore } from './repos/drizzle-environment-store.js';
import { DrizzleInfraSetStore } from './repos/drizzle-infra-set-store.js';
import { DrizzleOutbox } from './repos/drizzle-outbox.js';
import { DrizzleReleaseCards } from './repos/drizzle-release-cards.js';
import { DrizzleReleaseStore } from './repos/drizzle-release-store.js';
import { DrizzleVersionSetStore } from './repos/drizzle-version-set-store.js';

function storesOver(db: DbOrTx, config: DeliveryConfig): Stores {
  return {
    releases: new DrizzleReleaseStore(db, config),
    environments: new DrizzleEnvironmentStore(db),
    infraSets: new DrizzleInfraSetStore(db),
    versionSets: new DrizzleVersionSetStore(db),
    cards: new DrizzleReleaseCards(db, config),
    outbox: new DrizzleOutbox(db),
  };
}

/** The engine's stores over one drizzle database (PGlite or Postgres); a transaction hands out the same stores over it. */
export class DrizzleStore implements Store {
  readonly releases: Stores['releases'];
  readonly environments: Stores['environments'];
  readonly infraSets: Stores['infraSets'];
  readonly versionSets: Stores['versionSets'];
  readonly cards: Stores['cards'];
  readonly outbox: Stores['outbox'];

  constructor(
    private readonly db: Db,
    private readonly config: DeliveryConfig,
  ) {
    const stores = storesOver(db, config);
    this.releases = stores.releases;
    this.environments = stores.environments;
    this.infraSets = stores.infraSets;
    this.versionSets = stores.versionSets;
    this.cards = stores.cards;
    this.outbox = stores.outbox;
  }

  transaction<T>(work: (tx: Stores) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(storesOver(tx, this.config)));
  }
}
