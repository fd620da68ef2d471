import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeliveryConfig, MergeQueueConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../../domain/assert-never.js';
import { batchBranchName, batchBuildRef, decideBatch, planBatch } from '../../domain/merge-queue/batch.js';
import { retryableFailures, summariseChecks } from '../../domain/merge-queue/checks.js';
import { decideBatchCandidate, decideFront, labelStillThere } from '../../domain/merge-queue/decide-entry.js';
import type { MergeQueueNotice, QueueEffect } from '../../domain/merge-queue/effects.js';
import { decidePause, type PauseState } from '../../domain/merge-queue/pause.js';
import type { ChecksSummary, EjectReason, EntryState, PullSnapshot, QueuePolicy } from '../../domain/merge-queue/types.js';
import type { QueueWebhookEvent } from '../../domain/merge-queue/webhook-event.js';
import { GITHUB_COM } from '../../domain/release/what-ships.js';
import type { Clock } from '../../ports/clock.js';
import type { DeliveryStatus } from '../../ports/delivery-status.js';
import type { MergeQueueStore, QueueBatchRecord, QueueEntryRecord, QueueSnapshot } from '../../ports/merge-queue-store.js';
import type { CommitCheck, PullInfo, Scm } from '../../ports/scm.js';
import type { VersionSets } from '../../ports/version-sets.js';
import type { Deployer, MergeQueueNotifier } from './ports.js';
import { DEFAULT_CYCLE_MS, isBatching, pullUrl, queueViewOf, type QueueView } from './view.js';

export type Refusal = { kind: 'refused'; code: string; message: string };

/** `accepted` (not `enqueued`/`removed`) so the Slack surface's narrow MergeQueueCommands port is met structurally. */
export type EnqueueResult = { kind: 'accepted'; entryId: number; repo: string; pullNumber: number; position: number } | Refusal;
export type RemoveResult = { kind: 'accepted'; repo: string; pullNumber: number } | Refusal;
export type WebhookOutcome = { kind: 'handled'; action: string } | { kind: 'ignored'; reason: string };

export interface MergeQueueServiceOptions {
  /** Identifies this replica's leases. */
  instanceId?: string;
  /** How long a tick may hold a queue before another replica may take it over. */
  leaseMs?: number;
  updateTimeoutMs?: number;
  maxRechecks?: number;
  /** Cycle length assumed for estimates before any merge has been measured. */
  defaultCycleMs?: number;
  /** Environments whose freeze pauses the queue; default: autoDeployTo and the last (production) environment. */
  freezeEnvironments?: string[];
  /** Entries advanced per queue and tick in serial mode (after a merge the next one starts at once). */
  maxStepsPerTick?: number;
  /**
   * How often a periodic tick reads GitHub for one queue (each look costs ~5 requests); webhooks
   * (checks completed, pushes) and enqueues bring the next look forward. Default 30 s.
   */
  pollIntervalMs?: number;
  /** Attempts at a queue effect (comment, label, Slack notice) before it is given up. */
  maxEffectAttempts?: number;
  /** Attempts at a recorded webhook delivery before it is set aside as dead. */
  maxDeliveryAttempts?: number;
}

export interface MergeQueueServiceDeps {
  store: MergeQueueStore;
  scm: Scm;
  versionSets: VersionSets;
  deliveryStatus: DeliveryStatus;
  /** Needed only with mergeQueue.autoDeployTo. */
  deployer?: Deployer;
  notifier: MergeQueueNotifier;
  clock: Clock;
  config: DeliveryConfig;
  logger?: Logger;
  options?: MergeQueueServiceOptions;
  /** Where links to pull requests point: GitHub Enterprise's host (`githubWebUrl(env)`); GitHub.com when absent. */
  githubWebUrl?: string;
}

const DEFAULTS = {
  leaseMs: 120_000,
  updateTimeoutMs: 300_000,
  maxRechecks: 5,
  defaultCycleMs: DEFAULT_CYCLE_MS,
  maxStepsPerTick: 3,
  pollIntervalMs: 30_000,
  maxEffectAttempts: 10,
  maxDeliveryAttempts: 10,
};

const refused = (code: string, message: string): Refusal => ({ kind: 'refused', code, message });

type Candidate = { entry: QueueEntryRecord; pull: PullInfo };

/**
 * The merge queue on GitHub. Each tick leases the queues nobody else holds, reads GitHub, lets the pure
 * domain decide one safe step per entry (update-branch, wait, merge, eject, requeue; or build, judge and
 * bisect batches), carries it out with SHA-guarded calls, and records the new state with its event and
 * its effects for people (comments, labels, Slack notices) in one commit; the queue's outbox runs those.
 */
export class MergeQueueService {
  private readonly store: MergeQueueStore;
  private readonly instanceId: string;
  private readonly opts: Required<Omit<MergeQueueServiceOptions, 'instanceId' | 'freezeEnvironments'>> & { freezeEnvironments: string[] };

  constructor(private readonly deps: MergeQueueServiceDeps) {
    this.store = deps.store;
    this.instanceId = deps.options?.instanceId ?? `mq-${randomUUID()}`;
    const environments = Object.keys(deps.config.environments);
    const defaultFreeze = [deps.config.mergeQueue?.autoDeployTo, environments[environments.length - 1]].filter(
      (environment): environment is string => environment !== undefined,
    );
    const option = <K extends keyof typeof DEFAULTS>(key: K): number => deps.options?.[key] ?? DEFAULTS[key];
    this.opts = {
      leaseMs: option('leaseMs'),
      updateTimeoutMs: option('updateTimeoutMs'),
      maxRechecks: option('maxRechecks'),
      defaultCycleMs: option('defaultCycleMs'),
      maxStepsPerTick: option('maxStepsPerTick'),
      pollIntervalMs: option('pollIntervalMs'),
      maxEffectAttempts: option('maxEffectAttempts'),
      maxDeliveryAttempts: option('maxDeliveryAttempts'),
      freezeEnvironments: deps.options?.freezeEnvironments ?? [...new Set(defaultFreeze)],
    };
  }

  private get config(): MergeQueueConfig | undefined {
    return this.deps.config.mergeQueue;
  }

  private policy(config: MergeQueueConfig): QueuePolicy {
    return {
      baseBranch: config.baseBranch,
      requiredApprovals: config.requiredApprovals,
      updateTimeoutMs: this.opts.updateTimeoutMs,
      maxRechecks: this.opts.maxRechecks,
    };
  }

  private log(): Logger | undefined {
    return this.deps.logger;
  }

  private get githubWebUrl(): string {
    return this.deps.githubWebUrl ?? GITHUB_COM;
  }

  private noticeBase(entry: QueueEntryRecord) {
    return {
      repo: entry.repo,
      pullNumber: entry.pullNumber,
      title: entry.title,
      url: pullUrl(this.githubWebUrl, entry.repo, entry.pullNumber),
      author: entry.author,
      requestedBy: entry.requestedBy,
      source: entry.source,
    };
  }

