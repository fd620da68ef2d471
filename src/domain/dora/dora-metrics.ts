/**
 * The four DORA figures, computed from the event log alone. Pure: the store hands over each
 * release's events and the merge time of each version it shipped; time is an argument.
 *
 * Definitions (the same in Slack, App Home, /metrics and the weekly digest):
 * - a release *enters production* at its first stage in the last environment of the config;
 * - it is *deployed* when every service it changes there serves 100% (the last `service_converged`);
 * - *deployment frequency*: deployed releases per day of the window;
 * - *lead time for changes*: per member service of the version set, PR merged (the version's merge
 *   time) → that service at 100% in production; the median over the window's deployments;
 * - *change failure rate*: releases that entered production and were then rolled back (by the
 *   judge, a watch window or a person), aborted, or superseded by a fix ÷ releases that entered production;
 * - *time to restore*: the first failed verdict in production (or, with none, the start of the
 *   rollback) → traffic back on the last-known-good (the last service rolled back there); the median.
 */

export interface DoraEvent {
  type: string;
  at: Date;
  data: Record<string, unknown> | undefined;
}

export interface DoraReleaseHistory {
  releaseId: string;
  /** The services the release changes in production. */
  services: string[];
  /** The release's events, in the order they were written. */
  events: DoraEvent[];
  /** When the PR behind each shipped version merged (null: not from a merge, e.g. a hand-typed /deploy). */
  mergedAt: Record<string, Date | null>;
}

export type FailureKind = 'rolled_back' | 'aborted' | 'superseded';

export interface ReleaseFacts {
  releaseId: string;
  services: string[];
  enteredProductionAt: Date | null;
  /** Per service, when it reached 100% in production. */
  convergedAt: Record<string, Date>;
  deployedAt: Date | null;
  failure: { kind: FailureKind; at: Date } | null;
  /** Time to restore, for a failure that was restored. */
  restore: { detectedAt: Date; restoredAt: Date } | null;
  /** Lead times (seconds) per service with a known merge time. */
  leadTimes: Record<string, number>;
}

function text(data: Record<string, unknown> | undefined, key: string): string | undefined {
  const value = data?.[key];
  return typeof value === 'string' ? value : undefined;
}

/** What one release's events say, for the DORA figures of environment `production`. */
export function releaseFacts(history: DoraReleaseHistory, production: string): ReleaseFacts {
  let enteredProductionAt: Date | null = null;
  const convergedAt: Record<string, Date> = {};
  let failure: ReleaseFacts['failure'] = null;
  let detectedAt: Date | null = null;
  let rollbackStartedAt: Date | null = null;
  let restoredAt: Date | null = null;
  let finishedOutcome: string | undefined;
  let finishedAt: Date | null = null;
  for (const event of history.events) {
    const inProduction = text(event.data, 'environment') === production;
    switch (event.type) {
      case 'stage_started':
        if (inProduction && !enteredProductionAt) enteredProductionAt = event.at;
        break;
      case 'service_converged': {
        const service = text(event.data, 'service');
        if (inProduction && service) convergedAt[service] = event.at;
        break;
      }
      case 'health_reading':
        // Readings carry no environment; production is the last on the path, so a reading after
        // the release entered production is a production reading.
        if (enteredProductionAt && !detectedAt && event.data?.verdict === 'fail') detectedAt = event.at;
        break;
      case 'rollback_started':
      case 'abort_started':
        if (enteredProductionAt && !rollbackStartedAt) rollbackStartedAt = event.at;
        break;
      case 'service_rolled_back':
        if (inProduction) restoredAt = event.at;
        break;
      case 'superseded':
        if (enteredProductionAt && !failure) failure = { kind: 'superseded', at: event.at };
        break;
      case 'finished':
        finishedOutcome = text(event.data, 'outcome');
        finishedAt = event.at;
        break;
    }
  }
  if (enteredProductionAt && !failure && finishedAt && (finishedOutcome === 'rolled_back' || finishedOutcome === 'aborted')) {
    failure = { kind: finishedOutcome, at: finishedAt };
  }
  const start = detectedAt ?? rollbackStartedAt;
  const restore = failure && failure.kind !== 'superseded' && start && restoredAt ? { detectedAt: start, restoredAt } : null;
  const converged = Object.values(convergedAt);
  // Deployed: what it changes in production all serves 100%, and it was not reverted afterwards.
  const deployedAt = converged.length > 0 && failure?.kind !== 'rolled_back' && failure?.kind !== 'aborted' ? new Date(Math.max(...converged.map((at) => at.getTime()))) : null;
  const leadTimes: Record<string, number> = {};
  for (const [service, at] of Object.entries(convergedAt)) {
    const merged = history.mergedAt[service];
    if (merged) leadTimes[service] = (at.getTime() - merged.getTime()) / 1000;
  }
  return { releaseId: history.releaseId, services: history.services, enteredProductionAt, convergedAt, deployedAt, failure, restore, leadTimes };
}

