import type { Logger } from 'pino';
import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Actor } from '../../domain/release/types.js';
import type { AppHomeViewers } from '../../ports/app-homes.js';
import type { AuditLog } from '../../ports/audit-log.js';
import type { Clock } from '../../ports/clock.js';
import type { AppHomeView, HomeFacts } from '../../services/app-home-service.js';
import type { ReleaseService } from '../../services/release-service-api.js';
import type { QueueView } from '../../services/merge-queue/view.js';
import type { DoraReport, DoraScope } from '../../services/dora-service.js';
import type { ProcessedRequests } from '../../ports/processed-requests.js';
import type { KnownNames } from './command-text.js';
import type { ResponseUrls } from '../../adapters/slack/response-url.js';

/** What /queue needs of the merge queue service (a narrow port; the service satisfies it structurally). */
export interface MergeQueueCommands {
  enqueue(request: { repo: string; pullNumber: number; requestedBy: string; source: 'slack' }): Promise<QueueCommandOutcome>;
  /** `actor` is the Slack user id of who asked. */
  remove(request: { repo: string; pullNumber: number; actor: string }): Promise<QueueCommandOutcome>;
  list(): Promise<QueueView>;
}

export type QueueCommandOutcome = { kind: 'accepted'; position?: number } | { kind: 'refused'; code: string; message: string };

/** What /dora and App Home ask for (the DORA service satisfies it structurally). */
export interface DoraReports {
  report(scope: DoraScope, days: number): Promise<DoraReport>;
  reports(scopes: readonly DoraScope[], days: number): Promise<DoraReport[]>;
}

/** What App Home asks for (the App Home service satisfies it structurally). */
export interface HomePages {
  /** What every Home shows, read once however many Homes are published from it. */
  facts(): Promise<HomeFacts>;
  homeFor(facts: HomeFacts, viewer: Actor): AppHomeView;
}

/** Resolves a Slack user to an Actor (user + configured user groups). */
export interface Actors {
  resolve(userId: string): Promise<Actor>;
}

/** Everything the Slack listeners use; built once by the app factory. */
export interface SlackDeps {
  releases: ReleaseService;
  /** null until the merge queue is enabled: /queue then says so. */
  mergeQueue: MergeQueueCommands | null;
  config: DeliveryConfig;
  /** `/release history`: the event log read as who did what. */
  audit: AuditLog;
  dora: DoraReports;
  homePages: HomePages;
  requests: ProcessedRequests;
  actors: Actors;
  /** Where command answers are posted after the ack. */
  responseUrls: ResponseUrls;
  /** Who opened App Home lately (null: Homes are published only when opened). */
  homeViewers: AppHomeViewers | null;
  clock: Clock;
  logger: Logger;
}

export function knownTeams(config: DeliveryConfig): string[] {
  return Object.keys(config.teams).sort();
}

const namesOf = new WeakMap<DeliveryConfig, KnownNames>();

/** The config's service and environment names, worked out once per config (every command parses against them). */
export function knownNames(config: DeliveryConfig): KnownNames {
  let names = namesOf.get(config);
  if (!names) {
    names = { services: Object.keys(config.services).sort(), environments: Object.keys(config.environments) };
    namesOf.set(config, names);
  }
  return names;
}