  // ---------------------------------------------------------------- entering and leaving

  async enqueue(request: {
    repo: string;
    pullNumber: number;
    requestedBy: string;
    source: 'slack' | 'label';
    /** The hotfix lane: the front of the queue, still fully validated. */
    hotfix?: boolean;
  }): Promise<EnqueueResult> {
    const config = this.config;
    if (!config) return refused('queue_not_configured', 'The merge queue is not configured (mergeQueue in the delivery config).');
    const served = this.served(config, request.repo);
    if (!served) {
      return refused('unknown_repo', `The queue does not serve ${request.repo}; it serves ${config.repos.join(', ') || 'no repository yet'}.`);
    }
    const existing = await this.store.findActive(served, request.pullNumber);
    if (existing) {
      if (request.hotfix && existing.priority === 0) return this.promote(existing, request.requestedBy);
      const position = await this.positionOf(existing);
      return refused('already_queued', `${served}#${request.pullNumber} is already in the queue, at position ${position}.`);
    }
    const pull = await this.deps.scm.getPull(served, request.pullNumber);
    if (!pull) return refused('not_found', `${served}#${request.pullNumber} is not a pull request.`);
    if (pull.merged || pull.state === 'closed') return refused('closed', `${served}#${request.pullNumber} is ${pull.merged ? 'already merged' : 'closed'}.`);
    if (pull.baseRef !== config.baseBranch) {
      return refused('wrong_base', `${served}#${request.pullNumber} targets \`${pull.baseRef}\`; the queue merges into \`${config.baseBranch}\`.`);
    }
    const now = this.deps.clock.now();
    await this.store.ensureQueue(served, config.baseBranch, now);
    const effects: QueueEffect[] = [];
    if (request.source === 'slack' && !pull.labels.includes(config.label)) {
      // The label mirrors the queue on GitHub; its webhook then finds the entry already there.
      effects.push({ kind: 'add_label', repo: served, pullNumber: request.pullNumber, label: config.label });
    }
    effects.push(queueChanged(served, config.baseBranch));
    const row = await this.store.insertEntry(
      {
        repo: served,
        baseBranch: config.baseBranch,
        pullNumber: request.pullNumber,
        title: pull.title,
        author: pull.author,
        requestedBy: request.requestedBy,
        source: request.source,
        headSha: pull.headSha,
        priority: request.hotfix ? 1 : 0,
        prioritisedBy: request.hotfix ? request.requestedBy : null,
      },
      now,
      effects,
    );
    if (!row) {
      // Another replica (or the label's webhook) queued it a moment ago.
      const raced = await this.store.findActive(served, request.pullNumber);
      return refused('already_queued', `${served}#${request.pullNumber} is already in the queue, at position ${raced ? await this.positionOf(raced) : '?'}.`);
    }
    return { kind: 'accepted', entryId: row.id, repo: served, pullNumber: request.pullNumber, position: await this.positionOf(row) };
  }

  /** A queued entry labelled as a hotfix moves to the front of its queue. */
  private async promote(entry: QueueEntryRecord, by: string): Promise<EnqueueResult> {
    const now = this.deps.clock.now();
    const promoted = await this.store.transition(
      entry,
      { priority: 1, prioritisedBy: by },
      { kind: 'hotfix_lane', detail: { by } },
      now,
      [queueChanged(entry.repo, entry.baseBranch)],
    );
    await this.store.pollSoon(entry.repo, entry.baseBranch);
    return { kind: 'accepted', entryId: promoted.id, repo: promoted.repo, pullNumber: promoted.pullNumber, position: await this.positionOf(promoted) };
  }

  /** `actor` is a Slack user id, or the Slack surface's Actor ({ userId, … }). */
  async remove(request: { repo: string; pullNumber: number; actor: string | { userId: string } }): Promise<RemoveResult> {
    const actor = typeof request.actor === 'string' ? request.actor : request.actor.userId;
    return this.removeEntry(request.repo, request.pullNumber, { kind: 'removed', detail: { actor } }, true);
  }

  private async removeEntry(repoName: string, pullNumber: number, event: { kind: string; detail: Record<string, unknown> }, dropLabel: boolean): Promise<RemoveResult> {
    const config = this.config;
    if (!config) return refused('queue_not_configured', 'The merge queue is not configured (mergeQueue in the delivery config).');
    const repo = this.served(config, repoName) ?? repoName;
    const entry = await this.store.findActive(repo, pullNumber);
    if (!entry) return refused('not_queued', `${repo}#${pullNumber} is not in the queue.`);
    const now = this.deps.clock.now();
    if (entry.batchId !== null) await this.abandonBatchesFrom(entry.batchId, `${repo}#${pullNumber} left the queue`, now);
    const effects: QueueEffect[] = [queueChanged(repo, entry.baseBranch)];
    if (dropLabel) effects.unshift({ kind: 'remove_label', repo, pullNumber, label: config.label });
    await this.store.transition(entry, { status: 'removed', detail: 'removed', finishedAt: now, batchId: null }, event, now, effects);
    return { kind: 'accepted', repo, pullNumber };
  }

  // ---------------------------------------------------------------- the view

  async list(): Promise<QueueView> {
    const config = this.config;
    if (!config) return { queues: [] };
    const now = this.deps.clock.now();
    const queueRows = await this.store.queues();
    const entries = await this.store.activeEntries();
    const snapshots: QueueSnapshot[] = [];
    for (const queue of queueRows) {
      snapshots.push({
        queue,
        entries: entries.filter((entry) => entry.repo === queue.repo && entry.baseBranch === queue.baseBranch),
        recentCycleDurationsMs: await this.store.recentCycleDurationsMs(queue.repo, queue.baseBranch),
      });
    }
    return queueViewOf(config, snapshots, { defaultCycleMs: this.opts.defaultCycleMs, githubWebUrl: this.githubWebUrl }, now);
  }

  private async positionOf(entry: QueueEntryRecord): Promise<number> {
    const entries = await this.store.activeEntries({ repo: entry.repo, baseBranch: entry.baseBranch });
    return entries.findIndex((candidate) => candidate.id === entry.id) + 1;
  }

  // ---------------------------------------------------------------- webhooks: recorded first, processed from the inbox

  /**
   * Records a verified delivery (once per X-GitHub-Delivery) so the route can answer GitHub at once;
   * `processDeliveries` acts on it. Deliveries the queue never acts on are not recorded.
   */
  async receiveWebhook(deliveryId: string, event: QueueWebhookEvent): Promise<'recorded' | 'duplicate' | 'ignored'> {
    if (event.kind === 'ignored' || !this.config) return 'ignored';
    return (await this.store.recordDelivery(deliveryId, event, this.deps.clock.now())) ? 'recorded' : 'duplicate';
  }

