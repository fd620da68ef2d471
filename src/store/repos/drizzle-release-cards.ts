import type { DeliveryConfig } from '../../config/delivery-schema.js';
import { servicesConcerned } from '../../domain/release/world.js';
import type { CardPosition, CardSnapshot, ReleaseCards } from '../../ports/release-cards.js';
import type { DbOrTx } from '../db.js';
import { drainingInfraSets, getCard, getRelease, saveCard } from './drizzle-release-repo.js';
import { DrizzleReleaseStore } from './drizzle-release-store.js';

/** Where each release's card lives, and the read model a card render draws from. */
export class DrizzleReleaseCards implements ReleaseCards {
  constructor(
    private readonly db: DbOrTx,
    private readonly config: DeliveryConfig,
  ) {}

  async snapshot(releaseId: string, now: Date): Promise<CardSnapshot | undefined> {
    const release = await getRelease(this.db, releaseId);
    if (!release) return undefined;
    const finished = release.state.phase.kind === 'finished';
    const world = finished ? null : await new DrizzleReleaseStore(this.db, this.config).world({ environments: release.state.plan.path, services: servicesConcerned(this.config, release.state) }, now);
    const draining = await drainingInfraSets(this.db, releaseId);
    const position = await this.position(releaseId);
    return { release, world, draining, position };
  }

  async position(releaseId: string): Promise<CardPosition | undefined> {
    const row = await getCard(this.db, releaseId);
    return row ? { releaseId: row.releaseId, channel: row.channel, ts: row.ts, renderedVersion: row.renderedVersion } : undefined;
  }

  saved(position: CardPosition, now: Date): Promise<void> {
    return saveCard(this.db, { ...position, now });
  }
}
