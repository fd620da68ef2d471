/** Who opened App Home lately: their Home is re-published when what it shows changes. */
export interface AppHomeViewers {
  opened(userId: string, at: Date): Promise<void>;
  /** Users who opened App Home at or after `since`. */
  openedSince(since: Date): Promise<string[]>;
}

/** Re-publishes App Home for those who opened it recently; run by the outbox, coalesced. */
export interface AppHomes {
  refresh(now: Date): Promise<void>;
}
