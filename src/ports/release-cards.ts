import type { InfraSetRecord } from './infra-set-store.js';
import type { ReleaseRecord, WorldRecords } from './release-store.js';

/** Where a release's Slack card lives, so it is updated in place. */
export interface CardPosition {
  releaseId: string;
  channel: string;
  ts: string;
  /** The release version the card last showed. */
  renderedVersion: number;
}

/** What drawing one release's card reads: the release, the facts its gates show, its draining sets and where the card is. */
export interface CardSnapshot {
  release: ReleaseRecord;
  /** Null for a finished release: its gates are no longer shown. */
  world: WorldRecords | null;
  draining: InfraSetRecord[];
  position: CardPosition | undefined;
}

export interface ReleaseCards {
  /** Everything a card render reads, or undefined for no such release. */
  snapshot(releaseId: string, now: Date): Promise<CardSnapshot | undefined>;
  position(releaseId: string): Promise<CardPosition | undefined>;
  /** Where the card is and what it showed (a render of an older version never lowers `renderedVersion`). */
  saved(position: CardPosition, now: Date): Promise<void>;
}
