import { deliveryConfigSchema, type DeliveryConfig } from '../../src/config/delivery-schema.js';
import { createGitHubOctokit } from '../../src/adapters/github/octokit.js';
import { GitHubScm } from '../../src/adapters/github/github-scm.js';
import { ManualClock } from '../../src/ports/clock.js';
import type { DeliveryStatus, FreezeStatus } from '../../src/ports/delivery-status.js';
import type { RecordMergeInput, VersionSets } from '../../src/ports/version-sets.js';
import { MergeQueueService, type MergeQueueServiceOptions } from '../../src/services/merge-queue/merge-queue-service.js';
import type { Deployer, MergeQueueNotice, MergeQueueNotifier } from '../../src/services/merge-queue/ports.js';
import type { Db } from '../../src/store/db.js';
import { DrizzleMergeQueueStore } from '../../src/store/repos/drizzle-merge-queue-store.js';
import type { FakeGitHub } from './fake-github.js';

/** In-memory stand-ins for the engine's ports, recording what the queue asked of them. */
export class RecordingVersionSets implements VersionSets {
  readonly merges: RecordMergeInput[] = [];
  async recordMerge(input: RecordMergeInput): Promise<{ versionSetId: number }> {
    this.merges.push(input);
    return { versionSetId: this.merges.length };
  }
}

export class SettableDeliveryStatus implements DeliveryStatus {
  freezes = new Map<string, { reason: string; until: Date | null }>();
  canaries: Array<{ releaseId: string; service: string; environment: string }> = [];
  async freezeOf(environment: string): Promise<FreezeStatus> {
    const freeze = this.freezes.get(environment);
    return freeze ? { frozen: true, ...freeze } : { frozen: false };
  }
  lineStopped: { reason: string } | null = null;
  async lineStop(): Promise<FreezeStatus> {
    return this.lineStopped ? { frozen: true, reason: this.lineStopped.reason, until: null } : { frozen: false };
  }
  async unhealthyCanaries() {
    return this.canaries;
  }
}

/** Accepts deploys, except while `busy` says the environment is shipping something else. */
export class RecordingDeployer implements Deployer {
  readonly deploys: { versionSetId: number; environment: string }[] = [];
  readonly refusals: { versionSetId: number; environment: string }[] = [];
  busy = new Set<string>();
  async deployVersionSet(request: { versionSetId: number; environment: string }) {
    if (this.busy.has(request.environment)) {
      this.refusals.push(request);
      return { kind: 'refused' as const, code: 'environment_busy', message: `Release rel-${this.deploys.length} is already shipping to ${request.environment}` };
    }
    this.deploys.push(request);
    return { kind: 'accepted' as const, releaseId: `rel-${this.deploys.length}` };
  }
}

export class RecordingNotifier implements MergeQueueNotifier {
  readonly notices: MergeQueueNotice[] = [];
  async notify(notice: MergeQueueNotice): Promise<void> {
    this.notices.push(notice);
  }
  ofKind<K extends MergeQueueNotice['kind']>(kind: K): Extract<MergeQueueNotice, { kind: K }>[] {
    return this.notices.filter((notice): notice is Extract<MergeQueueNotice, { kind: K }> => notice.kind === kind);
  }
}

export function queueConfig(mergeQueue: Record<string, unknown> = {}): DeliveryConfig {
  return deliveryConfigSchema.parse({
    teams: { core: { channel: '#core' } },
    services: { api: { repo: 'acme/api', team: 'core' } },
    environments: {
      staging: { channel: '#deploys', stages: [{ name: 'all', weight: 100 }] },
      production: { channel: '#deploys', stages: [{ name: 'canary', weight: 10 }, { name: 'all', weight: 100 }] },
    },
    mergeQueue: { repos: ['acme/api'], requiredApprovals: 1, autoDeployTo: 'staging', ...mergeQueue },
  });
}

export interface QueueHarness {
  service: MergeQueueService;
  clock: ManualClock;
  versionSets: RecordingVersionSets;
  status: SettableDeliveryStatus;
  deployer: RecordingDeployer;
  notifier: RecordingNotifier;
  scm: GitHubScm;
  config: DeliveryConfig;
  /** A new service instance on the same database and fakes: a restart. */
  restart(): MergeQueueService;
}

export function queueHarness(
  db: Db,
  github: FakeGitHub,
  config: DeliveryConfig,
  options: MergeQueueServiceOptions = {},
  /** Notices go here as well as to the recording notifier (e.g. the real Slack notifier). */
  also?: (scm: GitHubScm) => MergeQueueNotifier,
  /** Where links to pull requests point (GitHub Enterprise); GitHub.com when absent. */
  githubWebUrl?: string,
): QueueHarness {
  const clock = new ManualClock('2026-03-02T09:00:00Z');
  const versionSets = new RecordingVersionSets();
  const status = new SettableDeliveryStatus();
  const deployer = new RecordingDeployer();
  const notifier = new RecordingNotifier();
  const octokit = createGitHubOctokit({ auth: { kind: 'token', token: 'ghs_test' }, baseUrl: github.url, throttle: false, retries: 0 });
  const scm = new GitHubScm(octokit);
  const extra = also?.(scm);
  const both: MergeQueueNotifier = extra
    ? { notify: async (notice) => (await notifier.notify(notice), await extra.notify(notice)) }
    : notifier;
  // Tests tick when they mean to: no poll interval unless a test asks for one.
  const build = () =>
    new MergeQueueService({
      store: new DrizzleMergeQueueStore(db),
      scm,
      versionSets,
      deliveryStatus: status,
      deployer,
      notifier: both,
      clock,
      config,
      options: { pollIntervalMs: 0, ...options },
      ...(githubWebUrl ? { githubWebUrl } : {}),
    });
  return { service: build(), clock, versionSets, status, deployer, notifier, scm, config, restart: build };
}

/** Ticks (CI finishing in between, a minute apart) until nothing is queued, or the limit is hit. */
export async function drain(harness: { service: MergeQueueService; clock: ManualClock }, github: FakeGitHub, limit = 40): Promise<number> {
  for (let round = 0; round < limit; round++) {
    await harness.service.tick(harness.clock.now());
    await runEffects(harness.service);
    const view = await harness.service.list();
    if (view.queues.every((queue) => queue.entries.length === 0)) return round + 1;
    github.finishChecks();
    harness.clock.advance(60_000);
  }
  throw new Error(`queue not drained after ${limit} ticks`);
}

/** Runs the queue's outbox until it is empty (comments, labels, notices). */
export async function runEffects(service: MergeQueueService): Promise<void> {
  for (let rounds = 0; rounds < 20; rounds++) if ((await service.runEffects()) === 0) return;
  throw new Error('the queue outbox did not drain');
}

/** Processes the webhook inbox, then the outbox: what the queue's work loop does after a delivery. */
export async function settle(service: MergeQueueService): Promise<number> {
  const processed = await service.processDeliveries();
  await runEffects(service);
  return processed;
}
