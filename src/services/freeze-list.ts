import type { DeliveryConfig } from '../config/delivery-schema.js';
import { LINE_STOP_ENVIRONMENT } from '../domain/release/line-stop.js';
import type { FreezeView, LineStopView } from '../ports/freeze-views.js';
import type { FreezeRecord, ReleaseRecord } from '../ports/release-store.js';

/** Ad-hoc freezes in force (`adhoc`, oldest first), then the config's scheduled ones not yet over. */
export function freezeList(config: DeliveryConfig, adhoc: readonly FreezeRecord[], now: Date): FreezeView[] {
  const views: FreezeView[] = adhoc.map((row) => ({ id: row.id, environment: row.environment, reason: row.reason, from: row.from.toISOString(), until: row.until?.toISOString() ?? null, by: row.createdBy, source: 'adhoc' }));
  // Scheduled freezes have no row: negative ids keep them apart from the ad-hoc ones.
  let scheduledId = -1;
  for (const [environment, env] of Object.entries(config.environments)) {
    for (const freeze of env.freezes) {
      if (freeze.to.getTime() <= now.getTime()) continue;
      views.push({ id: scheduledId--, environment, reason: freeze.reason, from: freeze.from.toISOString(), until: freeze.to.toISOString(), by: null, source: 'scheduled' });
    }
  }
  return views;
}

/** The line stop among the ad-hoc freezes in force (the oldest, if several), with the active releases it paused. */
export function lineStopOf(adhoc: readonly FreezeRecord[], active: readonly ReleaseRecord[]): LineStopView | null {
  const stop = adhoc.find((freeze) => freeze.environment === LINE_STOP_ENVIRONMENT);
  if (!stop) return null;
  const paused = active.filter((row) => row.state.paused?.lineStop === stop.id).map((row) => row.id);
  return { freezeId: stop.id, reason: stop.reason, by: stop.createdBy, at: stop.from.toISOString(), pausedReleaseIds: paused };
}
