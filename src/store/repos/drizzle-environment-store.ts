import { sql } from 'drizzle-orm';
import type { EnvironmentStore } from '../../ports/environment-store.js';
import type { FreezeRecord, LockRecord } from '../../ports/release-store.js';
import type { DbOrTx } from '../db.js';
import { activeFreezes, appendOperatorEvent, getLock, insertFreeze, liftFreezes, releaseLock, takeLock, wakeWaitingReleases } from './drizzle-release-repo.js';

/** Serialises deploy decisions and minting across replicas, so "the latest set" a new one derives from is never raced. */
const MINT_LOCK_KEY = 7_146_233_102;

export async function lockMinting(tx: DbOrTx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(${MINT_LOCK_KEY})`);
}

/** Freezes, locks and operator events over drizzle. */
export class DrizzleEnvironmentStore implements EnvironmentStore {
  constructor(private readonly db: DbOrTx) {}

  freezes(now: Date, environment?: string): Promise<FreezeRecord[]> {
    return activeFreezes(this.db, now, environment);
  }

  addFreeze(freeze: { environment: string; reason: string; from: Date; until: Date | null; createdBy: string }): Promise<FreezeRecord> {
    return insertFreeze(this.db, freeze);
  }

  liftFreezes(environment: string, by: string, now: Date): Promise<number> {
    return liftFreezes(this.db, environment, by, now);
  }

  lockOf(environment: string): Promise<LockRecord | undefined> {
    return getLock(this.db, environment);
  }

  takeLock(lock: LockRecord): Promise<boolean> {
    return takeLock(this.db, lock);
  }

  releaseLock(environment: string): Promise<boolean> {
    return releaseLock(this.db, environment);
  }

  recordOperatorEvent(entry: { type: string; actor: string; message: string; at: Date; data: Record<string, unknown> & { environment?: string; service?: string } }): Promise<void> {
    return appendOperatorEvent(this.db, entry);
  }

  wakeWaiting(now: Date): Promise<void> {
    return wakeWaitingReleases(this.db, now);
  }

  lockDeploys(): Promise<void> {
    return lockMinting(this.db);
  }
}
