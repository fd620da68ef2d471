import type { DeliveryConfig } from '../config/delivery-schema.js';
import { awaitsApprovalFrom, isMemberOfTeam, mayStopTheLine } from '../domain/release/authorization.js';
import type { Actor, ReleaseView } from '../domain/release/types.js';
import { toReleaseView } from '../domain/release/view.js';
import { GITHUB_COM } from '../domain/release/what-ships.js';
import { worldFacts } from '../domain/release/world.js';
import { describeWindow, windowStatus } from '../domain/windows/window-status.js';
import type { Clock } from '../ports/clock.js';
import type { DoraReport } from '../ports/dora-report.js';
import type { FreezeView, LineStopView } from '../ports/freeze-views.js';
import type { HomeReadModel } from '../ports/home-read-model.js';
import type { QueueSnapshot } from '../ports/merge-queue-store.js';
import { doraReports, historySince, productionOf } from './dora-service.js';
import { freezeList, lineStopOf } from './freeze-list.js';
import { queueViewOf, type QueueViewEntry } from './merge-queue/view.js';

/** The window of the team figures on App Home. */
export const HOME_DORA_DAYS = 30;

/** One line per environment with deploy windows. */
export interface WindowLine {
  environment: string;
  text: string;
}

/** What every App Home shows, read once however many Homes are published from it. */
export interface HomeFacts {
  active: ReleaseView[];
  freezes: FreezeView[];
  lineStop: LineStopView | null;
  /** null when the merge queue is off. */
  queue: QueueViewEntry[] | null;
  /** The figures of every team over the last HOME_DORA_DAYS. */
  teams: DoraReport[];
  windows: WindowLine[];
}

/** One viewer's App Home: what they shipped, what waits for them, and what every Home shows. */
export interface AppHomeView {
  userId: string;
  myReleases: ReleaseView[];
  awaitingMyApproval: ReleaseView[];
  queue: QueueViewEntry[] | null;
  freezes: FreezeView[];
  windows: WindowLine[];
  lineStop: LineStopView | null;
  /** Only then the stop/restart button shows. */
  mayStopTheLine: boolean;
  /** The figures of the teams the viewer is a member of. */
  teams: DoraReport[];
}

export interface AppHomeServiceOptions {
  readModel: HomeReadModel;
  config: DeliveryConfig;
  clock: Clock;
  /** null while the merge queue is off (App Home says so); else the cycle its estimates assume before any merge was measured. */
  /** `githubWebUrl`: where the queue's links point (GitHub Enterprise); GitHub.com when absent. */
  mergeQueue: { defaultCycleMs: number; githubWebUrl?: string } | null;
}

/** Windows per environment as one line each: open now (until when) or when it next opens. */
export function windowLines(config: DeliveryConfig, now: Date): WindowLine[] {
  const lines: WindowLine[] = [];
  for (const [environment, environmentConfig] of Object.entries(config.environments)) {
    if (environmentConfig.windows.length === 0) continue;
    const status = windowStatus(environmentConfig.windows, now);
    const names = environmentConfig.windows.map(describeWindow).join('; ');
    const text = status.open
      ? `open now${status.closesAt ? `, closes ${status.closesAt.toISOString()}` : ''} — ${names}`
      : `closed; next opens ${status.reopensAt ? status.reopensAt.toISOString() : 'never'} — ${names}`;
    lines.push({ environment, text });
  }
  return lines;
}

/** App Home: one read of its facts (the read model), then each viewer's Home from them. */
export class AppHomeService {
  private readonly readModel: HomeReadModel;
  private readonly config: DeliveryConfig;
  private readonly clock: Clock;
  private readonly mergeQueue: { defaultCycleMs: number; githubWebUrl?: string } | null;

  constructor(options: AppHomeServiceOptions) {
    this.readModel = options.readModel;
    this.config = options.config;
    this.clock = options.clock;
    this.mergeQueue = options.mergeQueue;
  }

  async facts(): Promise<HomeFacts> {
    const now = this.clock.now();
    const environments = Object.keys(this.config.environments);
    const records = await this.readModel.read(
      { environments, mergeQueue: this.mergeQueue !== null && this.config.mergeQueue !== undefined, history: { production: productionOf(this.config), since: historySince(now, HOME_DORA_DAYS) } },
      now,
    );
    // One view of the world for every release, as /release list shows them.
    const world = worldFacts(this.config, records.world, environments, now);
    const active = records.active.map((row) => toReleaseView(row.state, { version: row.version, updatedAt: row.updatedAt.toISOString() }, this.config, world, now));
    const teams = Object.keys(this.config.teams)
      .sort()
      .map((name) => ({ kind: 'team' as const, name }));
    return {
      active,
      freezes: freezeList(this.config, records.world.freezes, now),
      lineStop: lineStopOf(records.world.freezes, records.active),
      queue: this.queueEntries(records.queues, now),
      teams: doraReports(this.config, records.history, teams, HOME_DORA_DAYS, now),
      windows: windowLines(this.config, now),
    };
  }

  /** Every queue's entries in queue order; null while the queue is off. */
  private queueEntries(snapshots: QueueSnapshot[] | null, now: Date): QueueViewEntry[] | null {
    if (!this.mergeQueue) return null;
    // On without a mergeQueue section, the queue service lists no queue either.
    if (!this.config.mergeQueue || !snapshots) return [];
    const links = { defaultCycleMs: this.mergeQueue.defaultCycleMs, githubWebUrl: this.mergeQueue.githubWebUrl ?? GITHUB_COM };
    return queueViewOf(this.config.mergeQueue, snapshots, links, now).queues.flatMap((queue) => queue.entries);
  }

  /** The Home `viewer` sees, from facts read once for every viewer. */
  homeFor(facts: HomeFacts, viewer: Actor): AppHomeView {
    return {
      userId: viewer.userId,
      myReleases: facts.active.filter((view) => view.requester.userId === viewer.userId),
      awaitingMyApproval: facts.active.filter((view) => awaitsApprovalFrom(this.config, view, viewer)),
      queue: facts.queue,
      freezes: facts.freezes,
      windows: facts.windows,
      lineStop: facts.lineStop,
      mayStopTheLine: mayStopTheLine(this.config, viewer),
      teams: facts.teams.filter((report) => report.scope.kind === 'team' && isMemberOfTeam(this.config, viewer, report.scope.name)),
    };
  }
}
