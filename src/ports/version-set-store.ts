import type { VersionHistory } from '../domain/release/what-ships.js';

export interface VersionSetSnapshot {
  id: number;
  versions: Record<string, string>;
}

export interface VersionMint {
  base: VersionSetSnapshot | undefined;
  service: string;
  version: string;
  source: 'merge' | 'deploy' | 'supersede';
  commitSha?: string;
  pullNumber?: number;
  repo?: string;
}

/** The numbered, immutable version sets. Mint inside a transaction holding `EnvironmentStore.lockDeploys`. */
export interface VersionSetStore {
  latest(): Promise<VersionSetSnapshot | undefined>;
  byId(id: number): Promise<VersionSetSnapshot | undefined>;
  /** `base` with one service's version replaced, or `base` itself when it already has it. */
  mintWithVersion(change: VersionMint): Promise<VersionSetSnapshot>;
  /** The first set a merge of `service@version` minted, if any (a replayed merge answers it). */
  mergedAs(service: string, version: string): Promise<number | undefined>;
  /** The versions of `services` the sets know, oldest first, with the merges that made them (what a card's "What ships" lists). */
  history(services: readonly string[]): Promise<VersionHistory>;
  /**
   * A set (the latest, or one by id) and the history of `services` — of the set's own services when
   * not given — in one read: what planning a deploy needs.
   */
  withHistory(which: { latest: true } | { id: number }, services?: readonly string[]): Promise<{ set: VersionSetSnapshot | undefined; history: VersionHistory }>;
}
