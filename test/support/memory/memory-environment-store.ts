import type { EnvironmentStore } from '../../../src/ports/environment-store.js';
import type { FreezeRecord, LockRecord } from '../../../src/ports/release-store.js';
import { appendEvent, sortedBy, type MemoryTables, type Unit } from './memory-tables.js';

/** Freezes, locks and operator events in memory. */
export class MemoryEnvironmentStore implements EnvironmentStore {
  constructor(private readonly unit: Unit) {}

  async freezes(now: Date, environment?: string): Promise<FreezeRecord[]> {
    return this.unit.read((tables) => freezesInForce(tables, now).filter((freeze) => environment === undefined || freeze.environment === environment));
  }

  async addFreeze(freeze: { environment: string; reason: string; from: Date; until: Date | null; createdBy: string }): Promise<FreezeRecord> {
    return this.unit.write((tables) => {
      this.unit.sequences.freeze += 1;
      const row: FreezeRecord = { id: this.unit.sequences.freeze, ...freeze, liftedAt: null, liftedBy: null };
      tables.freezes.set(row.id, row);
      return { ...row };
    });
  }

  async liftFreezes(environment: string, by: string, now: Date): Promise<number> {
    return this.unit.write((tables) => {
      // Also one that has not begun yet: lifting means none of them holds.
      const lifted = [...tables.freezes.values()].filter((freeze) => freeze.environment === environment && freeze.liftedAt === null && (freeze.until === null || freeze.until > now));
      for (const freeze of lifted) tables.freezes.set(freeze.id, { ...freeze, liftedAt: now, liftedBy: by });
      return lifted.length;
    });
  }

  async lockOf(environment: string): Promise<LockRecord | undefined> {
    return this.unit.read((tables) => {
      const lock = tables.locks.get(environment);
      return lock ? { ...lock } : undefined;
    });
  }

  async takeLock(lock: LockRecord): Promise<boolean> {
    return this.unit.write((tables) => {
      if (tables.locks.has(lock.environment)) return false;
      tables.locks.set(lock.environment, { ...lock });
      return true;
    });
  }

  async releaseLock(environment: string): Promise<boolean> {
    return this.unit.write((tables) => tables.locks.delete(environment));
  }

  async recordOperatorEvent(entry: { type: string; actor: string; message: string; at: Date; data: Record<string, unknown> & { environment?: string; service?: string } }): Promise<void> {
    await this.unit.write((tables) => appendEvent(tables, this.unit.sequences, { releaseId: null, kind: 'operator', version: 0, ...entry }));
  }

  async wakeWaiting(now: Date): Promise<void> {
    await this.unit.write((tables) => {
      for (const release of tables.releases.values()) if (release.status === 'waiting') tables.releases.set(release.id, { ...release, nextTickAt: now });
    });
  }

  /** Transactions over the memory store already run one at a time. */
  async lockDeploys(): Promise<void> {}
}

/** Ad-hoc freezes in force at `now`, oldest first. */
export function freezesInForce(tables: MemoryTables, now: Date): FreezeRecord[] {
  return sortedBy(
    [...tables.freezes.values()].filter((freeze) => freeze.liftedAt === null && freeze.from <= now && (freeze.until === null || freeze.until > now)),
    { by: (freeze) => freeze.id },
  ).map((freeze) => ({ ...freeze }));
}
