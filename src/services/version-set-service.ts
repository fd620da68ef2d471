import type { RecordMergeInput, VersionSets } from '../ports/version-sets.js';
import type { Store } from '../ports/store.js';

/** The merge queue's port: each merge mints the latest set with that service's version replaced. */
export class StoredVersionSets implements VersionSets {
  constructor(private readonly store: Store) {}

  async recordMerge(input: RecordMergeInput): Promise<{ versionSetId: number }> {
    return this.store.transaction(async (tx) => {
      await tx.environments.lockDeploys();
      // A replayed merge answers the set its first recording minted.
      const already = await tx.versionSets.mergedAs(input.service, input.version);
      if (already !== undefined) return { versionSetId: already };
      const base = await tx.versionSets.latest();
      const minted = await tx.versionSets.mintWithVersion({ base, ...input, source: 'merge' });
      return { versionSetId: minted.id };
    });
  }
}