export interface DoraWindow {
  from: Date;
  to: Date;
}

export interface DoraFigures {
  days: number;
  deployments: number;
  /** Deployed releases per day. */
  deploymentsPerDay: number;
  /** Median lead time in seconds, null without a sample. */
  leadTimeSeconds: number | null;
  leadTimeSamples: number;
  enteredProduction: number;
  failures: number;
  /** failures ÷ enteredProduction, null when nothing entered production. */
  changeFailureRate: number | null;
  /** Median time to restore in seconds, null without a restored failure. */
  timeToRestoreSeconds: number | null;
  restores: number;
  /** Deployments per day of the window, oldest first (the chart). */
  perDay: number[];
}

function within(at: Date | null, window: DoraWindow): at is Date {
  return at !== null && at.getTime() >= window.from.getTime() && at.getTime() < window.to.getTime();
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const DAY_MS = 86_400_000;

/**
 * The facts by the services they change: `touching(services)` answers, each once, the facts of the
 * releases that change any of them (what `doraFigures` of those services counts), without walking
 * every release for every scope (/metrics asks for every service, team and all at once).
 */
export function factsByService(facts: readonly ReleaseFacts[]): { touching(services: readonly string[]): ReleaseFacts[] } {
  const byService = new Map<string, ReleaseFacts[]>();
  for (const fact of facts) {
    for (const service of new Set(fact.services)) {
      const list = byService.get(service);
      if (list) list.push(fact);
      else byService.set(service, [fact]);
    }
  }
  return {
    touching(services) {
      const found = new Set<ReleaseFacts>();
      for (const service of services) for (const fact of byService.get(service) ?? []) found.add(fact);
      return [...found];
    },
  };
}

/** The figures of releases touching `services` (all when undefined) within the window. */
export function doraFigures(facts: readonly ReleaseFacts[], window: DoraWindow, services?: readonly string[]): DoraFigures {
  const wanted = services ? new Set(services) : undefined;
  const days = Math.max(1, Math.round((window.to.getTime() - window.from.getTime()) / DAY_MS));
  const perDay = Array.from({ length: days }, () => 0);
  let deployments = 0;
  const leadTimes: number[] = [];
  let enteredProduction = 0;
  let failures = 0;
  const restores: number[] = [];
  for (const fact of facts) {
    if (wanted && !fact.services.some((service) => wanted.has(service))) continue;
    if (within(fact.deployedAt, window)) {
      deployments += 1;
      const day = Math.min(days - 1, Math.floor((fact.deployedAt.getTime() - window.from.getTime()) / DAY_MS));
      perDay[day]! += 1;
      for (const [service, seconds] of Object.entries(fact.leadTimes)) if (!wanted || wanted.has(service)) leadTimes.push(seconds);
    }
    if (within(fact.enteredProductionAt, window)) {
      enteredProduction += 1;
      if (fact.failure) failures += 1;
    }
    if (fact.restore && within(fact.restore.restoredAt, window)) restores.push((fact.restore.restoredAt.getTime() - fact.restore.detectedAt.getTime()) / 1000);
  }
  return {
    days,
    deployments,
    deploymentsPerDay: deployments / days,
    leadTimeSeconds: median(leadTimes),
    leadTimeSamples: leadTimes.length,
    enteredProduction,
    failures,
    changeFailureRate: enteredProduction > 0 ? failures / enteredProduction : null,
    timeToRestoreSeconds: median(restores),
    restores: restores.length,
    perDay,
  };
}

/** The window ending at `now`, and the one before it (for the trend). */
export function windowsOf(now: Date, days: number): { current: DoraWindow; previous: DoraWindow } {
  const from = new Date(now.getTime() - days * DAY_MS);
  return { current: { from, to: now }, previous: { from: new Date(from.getTime() - days * DAY_MS), to: from } };
}
