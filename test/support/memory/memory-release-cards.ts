import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import { servicesConcerned } from '../../../src/domain/release/world.js';
import type { CardPosition, CardSnapshot, ReleaseCards } from '../../../src/ports/release-cards.js';
import { drainingInfraSets } from './memory-infra-set-store.js';
import { worldIn } from './memory-release-store.js';
import { releaseCopy, type MemoryTables, type Unit } from './memory-tables.js';

/** Where each release's card lives, and what a card render reads, in memory. */
export class MemoryReleaseCards implements ReleaseCards {
  constructor(
    private readonly unit: Unit,
    private readonly config: DeliveryConfig,
  ) {}

  async snapshot(releaseId: string, now: Date): Promise<CardSnapshot | undefined> {
    return this.unit.read((tables) => {
      const release = tables.releases.get(releaseId);
      if (!release) return undefined;
      const finished = release.state.phase.kind === 'finished';
      const world = finished ? null : worldIn(tables, { environments: release.state.plan.path, services: servicesConcerned(this.config, release.state) }, now);
      return { release: releaseCopy(release), world, draining: drainingInfraSets(tables, releaseId), position: positionIn(tables, releaseId) };
    });
  }

  async position(releaseId: string): Promise<CardPosition | undefined> {
    return this.unit.read((tables) => positionIn(tables, releaseId));
  }

  async saved(position: CardPosition, now: Date): Promise<void> {
    await this.unit.write((tables) => {
      const shown = tables.cards.get(position.releaseId);
      // A render of an older version never lowers what the card is known to show.
      tables.cards.set(position.releaseId, { ...position, renderedVersion: Math.max(shown?.renderedVersion ?? position.renderedVersion, position.renderedVersion), updatedAt: now });
    });
  }
}

function positionIn(tables: MemoryTables, releaseId: string): CardPosition | undefined {
  const card = tables.cards.get(releaseId);
  return card ? { releaseId: card.releaseId, channel: card.channel, ts: card.ts, renderedVersion: card.renderedVersion } : undefined;
}
