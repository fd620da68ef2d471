import type { ServingMap } from '../../../src/domain/release/plan.js';
import type { InfraSetRecord, InfraSetStore } from '../../../src/ports/infra-set-store.js';
import { servingMapOf, weightsRecorded, type MintedInfraSet, type WeightsChange } from '../../../src/store/transition-rows.js';
import { sortedBy, type MemoryTables, type Unit } from './memory-tables.js';

/** The infra_sets table in memory: the store port, and the row writes a release transition makes. */
export class MemoryInfraSetStore implements InfraSetStore {
  constructor(private readonly unit: Unit) {}

  async get(id: string): Promise<InfraSetRecord | undefined> {
    return this.unit.read((tables) => copyOf(tables.infraSets.get(id)));
  }

  async of(service: string, environment: string): Promise<InfraSetRecord[]> {
    return this.unit.read((tables) =>
      sortedBy(
        setsOf(tables, service, environment),
        { by: (set) => set.createdAt.getTime(), desc: true },
        { by: (set) => set.id, desc: true },
      ).map((set) => ({ ...set })),
    );
  }

  async warm(service: string, environment: string): Promise<InfraSetRecord[]> {
    return this.unit.read((tables) => warmInfraSets(tables, service, environment));
  }

  async recordWeights(change: { service: string; environment: string; weights: Record<string, number>; now: Date }): Promise<void> {
    await this.unit.write((tables) => recordWeights(tables, { ...change, discard: [] }));
  }

  async retire(ids: readonly string[], now: Date): Promise<void> {
    await this.unit.write((tables) => retireInfraSets(tables, ids, now));
  }
}

const copyOf = (set: InfraSetRecord | undefined): InfraSetRecord | undefined => (set ? { ...set } : undefined);

function setsOf(tables: MemoryTables, service: string, environment: string): InfraSetRecord[] {
  return [...tables.infraSets.values()].filter((set) => set.service === service && set.environment === environment);
}

function update(tables: MemoryTables, id: string, change: Partial<InfraSetRecord>): void {
  const set = tables.infraSets.get(id);
  if (set) tables.infraSets.set(id, { ...set, ...change });
}

export function mintInfraSet(tables: MemoryTables, set: MintedInfraSet): void {
  if (tables.infraSets.has(set.id)) return;
  tables.infraSets.set(set.id, {
    id: set.id,
    service: set.service,
    environment: set.environment,
    version: set.version,
    releaseId: set.releaseId,
    state: 'provisioning',
    weight: 0,
    createdAt: set.now,
    warmedAt: null,
    retiredAt: null,
  });
}

export function markProvisioned(tables: MemoryTables, id: string): void {
  if (tables.infraSets.get(id)?.state === 'provisioning') update(tables, id, { state: 'ready' });
}

function recordWeights(tables: MemoryTables, change: WeightsChange): string[] {
  const live = setsOf(tables, change.service, change.environment).filter((set) => set.state !== 'retired');
  const { moves, retire } = weightsRecorded(live, change);
  for (const { id, ...move } of moves) update(tables, id, move);
  return retire;
}

function warmInfraSets(tables: MemoryTables, service: string, environment: string): InfraSetRecord[] {
  return sortedBy(
    setsOf(tables, service, environment).filter((set) => set.state === 'warm'),
    { by: (set) => set.warmedAt?.getTime() ?? null, desc: true },
    { by: (set) => set.id, desc: true },
  ).map((set) => ({ ...set }));
}

function retireInfraSets(tables: MemoryTables, ids: readonly string[], now: Date): void {
  for (const id of ids) update(tables, id, { state: 'retired', weight: 0, retiredAt: now });
}

/** The sets a release minted or moved out of traffic that are still draining, by id. */
export function drainingInfraSets(tables: MemoryTables, releaseId: string): InfraSetRecord[] {
  return sortedBy(
    [...tables.infraSets.values()].filter((set) => set.state === 'draining' && set.releaseId === releaseId),
    { by: (set) => set.id },
  ).map((set) => ({ ...set }));
}

/** What serves in `environments` (narrowed to `services` when given): the heaviest serving set per service and the others not retired. */
export function servingIn(tables: MemoryTables, environments: readonly string[], services?: readonly string[]): ServingMap {
  if (environments.length === 0 || services?.length === 0) return {};
  const sets = [...tables.infraSets.values()].filter(
    (set) => (set.state === 'serving' || set.state === 'warm') && environments.includes(set.environment) && (!services || services.includes(set.service)),
  );
  return servingMapOf(sortedBy(sets, { by: (set) => set.weight }, { by: (set) => set.createdAt.getTime() }));
}
