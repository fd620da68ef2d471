export type FreezeStatus = { frozen: false } | { frozen: true; reason: string; until: Date | null };

/** What the merge queue (and App Home) ask of the engine before acting. */
export interface DeliveryStatus {
  freezeOf(environment: string, at: Date): Promise<FreezeStatus>;
  /** A stopped line (`/freeze all`) holds every merge queue, whatever its pauseOnFreeze says. */
  lineStop(at: Date): Promise<FreezeStatus>;
  /** Releases whose canary is failing or held for a human right now. */
  unhealthyCanaries(): Promise<Array<{ releaseId: string; service: string; environment: string }>>;
}