  /** Processes recorded deliveries in the order they arrived; answers how many were handled. */
  async processDeliveries(limit = 50): Promise<number> {
    const deliveries = await this.store.claimDeliveries(this.deps.clock.now(), this.opts.leaseMs, limit);
    for (const delivery of deliveries) {
      try {
        const outcome = await this.handleWebhook(delivery.event);
        await this.store.finishDelivery(delivery.deliveryId, outcome, this.deps.clock.now());
      } catch (error) {
        const now = this.deps.clock.now();
        const retryAt = delivery.attempts >= this.opts.maxDeliveryAttempts ? null : new Date(now.getTime() + backoffMs(delivery.attempts));
        this.log()?.warn({ err: error, deliveryId: delivery.deliveryId, attempts: delivery.attempts }, 'merge queue: webhook delivery failed; it stays in the inbox');
        await this.store.failDelivery(delivery.deliveryId, (error as Error).message, retryAt, now);
      }
    }
    return deliveries.length;
  }

  async handleWebhook(event: QueueWebhookEvent): Promise<WebhookOutcome> {
    const config = this.config;
    if (!config) return { kind: 'ignored', reason: 'queue not configured' };
    if (event.kind === 'ignored') return event;
    const repo = this.served(config, event.repo);
    if (!repo) return { kind: 'ignored', reason: `repository ${event.repo} is not served` };
    switch (event.kind) {
      case 'pull_labeled': {
        const hotfix = config.hotfixLabel !== undefined && event.label === config.hotfixLabel;
        if (event.label !== config.label && !hotfix) return { kind: 'ignored', reason: `label ${event.label}` };
        const result = await this.enqueue({ repo, pullNumber: event.pullNumber, requestedBy: event.sender, source: 'label', hotfix });
        if (result.kind === 'refused' && result.code !== 'already_queued') {
          await this.store.addEffects(
            [{ kind: 'comment', repo, pullNumber: event.pullNumber, body: `This pull request could not join the merge queue: ${result.message}` }],
            this.deps.clock.now(),
          );
        }
        return { kind: 'handled', action: result.kind === 'accepted' ? (hotfix ? 'enqueued:hotfix' : 'enqueued') : `refused:${result.code}` };
      }
      case 'pull_unlabeled': {
        if (event.label !== config.label) return { kind: 'ignored', reason: `label ${event.label}` };
        const result = await this.removeEntry(repo, event.pullNumber, { kind: 'removed', detail: { actor: event.sender, via: 'label' } }, false);
        return { kind: 'handled', action: result.kind === 'accepted' ? 'removed' : `refused:${result.code}` };
      }
      case 'pull_closed': {
        const entry = await this.store.findActive(repo, event.pullNumber);
        if (!entry) return { kind: 'ignored', reason: 'not queued' };
        const result = await this.removeEntry(
          repo,
          event.pullNumber,
          { kind: 'removed', detail: { actor: event.sender, via: event.merged ? 'merged outside the queue' : 'closed' } },
          false,
        );
        return { kind: 'handled', action: result.kind === 'accepted' ? 'removed' : `refused:${result.code}` };
      }
      case 'pull_synchronized': {
        const entry = await this.store.findActive(repo, event.pullNumber);
        if (!entry) return { kind: 'ignored', reason: 'not queued' };
        const now = this.deps.clock.now();
        if (entry.status === 'updating' || entry.headSha === event.headSha) {
          // Our own update-branch landing, or a push we already saw: the next tick reads the new head.
          await this.tickQueue(repo, entry.baseBranch, now);
          return { kind: 'handled', action: 'ticked' };
        }
        if (entry.batchId !== null) await this.abandonBatchesFrom(entry.batchId, `${repo}#${entry.pullNumber} was pushed to`, now);
        await this.store.transition(
          entry,
          { status: 'queued', batchId: null, headSha: event.headSha, expectedHeadSha: null, checkRetries: 0, detail: 'new commits pushed; validating again' },
          { kind: 'requeued', detail: { why: 'head pushed', from: entry.headSha, to: event.headSha } },
          now,
        );
        await this.store.pollSoon(repo, entry.baseBranch);
        return { kind: 'handled', action: 'requeued' };
      }
      case 'checks_completed':
        await this.tickQueue(repo, config.baseBranch, this.deps.clock.now());
        return { kind: 'handled', action: 'ticked' };
      default:
        return assertNever(event, 'webhook event');
    }
  }

  /**
   * Picks up labelled pull requests whose webhook was missed, and drops entries whose label is gone.
   * Each repository on its own: one GitHub cannot read (404, 401, an outage) is marked unreachable
   * with the reason, shown in /queue, and the others carry on.
   */
  async reconcile(): Promise<{ added: number[]; removed: number[]; unreachable: string[] }> {
    const config = this.config;
    const added: number[] = [];
    const removed: number[] = [];
    const unreachable: string[] = [];
    if (!config) return { added, removed, unreachable };
    for (const repo of config.repos) {
      const now = this.deps.clock.now();
      await this.store.ensureQueue(repo, config.baseBranch, now);
      try {
        const result = await this.reconcileRepo(config, repo);
        added.push(...result.added);
        removed.push(...result.removed);
        await this.store.setReachability(repo, config.baseBranch, null, now);
      } catch (error) {
        unreachable.push(repo);
        this.log()?.warn({ err: error, repo }, 'merge queue: reconcile could not read the repository; the others carry on');
        await this.store.setReachability(repo, config.baseBranch, describeFailure(error), now);
      }
    }
    return { added, removed, unreachable };
  }

  private async reconcileRepo(config: MergeQueueConfig, repo: string): Promise<{ added: number[]; removed: number[] }> {
    const added: number[] = [];
    const removed: number[] = [];
    const labels = [config.label, ...(config.hotfixLabel ? [config.hotfixLabel] : [])];
    const labelled = await this.deps.scm.listLabelledPulls(repo, labels, config.baseBranch);
    for (const pull of labelled) {
      if (await this.store.findActive(repo, pull.number)) continue;
      const hotfix = config.hotfixLabel !== undefined && pull.labels.includes(config.hotfixLabel);
      const result = await this.enqueue({ repo, pullNumber: pull.number, requestedBy: 'github-label', source: 'label', hotfix });
      if (result.kind === 'accepted') added.push(pull.number);
    }
    const labelledSet = new Set(labelled.map((pull) => pull.number));
    const active = await this.store.activeEntries({ repo, baseBranch: config.baseBranch });
    for (const entry of active) {
      if (entry.source !== 'label' || labelledSet.has(entry.pullNumber)) continue;
      // Listed without the label: it was removed (or the PR closed) while we were not listening.
      const pull = await this.deps.scm.getPull(repo, entry.pullNumber);
      if (pull && pull.state === 'open' && labelStillThere(pull.labels, labels)) continue;
      const result = await this.removeEntry(repo, entry.pullNumber, { kind: 'removed', detail: { via: 'reconcile' } }, false);
      if (result.kind === 'accepted') removed.push(entry.pullNumber);
    }
    return { added, removed };
  }

