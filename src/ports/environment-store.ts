import type { FreezeRecord, LockRecord } from './release-store.js';

/** Freezes, locks and the operator inputs that belong to no release, as the release service keeps them. */
export interface EnvironmentStore {
  /** Ad-hoc freezes in force at `now` (of one environment, when given), oldest first. */
  freezes(now: Date, environment?: string): Promise<FreezeRecord[]>;
  addFreeze(freeze: { environment: string; reason: string; from: Date; until: Date | null; createdBy: string }): Promise<FreezeRecord>;
  /** Lifts the freezes of `environment` still in force; answers how many. */
  liftFreezes(environment: string, by: string, now: Date): Promise<number>;
  lockOf(environment: string): Promise<LockRecord | undefined>;
  /** False when the environment is already locked. */
  takeLock(lock: LockRecord): Promise<boolean>;
  releaseLock(environment: string): Promise<boolean>;
  /** An environment-wide input (a freeze, a lock, a /rollback outside a release) in the audit log. */
  recordOperatorEvent(entry: { type: string; actor: string; message: string; at: Date; data: Record<string, unknown> & { environment?: string; service?: string } }): Promise<void>;
  /** Lifting a freeze or a lock is no input to any release: the waiting ones recheck now. */
  wakeWaiting(now: Date): Promise<void>;
  /** Serialises deploy decisions and minting across replicas until the transaction ends. */
  lockDeploys(): Promise<void>;
}
