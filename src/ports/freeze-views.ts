/** Freezes and a stopped line as the card, App Home and commands show them. */
export interface FreezeView {
  id: number;
  environment: string;
  reason: string;
  from: string;
  until: string | null;
  by: string | null;
  /** 'adhoc' from /freeze, 'scheduled' from the config. */
  source: 'adhoc' | 'scheduled';
}

/** A stopped line: who stopped it, why, since when, and the releases it paused. */
export interface LineStopView {
  freezeId: number;
  reason: string;
  by: string;
  at: string;
  pausedReleaseIds: string[];
}