  // ---------------------------------------------------------------- ticks

  /** Advances every queue this replica can lease by one safe step per entry, then ships waiting version sets. */
  async tick(now: Date = this.deps.clock.now()): Promise<void> {
    const config = this.config;
    if (!config) return;
    for (const repo of config.repos) await this.store.ensureQueue(repo, config.baseBranch, now);
    const claimed = await this.store.claimQueues(this.instanceId, now, this.opts.leaseMs);
    for (const queue of claimed) {
      let paused = false;
      try {
        // Reachability is cleared by the reconcile, which always reads GitHub; a tick of an empty queue does not.
        paused = await this.advance(config, queue.repo, queue.baseBranch, now);
      } catch (error) {
        this.log()?.error({ err: error, repo: queue.repo }, 'merge queue tick failed; the next tick retries from the stored state');
        await this.store.setReachability(queue.repo, queue.baseBranch, describeFailure(error), now).catch(() => {});
      } finally {
        // A paused queue is looked at by every tick (the pause is read from the database, not GitHub),
        // so an unfreeze resumes merging at the next tick rather than after the poll interval.
        await this.store.releaseQueue(queue.repo, queue.baseBranch, this.instanceId, paused ? null : this.nextPoll(now));
      }
    }
    await this.shipPendingDeploys(config);
  }

  private async tickQueue(repo: string, baseBranch: string, now: Date): Promise<void> {
    const config = this.config;
    if (!config) return;
    await this.store.ensureQueue(repo, baseBranch, now);
    const claimed = await this.store.claimQueues(this.instanceId, now, this.opts.leaseMs, { repo, baseBranch });
    if (claimed.length === 0) return;
    let paused = false;
    try {
      paused = await this.advance(config, repo, baseBranch, now);
    } finally {
      await this.store.releaseQueue(repo, baseBranch, this.instanceId, paused ? null : this.nextPoll(now));
    }
  }

  private nextPoll(now: Date): Date | null {
    return this.opts.pollIntervalMs > 0 ? new Date(now.getTime() + this.opts.pollIntervalMs) : null;
  }

  private served(config: MergeQueueConfig, repo: string): string | undefined {
    return config.repos.find((candidate) => candidate.toLowerCase() === repo.toLowerCase());
  }

