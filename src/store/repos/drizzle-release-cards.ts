import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { CardPosition, CardSnapshot, ReleaseCards } from '../../ports/release-cards.js';
import type { DbOrTx } from '../db.js';
import { drainingInfraSets, getCard, saveCard } from './drizzle-release-repo.js';
import { DrizzleReleaseStore } from './drizzle-release-store.js';

/** Where each release's card lives, and the read model a card render draws from. */
export class DrizzleReleaseCards implements ReleaseCards {
  private readonly releases: DrizzleReleaseStore;

  constructor(
    private readonly db: DbOrTx,
    config: DeliveryConfig,
  ) {
    this.releases = new DrizzleReleaseStore(db, config);
  }

  async snapshot(releaseId: string, now: Date): Promise<CardSnapshot | undefined> {
    const read = await this.releases.getWithWorld(releaseId, now);
    if (!read) return undefined;
    const { row: release, world } = read;
    const draining = await drainingInfraSets(this.db, releaseId);
    const position = await this.position(releaseId);
    return { release, world: release.state.phase.kind === 'finished' ? null : world, draining, position };
  }

  async position(releaseId: string): Promise<CardPosition | undefined> {
    const row = await getCard(this.db, releaseId);
    return row ? { releaseId: row.releaseId, channel: row.channel, ts: row.ts, renderedVersion: row.renderedVersion } : undefined;
  }

  saved(position: CardPosition, now: Date): Promise<void> {
    return saveCard(this.db, { ...position, now });
  }
}
