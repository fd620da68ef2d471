/**
 * Whether the queue may merge now. A freeze of a guarded environment, or an unhealthy canary in
 * production, holds merges (each configurable); the view shows the reason.
 */
export interface PauseInputs {
  pauseOnFreeze: boolean;
  pauseOnUnhealthyCanary: boolean;
  freezes: { environment: string; reason: string; until: Date | null }[];
  unhealthyCanaries: { releaseId: string; service: string; environment: string }[];
  /** A stopped line holds every queue, whatever the two switches above say. */
  lineStop?: { reason: string } | null;
}

export type PauseState = { paused: false } | { paused: true; code: 'line_stopped' | 'frozen' | 'unhealthy_canary'; message: string };

export function decidePause(inputs: PauseInputs): PauseState {
  if (inputs.lineStop) return { paused: true, code: 'line_stopped', message: `the line is stopped (${inputs.lineStop.reason}); \`/unfreeze all\` restarts it` };
  if (inputs.pauseOnFreeze) {
    const freeze = inputs.freezes[0];
    if (freeze) {
      const until = freeze.until ? ` until ${freeze.until.toISOString()}` : '';
      return { paused: true, code: 'frozen', message: `${freeze.environment} is frozen${until}: ${freeze.reason}` };
    }
  }
  if (inputs.pauseOnUnhealthyCanary) {
    const canary = inputs.unhealthyCanaries[0];
    if (canary) {
      return { paused: true, code: 'unhealthy_canary', message: `the canary of ${canary.service} in ${canary.environment} is unhealthy (release ${canary.releaseId})` };
    }
  }
  return { paused: false };
}