  /** One safe step for the queue; answers whether it is paused. */
  private async advance(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<boolean> {
    const pause = await this.pauseState(config, now);
    const effects: QueueEffect[] = [
      pause.paused ? { kind: 'notify', notice: { kind: 'paused', repo, baseBranch, code: pause.code, message: pause.message } } : { kind: 'notify', notice: { kind: 'resumed', repo, baseBranch } },
      queueChanged(repo, baseBranch),
    ];
    await this.store.setPause(repo, baseBranch, pause.paused ? { code: pause.code, message: pause.message } : null, now, effects);
    if (pause.paused) return true;
    if (isBatching(config)) await this.advanceBatches(config, repo, baseBranch, now);
    else await this.advanceSerial(config, repo, baseBranch, now);
    return false;
  }

  private async pauseState(config: MergeQueueConfig, now: Date): Promise<PauseState> {
    const freezes: { environment: string; reason: string; until: Date | null }[] = [];
    if (config.pauseOnFreeze) {
      for (const environment of this.opts.freezeEnvironments) {
        const status = await this.deps.deliveryStatus.freezeOf(environment, now);
        if (status.frozen) freezes.push({ environment, reason: status.reason, until: status.until });
      }
    }
    const unhealthyCanaries = config.pauseOnUnhealthyCanary ? await this.deps.deliveryStatus.unhealthyCanaries() : [];
    const line = await this.deps.deliveryStatus.lineStop(now);
    return decidePause({ pauseOnFreeze: config.pauseOnFreeze, pauseOnUnhealthyCanary: config.pauseOnUnhealthyCanary, freezes, unhealthyCanaries, lineStop: line.frozen ? { reason: line.reason } : null });
  }

  /** Reads everything the domain decides on for one pull request. */
  private async observe(config: MergeQueueConfig, repo: string, pull: PullInfo): Promise<{ snapshot: PullSnapshot; checks: CommitCheck[] }> {
    const [reviews, behind, checks] = await Promise.all([
      this.deps.scm.reviews(repo, pull.number),
      this.deps.scm.behindBy(repo, config.baseBranch, pull.headSha),
      this.deps.scm.checks(repo, pull.headSha),
    ]);
    return { snapshot: snapshotOf(pull, reviews, { containsBase: behind === 0, checks: summariseChecks(checks, config.requiredChecks) }), checks };
  }

  private entryState(entry: QueueEntryRecord): EntryState {
    if (entry.status === 'merged' || entry.status === 'ejected' || entry.status === 'removed') {
      throw new Error(`entry ${entry.id} is finished (${entry.status})`);
    }
    return {
      id: entry.id,
      repo: entry.repo,
      pullNumber: entry.pullNumber,
      status: entry.status,
      headSha: entry.headSha,
      expectedHeadSha: entry.expectedHeadSha,
      updateRequestedAt: entry.updateRequestedAt,
      rechecks: entry.rechecks,
      suspectGroup: entry.suspectGroup,
    };
  }

  private async advanceSerial(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    for (let step = 0; step < this.opts.maxStepsPerTick; step++) {
      const [front] = await this.store.activeEntries({ repo, baseBranch });
      if (!front) return;
      const outcome = await this.stepFront(config, front, now);
      // Only a finished front lets the next entry take a step in the same tick.
      if (outcome !== 'finished') return;
    }
  }

  /**
   * The queue's labels on the pull request, read just before a merge: an entry whose label was
   * removed while that webhook was lost leaves instead of merging. An entry queued from Slack is
   * exempt (its label is added by the outbox, perhaps not yet).
   */
  private async leftByLabel(config: MergeQueueConfig, entry: QueueEntryRecord, pull: PullInfo, now: Date): Promise<boolean> {
    if (entry.source !== 'label') return false;
    if (labelStillThere(pull.labels, [config.label, ...(config.hotfixLabel ? [config.hotfixLabel] : [])])) return false;
    if (entry.batchId !== null) await this.abandonBatchesFrom(entry.batchId, `${entry.repo}#${entry.pullNumber} lost its label`, now);
    await this.store.transition(
      entry,
      { status: 'removed', detail: 'removed: the queue label is gone', finishedAt: now, batchId: null },
      { kind: 'removed', detail: { via: 'label gone before merge' } },
      now,
      [queueChanged(entry.repo, entry.baseBranch)],
    );
    return true;
  }

  private async stepFront(config: MergeQueueConfig, entry: QueueEntryRecord, now: Date): Promise<'finished' | 'waiting'> {
    const pull = await this.deps.scm.getPull(entry.repo, entry.pullNumber);
    if (!pull) {
      await this.eject(config, entry, null, { code: 'closed', message: 'the pull request no longer exists' }, now);
      return 'finished';
    }
    if (await this.leftByLabel(config, entry, pull, now)) return 'finished';
    const { snapshot, checks } = await this.observe(config, entry.repo, pull);
    const decision = decideFront(this.entryState(entry), snapshot, this.policy(config), now);
    this.log()?.debug({ repo: entry.repo, pull: entry.pullNumber, decision }, 'merge queue decision');
    switch (decision.kind) {
      case 'eject': {
        if (decision.reason.code === 'checks_failed') {
          const rerun = await this.rerunFailedChecks(config, entry.repo, snapshot.checks, checks, entry.checkRetries);
          if (rerun) {
            await this.store.transition(
              entry,
              { status: 'validating', headSha: snapshot.headSha, checkRetries: entry.checkRetries + 1, detail: `re-running ${rerun.join(', ')} (attempt ${entry.checkRetries + 2})` },
              { kind: 'checks_rerequested', detail: { checks: rerun, attempt: entry.checkRetries + 2 } },
              now,
            );
            return 'waiting';
          }
          await this.eject(config, entry, pull, withAttempts(decision.reason, entry.checkRetries + 1), now);
          return 'finished';
        }
        await this.eject(config, entry, pull, decision.reason, now);
        return 'finished';
      }
      case 'requeue':
        await this.requeue(entry, decision.why, now);
        return 'waiting';
      case 'update-branch': {
        const result = await this.deps.scm.updateBranch(entry.repo, entry.pullNumber, decision.expectedHeadSha);
        if (result.kind === 'accepted') {
          await this.store.transition(
            entry,
            {
              status: 'updating',
              headSha: decision.expectedHeadSha,
              expectedHeadSha: decision.expectedHeadSha,
              updateRequestedAt: now,
              startedAt: entry.startedAt ?? now,
              rechecks: 0,
              checkRetries: 0,
              detail: `updating with ${config.baseBranch}`,
            },
            { kind: 'update_requested', detail: { expectedHeadSha: decision.expectedHeadSha } },
            now,
          );
        } else {
          await this.requeue(entry, `update-branch answered ${result.status}: ${result.message}`, now);
        }
        return 'waiting';
      }
      case 'wait-for-checks': {
        const updating = entry.status === 'updating' && snapshot.headSha === entry.expectedHeadSha;
        const detail = `waiting for ${decision.waitingFor}`;
        if (updating) {
          if (entry.detail !== `updating with ${config.baseBranch}`) await this.store.touch(entry.id, { detail: `updating with ${config.baseBranch}` }, now);
        } else if (entry.status !== 'validating' || entry.headSha !== snapshot.headSha) {
          await this.store.transition(
            entry,
            {
              status: 'validating',
              headSha: snapshot.headSha,
              expectedHeadSha: null,
              startedAt: entry.startedAt ?? now,
              ...(entry.headSha !== snapshot.headSha ? { checkRetries: 0 } : {}),
              detail,
            },
            { kind: 'validating', detail: { headSha: snapshot.headSha } },
            now,
          );
        } else if (entry.detail !== detail && !entry.detail.startsWith('re-running')) {
          await this.store.touch(entry.id, { detail }, now);
        }
        return 'waiting';
      }
      case 'merge': {
        const merged = await this.mergeEntry(config, entry, pull, decision.expectedHeadSha, now);
        return merged ? 'finished' : 'waiting';
      }
      case 'proceed':
        return 'waiting';
      default:
        return assertNever(decision, 'entry decision');
    }
  }

  /**
   * With `retryFailedChecks: N`, a failed required check is re-run (Checks API rerequest) up to N
   * times before the entry is ejected. Answers the names re-run, or null when the retries are spent.
   */
  private async rerunFailedChecks(config: MergeQueueConfig, repo: string, summary: ChecksSummary, checks: CommitCheck[], retriesSoFar: number): Promise<string[] | null> {
    if (retriesSoFar >= config.retryFailedChecks) return null;
    const rerun = retryableFailures(summary, checks);
    if (rerun.length === 0) return null;
    for (const check of rerun) await this.deps.scm.rerunCheck(repo, check.checkRunId);
    return rerun.map((check) => check.name);
  }

  /** Merges with the head-SHA guard; on 405/409/422 the entry is re-checked, never retried blindly. */
  private async mergeEntry(config: MergeQueueConfig, entry: QueueEntryRecord, pull: PullInfo, expectedHeadSha: string, now: Date): Promise<boolean> {
    const result = await this.deps.scm.merge(entry.repo, entry.pullNumber, expectedHeadSha, {
      method: config.mergeMethod,
      commitTitle: `${pull.title} (#${entry.pullNumber})`,
    });
    if (result.kind === 'rejected') {
      await this.requeue(entry, `merge answered ${result.status}: ${result.message}`, now);
      return false;
    }
    const mergeCommitSha = result.sha ?? expectedHeadSha;
    // Minting is idempotent per service@version, so a crash before the commit below mints nothing twice.
    const versionSetIds = await this.mintVersionSets(entry, mergeCommitSha);
    const effects: QueueEffect[] = [];
    if (config.removeLabelOnMerge) effects.push({ kind: 'remove_label', repo: entry.repo, pullNumber: entry.pullNumber, label: config.label });
    effects.push(
      { kind: 'notify', notice: { kind: 'merged', ...this.noticeBase(entry), mergeCommitSha, versionSetIds } },
      queueChanged(entry.repo, entry.baseBranch),
    );
    const merged = await this.store.transition(
      entry,
      { status: 'merged', mergeCommitSha, versionSetIds, finishedAt: now, startedAt: entry.startedAt ?? now, detail: 'merged', headSha: expectedHeadSha },
      { kind: 'merged', detail: { mergeCommitSha, headSha: expectedHeadSha, versionSetIds } },
      now,
      effects,
    );
    await this.autoDeploy(config, merged, versionSetIds);
    return true;
  }

  /**
   * Records the new version of every service the repository maps to (for a monorepo, those whose
   * `path` the pull request touched), each minting a version set.
   */
  private async mintVersionSets(entry: QueueEntryRecord, mergeCommitSha: string): Promise<number[]> {
    const services = Object.entries(this.deps.config.services).filter(([, service]) => service.repo.toLowerCase() === entry.repo.toLowerCase());
    if (services.length === 0) return [];
    const needsFiles = services.some(([, service]) => service.path !== undefined);
    const files = needsFiles ? await this.deps.scm.pullFiles(entry.repo, entry.pullNumber) : [];
    const ids: number[] = [];
    for (const [name, service] of services) {
      if (service.path !== undefined) {
        const prefix = service.path.replace(/^\.?\/+/, '').replace(/\/*$/, '/');
        if (!files.some((file) => file.startsWith(prefix))) continue;
      }
      const { versionSetId } = await this.deps.versionSets.recordMerge({
        service: name,
        version: mergeCommitSha,
        commitSha: mergeCommitSha,
        pullNumber: entry.pullNumber,
        repo: entry.repo,
      });
      ids.push(versionSetId);
    }
    return ids;
  }

  // ---------------------------------------------------------------- autoDeployTo, converging

  /**
   * Deploys the newest set a merge minted to `autoDeployTo`. A busy environment does not drop it:
   * the set waits (superseding an older waiting one) and ships on a later tick once it frees up.
   */
  private async autoDeploy(config: MergeQueueConfig, entry: QueueEntryRecord, versionSetIds: number[]): Promise<void> {
    const environment = config.autoDeployTo;
    const latest = versionSetIds[versionSetIds.length - 1];
    if (!environment || latest === undefined) return;
    if (!this.deps.deployer) {
      this.log()?.warn({ environment }, 'mergeQueue.autoDeployTo is set but no deployer was given');
      return;
    }
    const waiting = (await this.store.pendingDeploys()).find((pending) => pending.environment === environment);
    if (waiting && waiting.versionSetId > latest) return;
    await this.deploySet(entry.repo, environment, latest, waiting?.versionSetId ?? null);
  }

  /** Tries the waiting sets again: each ships once its environment is free. */
  private async shipPendingDeploys(config: MergeQueueConfig): Promise<void> {
    if (!config.autoDeployTo || !this.deps.deployer) return;
    for (const pending of await this.store.pendingDeploys()) {
      await this.deploySet(pending.repo, pending.environment, pending.versionSetId, pending.versionSetId, true);
    }
  }

  private async deploySet(repo: string, environment: string, versionSetId: number, waitingSetId: number | null, retry = false): Promise<void> {
    const now = this.deps.clock.now();
    const outcome = await this.deps.deployer!.deployVersionSet({ versionSetId, environment });
    const notice = (body: Extract<MergeQueueNotice, { kind: 'deploy' }>['outcome']): QueueEffect => ({
      kind: 'notify',
      notice: { kind: 'deploy', repo, environment, versionSetId, outcome: body },
    });
    if (outcome.kind === 'accepted') {
      if (waitingSetId !== null) await this.store.forgetPendingDeploy(environment, waitingSetId);
      await this.store.addEffects([notice({ kind: 'started', releaseId: outcome.releaseId })], now);
      return;
    }
    if (outcome.code === 'environment_busy') {
      if (retry) return; // still busy: it keeps waiting, already announced
      const superseded = await this.store.rememberPendingDeploy({ environment, versionSetId, repo, reason: outcome.message, since: now });
      await this.store.addEffects([notice({ kind: 'waiting', reason: outcome.message, superseded })], now);
      return;
    }
    if (waitingSetId !== null) await this.store.forgetPendingDeploy(environment, waitingSetId);
    await this.store.addEffects([notice({ kind: 'refused', code: outcome.code, message: outcome.message })], now);
  }

  private async requeue(entry: QueueEntryRecord, why: string, now: Date): Promise<void> {
    await this.store.transition(
      entry,
      { status: 'queued', expectedHeadSha: null, updateRequestedAt: null, batchId: null, rechecks: entry.rechecks + 1, detail: `re-checking: ${why}` },
      { kind: 'requeued', detail: { why } },
      now,
    );
  }

  private async eject(config: MergeQueueConfig, entry: QueueEntryRecord, pull: PullInfo | null, reason: EjectReason, now: Date): Promise<void> {
    const effects: QueueEffect[] = [];
    if (pull && pull.state === 'open') {
      effects.push(
        {
          kind: 'comment',
          repo: entry.repo,
          pullNumber: entry.pullNumber,
          body: `**Removed from the merge queue** (\`${reason.code}\`): ${reason.message}.\n\nFix it and add the \`${config.label}\` label (or \`/queue add ${entry.repo}#${entry.pullNumber}\`) to queue it again.`,
        },
        { kind: 'remove_label', repo: entry.repo, pullNumber: entry.pullNumber, label: config.label },
      );
    }
    effects.push({ kind: 'notify', notice: { kind: 'ejected', ...this.noticeBase(entry), reason } }, queueChanged(entry.repo, entry.baseBranch));
    await this.store.transition(
      entry,
      { status: 'ejected', ejectCode: reason.code, ejectMessage: reason.message, finishedAt: now, batchId: null, detail: `ejected: ${reason.message}` },
      { kind: 'ejected', detail: { ...reason } },
      now,
      effects,
    );
  }

  // ---------------------------------------------------------------- batches

  private async advanceBatches(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    const [front] = await this.store.openBatches(repo, baseBranch);
    if (front) await this.judgeBatch(config, front, now);
    await this.fillBatches(config, repo, baseBranch, now);
  }

  /** Judges the front batch from the checks on its branch head; true when it is finished. */
  private async judgeBatch(config: MergeQueueConfig, batch: QueueBatchRecord, now: Date): Promise<boolean> {
    if (!batch.headSha || !batch.branch) {
      await this.abandonBatchesFrom(batch.id, 'the batch branch was never completed', now);
      return true;
    }
    const runs = await this.deps.scm.checks(batch.repo, batch.headSha);
    const checks = summariseChecks(runs, config.requiredChecks);
    const decision = decideBatch(batch.entryIds, batch.headSha, checks);
    const entries = await this.batchEntries(batch);
    if (decision.kind === 'eject' || decision.kind === 'bisect') {
      const rerun = await this.rerunFailedChecks(config, batch.repo, checks, runs, batch.checkRetries);
      if (rerun) {
        await this.store.updateBatch(
          batch.id,
          { checkRetries: batch.checkRetries + 1 },
          { repo: batch.repo, kind: 'batch_checks_rerequested', detail: { checks: rerun, attempt: batch.checkRetries + 2 } },
          now,
        );
        for (const entry of entries) await this.store.touch(entry.id, { detail: `tested in batch ${batch.id}: re-running ${rerun.join(', ')} (attempt ${batch.checkRetries + 2})` }, now);
        return false;
      }
    }
    switch (decision.kind) {
      case 'wait-for-checks': {
        const detail = `tested in batch ${batch.id}: waiting for ${decision.waitingFor}`;
        for (const entry of entries) if (entry.detail !== detail && !entry.detail.includes('re-running')) await this.store.touch(entry.id, { detail }, now);
        return false;
      }
      case 'merge':
        await this.mergeBatch(config, batch, entries, now);
        return true;
      case 'eject': {
        const entry = entries.find((candidate) => candidate.id === decision.entryId);
        await this.finishBatch(batch, 'failed', now, { checks });
        await this.abandonLaterBatches(batch, now);
        if (entry) {
          const pull = await this.deps.scm.getPull(entry.repo, entry.pullNumber);
          await this.eject(config, entry, pull, withAttempts(decision.reason, batch.checkRetries + 1), now);
        }
        return true;
      }
      case 'bisect': {
        await this.finishBatch(batch, 'failed', now, { checks, bisect: decision });
        await this.abandonLaterBatches(batch, now);
        const [first, second] = await this.store.allocateSuspectGroups(batch.repo, batch.baseBranch, 2);
        for (const entry of entries) {
          const group = decision.retestFirst.includes(entry.id) ? first! : second!;
          await this.store.transition(
            entry,
            { status: 'queued', batchId: null, suspectGroup: group, detail: `batch ${batch.id} failed; bisecting to find the culprit` },
            { kind: 'bisected', detail: { batchId: batch.id, group } },
            now,
          );
        }
        return true;
      }
      default:
        return assertNever(decision, 'batch decision');
    }
  }

  private async batchEntries(batch: QueueBatchRecord): Promise<QueueEntryRecord[]> {
    const active = await this.store.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    return batch.entryIds.flatMap((id) => active.filter((entry) => entry.id === id && entry.batchId === batch.id));
  }

  /**
   * A green batch merges in queue order, each pull request guarded by the head SHA that was tested,
   * and only if the base is still where the batch was cut (or where the batch it speculated on landed),
   * every head is still the tested one and every label is still there: a prefix of a green batch is
   * not known to be green, so nothing merges unless all of it may.
   */
  private async mergeBatch(config: MergeQueueConfig, batch: QueueBatchRecord, entries: QueueEntryRecord[], now: Date): Promise<void> {
    const expectedBase = batch.parentBatchId === null ? batch.baseSha : ((await this.store.batch(batch.parentBatchId))?.landedSha ?? null);
    const tip = await this.deps.scm.branchSha(batch.repo, batch.baseBranch);
    if (expectedBase === null || tip !== expectedBase || entries.length !== batch.entryIds.length) {
      await this.abandonBatchesFrom(batch.id, `\`${batch.baseBranch}\` moved since the batch was cut`, now);
      return;
    }
    const pulls: PullInfo[] = [];
    for (const entry of entries) {
      const pull = await this.deps.scm.getPull(entry.repo, entry.pullNumber);
      if (!pull || pull.headSha !== entry.headSha) {
        await this.abandonBatchesFrom(batch.id, `the head of ${entry.repo}#${entry.pullNumber} moved after it was tested`, now);
        return;
      }
      if (await this.leftByLabel(config, entry, pull, now)) return;
      if (pull.state !== 'open' || pull.draft) {
        await this.abandonBatchesFrom(batch.id, `${entry.repo}#${entry.pullNumber} was ${pull.draft ? 'made a draft' : 'closed'} after it was tested`, now);
        return;
      }
      pulls.push(pull);
    }
    let landedSha: string | null = null;
    for (const [index, entry] of entries.entries()) {
      const pull = pulls[index]!;
      const merged = await this.mergeEntry(config, entry, pull, pull.headSha, now);
      if (!merged) {
        await this.abandonRest(batch, entries.slice(index + 1), `${entry.repo}#${entry.pullNumber} could not merge`, now);
        return;
      }
      landedSha = (await this.store.entry(entry.id))?.mergeCommitSha ?? landedSha;
    }
    await this.finishBatch(batch, 'merged', now, {}, landedSha);
  }

  private async abandonRest(batch: QueueBatchRecord, rest: QueueEntryRecord[], why: string, now: Date): Promise<void> {
    for (const entry of rest) {
      const fresh = await this.store.entry(entry.id);
      if (fresh && fresh.finishedAt === null) await this.requeueUncounted(fresh, why, now);
    }
    await this.finishBatch(batch, 'abandoned', now, { why });
    await this.abandonLaterBatches(batch, now);
  }

  /** A batch and every batch speculating on top of it go back to the queue (positions kept). */
  private async abandonBatchesFrom(batchId: number, why: string, now: Date): Promise<void> {
    const batch = await this.store.batch(batchId);
    if (!batch || batch.status !== 'testing') return;
    const active = await this.store.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    for (const entry of active) if (entry.batchId === batch.id) await this.requeueUncounted(entry, why, now);
    await this.finishBatch(batch, 'abandoned', now, { why });
    await this.abandonLaterBatches(batch, now);
  }

  private async abandonLaterBatches(batch: QueueBatchRecord, now: Date): Promise<void> {
    const open = await this.store.openBatches(batch.repo, batch.baseBranch);
    const later = open.filter((candidate) => candidate.id > batch.id);
    const active = await this.store.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    for (const other of later) {
      for (const entry of active) {
        if (entry.batchId === other.id) await this.requeueUncounted(entry, `batch ${batch.id} ahead of it did not merge`, now);
      }
      await this.finishBatch(other, 'abandoned', now, { why: `batch ${batch.id} ahead of it did not merge` });
    }
  }

  private async requeueUncounted(entry: QueueEntryRecord, why: string, now: Date): Promise<void> {
    await this.store.transition(entry, { status: 'queued', batchId: null, detail: `waiting for a new batch: ${why}` }, { kind: 'requeued', detail: { why } }, now);
  }

  private async finishBatch(batch: QueueBatchRecord, status: 'merged' | 'failed' | 'abandoned', now: Date, detail: Record<string, unknown>, landedSha: string | null = null): Promise<void> {
    const effects: QueueEffect[] = batch.branch ? [{ kind: 'delete_branch', repo: batch.repo, branch: batch.branch }] : [];
    await this.store.updateBatch(batch.id, { status, finishedAt: now, landedSha }, { repo: batch.repo, kind: `batch_${status}`, detail }, now, effects);
  }

  /** Cuts new batches until `speculativeBatches` are under test, each on top of the one before it. */
  private async fillBatches(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    for (;;) {
      const open = await this.store.openBatches(repo, baseBranch);
      if (open.length >= config.speculativeBatches) return;
      const parent = open[open.length - 1] ?? null;
      const picked = await this.pickBatch(config, repo, baseBranch, now);
      if (picked.length === 0) return;
      const built = await this.buildBatch(config, repo, baseBranch, parent, picked, now);
      if (!built) return;
    }
  }

  /** The next batch's entries, after ejecting the front candidates that cannot merge at all. */
  private async pickBatch(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<Candidate[]> {
    // Not only `queued`: entries left `updating`/`validating` by serial mode (the config changed) join batches too.
    const waiting = (await this.store.activeEntries({ repo, baseBranch })).filter((entry) => entry.status !== 'batched');
    const eligible: Candidate[] = [];
    for (const entry of waiting) {
      if (eligible.length >= config.batchSize) break;
      const pull = await this.deps.scm.getPull(repo, entry.pullNumber);
      if (!pull) {
        await this.eject(config, entry, null, { code: 'closed', message: 'the pull request no longer exists' }, now);
        continue;
      }
      if (await this.leftByLabel(config, entry, pull, now)) continue;
      const reviews = await this.deps.scm.reviews(repo, entry.pullNumber);
      // A batch is tested on its own branch off the base, so here only reviews and conflicts count.
      const snapshot = snapshotOf(pull, reviews, { containsBase: true, checks: { state: 'pending', waitingFor: [] } });
      const decision = decideBatchCandidate(this.entryState(entry), snapshot, this.policy(config));
      if (decision.kind === 'eject') await this.eject(config, entry, pull, decision.reason, now);
      else eligible.push({ entry: { ...entry, headSha: pull.headSha }, pull });
    }
    const plan = planBatch(eligible.map(({ entry }) => ({ id: entry.id, suspectGroup: entry.suspectGroup })), config.batchSize);
    return eligible.filter(({ entry }) => plan.includes(entry.id));
  }

  /**
   * Builds the batch on a temporary ref CI ignores (`durable-delivery/tmp/<base>`), merging each head
   * in, then creates the batch branch at the finished commit in one ref update: CI (which builds
   * `durable-delivery/queue/**`) runs once per batch, not once per merged head. The bors way
   * (staging.tmp, then staging).
   */
  private async buildBatch(config: MergeQueueConfig, repo: string, baseBranch: string, parent: QueueBatchRecord | null, picked: Candidate[], now: Date): Promise<boolean> {
    const baseSha = parent ? parent.headSha : await this.deps.scm.branchSha(repo, baseBranch);
    if (!baseSha) throw new Error(`${repo}: base branch ${baseBranch} not found`);
    const buildRef = batchBuildRef(baseBranch);
    await this.deps.scm.resetBranch(repo, buildRef, baseSha);
    let headSha = baseSha;
    const included: Candidate[] = [];
    for (const candidate of picked) {
      const { entry, pull } = candidate;
      const result = await this.deps.scm.mergeIntoBranch(repo, buildRef, pull.headSha, `Merge #${entry.pullNumber} into ${baseBranch} (merge queue)`);
      if (result.kind === 'conflict') {
        await this.eject(
          config,
          entry,
          pull,
          { code: 'conflict', message: `it conflicts with \`${baseBranch}\` combined with the pull requests ahead of it in the queue` },
          now,
        );
        continue;
      }
      if (result.kind === 'merged') headSha = result.sha;
      included.push(candidate);
    }
    if (included.length === 0) return true;
    const batch = await this.store.insertBatch({ repo, baseBranch, baseSha, parentBatchId: parent?.id ?? null, headSha, entryIds: included.map(({ entry }) => entry.id) }, now);
    const branch = batchBranchName(baseBranch, batch.id);
    await this.deps.scm.createBranch(repo, branch, headSha);
    for (const { entry, pull } of included) {
      await this.store.transition(
        entry,
        { status: 'batched', batchId: batch.id, headSha: pull.headSha, startedAt: entry.startedAt ?? now, detail: `tested in batch ${batch.id}` },
        { kind: 'batched', detail: { batchId: batch.id, branch } },
        now,
      );
    }
    await this.store.updateBatch(batch.id, { branch }, { repo, kind: 'batch_testing', detail: { branch, headSha, entryIds: batch.entryIds } }, now);
    return true;
  }

  // ---------------------------------------------------------------- the queue's outbox

  /** Runs due effects (comments, labels, Slack notices, branch clean-up); answers how many ran. */
  async runEffects(limit = 50): Promise<number> {
    const claimed = await this.store.claimEffects(this.deps.clock.now(), this.opts.leaseMs, limit);
    for (const row of claimed) {
      try {
        await this.runEffect(row.effect);
        await this.store.finishEffect(row.id, this.deps.clock.now());
      } catch (error) {
        const now = this.deps.clock.now();
        const retryAt = row.attempts >= this.opts.maxEffectAttempts ? null : new Date(now.getTime() + backoffMs(row.attempts));
        this.log()?.warn({ err: error, effect: row.effect.kind, attempts: row.attempts }, 'merge queue: effect failed; retried later');
        await this.store.failEffect(row.id, (error as Error).message, retryAt, now);
      }
    }
    return claimed.length;
  }

  private async runEffect(effect: QueueEffect): Promise<void> {
    switch (effect.kind) {
      case 'comment':
        return this.deps.scm.createComment(effect.repo, effect.pullNumber, effect.body);
      case 'add_label':
        return this.deps.scm.addLabel(effect.repo, effect.pullNumber, effect.label);
      case 'remove_label':
        return this.deps.scm.removeLabel(effect.repo, effect.pullNumber, effect.label);
      case 'delete_branch':
        return this.deps.scm.deleteBranch(effect.repo, effect.branch);
      case 'notify':
        return this.deps.notifier.notify(effect.notice);
      default:
        return assertNever(effect, 'queue effect');
    }
  }
}

function queueChanged(repo: string, baseBranch: string): QueueEffect {
  return { kind: 'notify', notice: { kind: 'queue_changed', repo, baseBranch } };
}


/** The ejection says how many attempts of the checks failed when some were re-runs. */
function withAttempts(reason: EjectReason, attempts: number): EjectReason {
  if (attempts <= 1) return reason;
  return { ...reason, message: `${reason.message} (failed ${attempts} attempts)` };
}

function backoffMs(attempts: number): number {
  return Math.min(5 * 60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

/** A short reason for /queue: the HTTP status GitHub answered, or the error's message. */
function describeFailure(error: unknown): string {
  const status = (error as { status?: unknown }).status;
  const message = (error as Error).message ?? String(error);
  if (status === 404) return 'GitHub answers 404 Not Found (is the repository name right, and is the app installed on it?)';
  if (status === 401 || status === 403) return `GitHub answers ${status}: ${message} (check the token's access to this repository)`;
  return typeof status === 'number' ? `GitHub answers ${status}: ${message}` : message;
}

/** What the domain decides on for one pull request, from what GitHub said of it. */
function snapshotOf(
  pull: PullInfo,
  reviews: { approvals: number; changesRequested: boolean },
  rest: Pick<PullSnapshot, 'containsBase' | 'checks'>,
): PullSnapshot {
  return {
    state: pull.state,
    merged: pull.merged,
    draft: pull.draft,
    title: pull.title,
    author: pull.author,
    headSha: pull.headSha,
    baseRef: pull.baseRef,
    mergeable: pull.mergeable,
    approvals: reviews.approvals,
    changesRequested: reviews.changesRequested,
    ...rest,
  };
}
