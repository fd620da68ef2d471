import type { VersionHistory } from '../../../src/domain/release/what-ships.js';
import type { VersionMint, VersionSetSnapshot, VersionSetStore } from '../../../src/ports/version-set-store.js';
import { sortedBy, type MemoryTables, type Sequences, type Unit } from './memory-tables.js';

/**
 * Version sets in memory: the sets with their members, and the versions they name. The merge queue's
 * entries are no table of this store, so a version's pull request has no title here (the drizzle
 * store joins it from merge_queue_entries).
 */
export class MemoryVersionSetStore implements VersionSetStore {
  constructor(private readonly unit: Unit) {}

  async latest(): Promise<VersionSetSnapshot | undefined> {
    return this.unit.read((tables) => snapshotOf(latestSet(tables)));
  }

  async byId(id: number): Promise<VersionSetSnapshot | undefined> {
    return this.unit.read((tables) => snapshotOf(tables.versionSets.get(id)));
  }

  async withHistory(which: { latest: true } | { id: number }, services?: readonly string[]): Promise<{ set: VersionSetSnapshot | undefined; history: VersionHistory }> {
    return this.unit.read((tables) => {
      const set = snapshotOf('id' in which ? tables.versionSets.get(which.id) : latestSet(tables));
      return { set, history: historyIn(tables, services ?? Object.keys(set?.versions ?? {})) };
    });
  }

  async mintWithVersion(change: VersionMint): Promise<VersionSetSnapshot> {
    return this.unit.write((tables) => {
      knowVersion(tables, { service: change.service, version: change.version, commitSha: change.commitSha ?? null, pullNumber: change.pullNumber ?? null, repo: change.repo ?? null });
      if (change.base && change.base.versions[change.service] === change.version) return change.base;
      const versions = { ...(change.base?.versions ?? {}), [change.service]: change.version };
      return mintSet(tables, this.unit.sequences, { parentId: change.base?.id ?? null, source: change.source, changedService: change.service, members: versions });
    });
  }

  async mergedAs(service: string, version: string): Promise<number | undefined> {
    return this.unit.read(
      (tables) =>
        sortedBy(tables.versionSets.values(), { by: (set) => set.id }).find((set) => set.source === 'merge' && set.changedService === service && set.members[service] === version)?.id,
    );
  }

  async history(services: readonly string[]): Promise<VersionHistory> {
    return this.unit.read((tables) => historyIn(tables, services));
  }
}

function latestSet(tables: MemoryTables) {
  return sortedBy(tables.versionSets.values(), { by: (set) => set.id, desc: true })[0];
}

function snapshotOf(set: { id: number; members: Record<string, string> } | undefined): VersionSetSnapshot | undefined {
  return set ? { id: set.id, versions: { ...set.members } } : undefined;
}

/** The version's row, unless one exists already (the first merge that made it names it). */
export function knowVersion(tables: MemoryTables, version: { service: string; version: string; commitSha: string | null; pullNumber: number | null; repo: string | null }): void {
  const key = JSON.stringify([version.service, version.version]);
  if (!tables.versions.has(key)) tables.versions.set(key, { ...version });
}

export function mintSet(tables: MemoryTables, sequences: Sequences, set: { parentId: number | null; source: string; changedService: string | null; members: Record<string, string> }): VersionSetSnapshot {
  sequences.versionSet += 1;
  const id = sequences.versionSet;
  tables.versionSets.set(id, { id, ...set, members: { ...set.members } });
  return { id, versions: { ...set.members } };
}

/** Per service, its versions in the order of the first set holding each, with the merge that made it. */
function historyIn(tables: MemoryTables, services: readonly string[]): VersionHistory {
  const firstSet = new Map<string, { service: string; version: string; firstSetId: number }>();
  for (const set of sortedBy(tables.versionSets.values(), { by: (row) => row.id })) {
    for (const [service, version] of Object.entries(set.members)) {
      const key = JSON.stringify([service, version]);
      if (services.includes(service) && !firstSet.has(key)) firstSet.set(key, { service, version, firstSetId: set.id });
    }
  }
  const history: VersionHistory = {};
  for (const entry of sortedBy(firstSet.values(), { by: (row) => row.firstSetId }, { by: (row) => row.service })) {
    const known = tables.versions.get(JSON.stringify([entry.service, entry.version]));
    (history[entry.service] ??= []).push({ version: entry.version, firstSetId: entry.firstSetId, commitSha: known?.commitSha ?? null, pullNumber: known?.pullNumber ?? null, repo: known?.repo ?? null, title: null });
  }
  return history;
}
