import type { ReleaseEventData, ReleasePlan, Refusal } from './types.js';

/**
 * No silent downgrade: a plan that would move a service to an older version than serves (deploying
 * an older version set quietly takes back what others shipped since) needs someone to say so, and
 * who did is in the audit log. Pure: the plan's shipments already say which way each change goes.
 */

export interface Downgrade {
  service: string;
  from: string;
  to: string;
  /** Environments where it goes down, in path order. */
  environments: string[];
  /** How "older" was read: semver, or the version sets that first held each version. */
  orderedBy: 'semver' | 'version_sets';
}

/** Every service the plan moves to an older version, once each, in deploy order. */
export function planDowngrades(plan: ReleasePlan): Downgrade[] {
  const downgrades: Downgrade[] = [];
  for (const env of plan.environments) {
    for (const change of env.changes) {
      const shipment = change.shipment;
      if (shipment?.direction !== 'downgrade' || change.fromVersion === null || shipment.orderedBy === null) continue;
      const known = downgrades.find((entry) => entry.service === change.service && entry.from === change.fromVersion && entry.to === change.toVersion);
      if (known) known.environments.push(env.environment);
      else downgrades.push({ service: change.service, from: change.fromVersion, to: change.toVersion, environments: [env.environment], orderedBy: shipment.orderedBy });
    }
  }
  return downgrades;
}

export function describeDowngrade(downgrade: Downgrade): string {
  return `${downgrade.service} ${downgrade.from} → ${downgrade.to} in ${downgrade.environments.join(', ')}`;
}

/** The services a confirm button names: "Deploy, downgrading payments and inventory". */
export function downgradeLabel(downgrades: readonly Downgrade[]): string {
  const names = [...new Set(downgrades.map((downgrade) => downgrade.service))];
  const list = names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `Deploy, downgrading ${list}`;
}

/** Kept in the plan so the card can say who took the services back, and when. */
export interface DowngradeConfirmation {
  by: string;
  at: string;
  downgrades: Downgrade[];
}

export type DowngradeAdmission =
  | { ok: true; event: ReleaseEventData | null; confirmation: DowngradeConfirmation | null }
  | { ok: false; refusal: Refusal & { downgrades: Downgrade[] } };

/**
 * A plan with downgrades ships only when someone confirmed them; the confirmation becomes an event
 * of the release's first transition, naming who confirmed what.
 */
export function admitDowngrades(plan: ReleasePlan, shipped: string, confirmation: { confirmedBy: string; at: Date } | null): DowngradeAdmission {
  const downgrades = planDowngrades(plan);
  if (downgrades.length === 0) return { ok: true, event: null, confirmation: null };
  const what = downgrades.map(describeDowngrade).join('; ');
  if (!confirmation) {
    return {
      ok: false,
      refusal: {
        code: 'downgrade_unconfirmed',
        message: `Deploying ${shipped} downgrades ${what}. Nothing ships until someone confirms the downgrade ("${downgradeLabel(downgrades)}", or --allow-downgrade).`,
        downgrades,
      },
    };
  }
  return {
    ok: true,
    confirmation: { by: confirmation.confirmedBy, at: confirmation.at.toISOString(), downgrades },
    event: {
      type: 'downgrade_confirmed',
      message: `<@${confirmation.confirmedBy}> confirmed downgrading ${what}`,
      data: { confirmedBy: confirmation.confirmedBy, downgrades: downgrades.map(({ service, from, to, environments }) => ({ service, from, to, environments })) },
    },
  };
}
