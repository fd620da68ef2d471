import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { DeliveryConfig, MergeQueueConfig } from '../../config/delivery-schema.js';
import { batchBranchName, decideBatch, planBatch } from '../../domain/merge-queue/batch.js';
import { summariseChecks } from '../../domain/merge-queue/checks.js';
import { decideBatchCandidate, decideFront } from '../../domain/merge-queue/decide-entry.js';
import { estimateMergeTimes, typicalCycleMs } from '../../domain/merge-queue/estimate.js';
import { decidePause, type PauseState } from '../../domain/merge-queue/pause.js';
import type { EjectReason, EntryState, PullSnapshot, QueuePolicy } from '../../domain/merge-queue/types.js';
import { assertNever } from '../../domain/assert-never.js';
import type { Clock } from '../../ports/clock.js';
import type { DeliveryStatus } from '../../ports/delivery-status.js';
import type { PullInfo, Scm } from '../../ports/scm.js';
import type { VersionSets } from '../../ports/version-sets.js';
import type { Db } from '../../store/db.js';
import { DrizzleMergeQueueRepo } from '../../store/repos/merge-queue-repo.js';
import type { MergeQueueBatchRow, MergeQueueEntryRow } from '../../store/schema/merge-queue.js';
import type { Deployer, MergeQueueNotice, MergeQueueNotifier } from './ports.js';
import type { QueueView, QueueViewQueue } from './view.js';
import type { QueueWebhookEvent } from './webhook-event.js';

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
}

export interface MergeQueueServiceDeps {
  db: Db;
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
}

const DEFAULTS = { leaseMs: 120_000, updateTimeoutMs: 300_000, maxRechecks: 5, defaultCycleMs: 12 * 60_000, maxStepsPerTick: 3, pollIntervalMs: 30_000 };

const refused = (code: string, message: string): Refusal => ({ kind: 'refused', code, message });

/**
 * The merge queue on GitHub. Each tick leases the queues nobody else holds, reads GitHub, lets the pure
 * domain decide one safe step per entry (update-branch, wait, merge, eject, requeue; or build, judge and
 * bisect batches), carries it out with SHA-guarded calls, and records the new state with its event.
 */
export class MergeQueueService {
  private readonly repo: DrizzleMergeQueueRepo;
  private readonly instanceId: string;
  private readonly opts: Required<Omit<MergeQueueServiceOptions, 'instanceId' | 'freezeEnvironments'>> & { freezeEnvironments: string[] };

  constructor(private readonly deps: MergeQueueServiceDeps) {
    this.repo = new DrizzleMergeQueueRepo(deps.db);
    this.instanceId = deps.options?.instanceId ?? `mq-${randomUUID()}`;
    const environments = Object.keys(deps.config.environments);
    const defaultFreeze = [deps.config.mergeQueue?.autoDeployTo, environments[environments.length - 1]].filter(
      (environment): environment is string => environment !== undefined,
    );
    this.opts = {
      leaseMs: deps.options?.leaseMs ?? DEFAULTS.leaseMs,
      updateTimeoutMs: deps.options?.updateTimeoutMs ?? DEFAULTS.updateTimeoutMs,
      maxRechecks: deps.options?.maxRechecks ?? DEFAULTS.maxRechecks,
      defaultCycleMs: deps.options?.defaultCycleMs ?? DEFAULTS.defaultCycleMs,
      maxStepsPerTick: deps.options?.maxStepsPerTick ?? DEFAULTS.maxStepsPerTick,
      pollIntervalMs: deps.options?.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
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

  // ---------------------------------------------------------------- entering and leaving

  async enqueue(request: { repo: string; pullNumber: number; requestedBy: string; source: 'slack' | 'label' }): Promise<EnqueueResult> {
    const config = this.config;
    if (!config) return refused('queue_not_configured', 'The merge queue is not configured (mergeQueue in the delivery config).');
    const repo = request.repo.toLowerCase();
    const served = config.repos.find((candidate) => candidate.toLowerCase() === repo);
    if (!served) {
      return refused('unknown_repo', `The queue does not serve ${request.repo}; it serves ${config.repos.join(', ') || 'no repository yet'}.`);
    }
    const existing = await this.repo.findActive(served, request.pullNumber);
    if (existing) {
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
    await this.repo.ensureQueue(served, config.baseBranch, now);
    const row = await this.repo.insertEntry(
      {
        repo: served,
        baseBranch: config.baseBranch,
        pullNumber: request.pullNumber,
        title: pull.title,
        author: pull.author,
        requestedBy: request.requestedBy,
        source: request.source,
        headSha: pull.headSha,
      },
      now,
    );
    if (!row) {
      // Another replica (or the label's webhook) queued it a moment ago.
      const raced = await this.repo.findActive(served, request.pullNumber);
      return refused('already_queued', `${served}#${request.pullNumber} is already in the queue, at position ${raced ? await this.positionOf(raced) : '?'}.`);
    }
    await this.repo.pollSoon(served, config.baseBranch);
    if (request.source === 'slack' && !pull.labels.includes(config.label)) {
      // The label mirrors the queue on GitHub; its webhook then finds the entry already there.
      await this.bestEffort('add label', () => this.deps.scm.addLabel(served, request.pullNumber, config.label));
    }
    await this.notify({ kind: 'queue_changed', repo: served, baseBranch: config.baseBranch });
    return { kind: 'accepted', entryId: row.id, repo: served, pullNumber: request.pullNumber, position: await this.positionOf(row) };
  }

  /** `actor` is a Slack user id, or the Slack surface's Actor ({ userId, … }). */
  async remove(request: { repo: string; pullNumber: number; actor: string | { userId: string } }): Promise<RemoveResult> {
    const actor = typeof request.actor === 'string' ? request.actor : request.actor.userId;
    return this.removeEntry(request.repo, request.pullNumber, { kind: 'removed', detail: { actor } }, true);
  }

  private async removeEntry(repoName: string, pullNumber: number, event: { kind: string; detail: Record<string, unknown> }, dropLabel: boolean): Promise<RemoveResult> {
    const config = this.config;
    if (!config) return refused('queue_not_configured', 'The merge queue is not configured (mergeQueue in the delivery config).');
    const repo = config.repos.find((candidate) => candidate.toLowerCase() === repoName.toLowerCase()) ?? repoName;
    const entry = await this.repo.findActive(repo, pullNumber);
    if (!entry) return refused('not_queued', `${repo}#${pullNumber} is not in the queue.`);
    const now = this.deps.clock.now();
    if (entry.batchId !== null) await this.abandonBatchesFrom(entry.batchId, `${repo}#${pullNumber} left the queue`, now);
    await this.repo.transition(entry, { status: 'removed', detail: 'removed', finishedAt: now, batchId: null }, event, now);
    if (dropLabel) await this.bestEffort('remove label', () => this.deps.scm.removeLabel(repo, pullNumber, config.label));
    await this.notify({ kind: 'queue_changed', repo, baseBranch: entry.baseBranch });
    return { kind: 'accepted', repo, pullNumber };
  }

  // ---------------------------------------------------------------- the view

  async list(): Promise<QueueView> {
    const config = this.config;
    if (!config) return { queues: [] };
    const now = this.deps.clock.now();
    const queueRows = await this.repo.queues();
    const entries = await this.repo.activeEntries();
    const queues: QueueViewQueue[] = [];
    for (const queue of queueRows) {
      const mine = entries.filter((entry) => entry.repo === queue.repo && entry.baseBranch === queue.baseBranch);
      const paused = queue.pausedCode ? { code: queue.pausedCode, message: queue.pausedMessage ?? queue.pausedCode } : null;
      const cycleMs = typicalCycleMs(await this.repo.recentCycleDurationsMs(queue.repo, queue.baseBranch), this.opts.defaultCycleMs);
      const frontStartedAt = mine.map((entry) => entry.startedAt).find((at): at is Date => at !== null) ?? null;
      const estimates = estimateMergeTimes({ positions: mine.length, batchSize: config.batchSize, cycleMs, frontStartedAt, now });
      queues.push({
        repo: queue.repo,
        baseBranch: queue.baseBranch,
        mode: config.batchSize > 1 || this.speculation(config) > 1 ? 'batch' : 'serial',
        batchSize: config.batchSize,
        paused,
        entries: mine.map((entry, index) => ({
          position: index + 1,
          repo: entry.repo,
          pullNumber: entry.pullNumber,
          title: entry.title,
          author: entry.author,
          url: pullUrl(entry.repo, entry.pullNumber),
          requestedBy: entry.requestedBy,
          source: entry.source,
          state: entry.status,
          detail: entry.detail,
          batchId: entry.batchId,
          enqueuedAt: entry.enqueuedAt,
          estimatedMergeAt: paused ? null : (estimates[index] ?? null),
        })),
      });
    }
    return { queues: queues.filter((queue) => queue.entries.length > 0 || queue.paused !== null) };
  }

  private async positionOf(entry: MergeQueueEntryRow): Promise<number> {
    const entries = await this.repo.activeEntries({ repo: entry.repo, baseBranch: entry.baseBranch });
    return entries.findIndex((candidate) => candidate.id === entry.id) + 1;
  }

  // ---------------------------------------------------------------- webhooks and reconcile

  async handleWebhook(event: QueueWebhookEvent): Promise<WebhookOutcome> {
    const config = this.config;
    if (!config) return { kind: 'ignored', reason: 'queue not configured' };
    if (event.kind === 'ignored') return event;
    const repo = config.repos.find((candidate) => candidate.toLowerCase() === event.repo.toLowerCase());
    if (!repo) return { kind: 'ignored', reason: `repository ${event.repo} is not served` };
    switch (event.kind) {
      case 'pull_labeled': {
        if (event.label !== config.label) return { kind: 'ignored', reason: `label ${event.label}` };
        const result = await this.enqueue({ repo, pullNumber: event.pullNumber, requestedBy: event.sender, source: 'label' });
        if (result.kind === 'refused' && result.code !== 'already_queued') {
          await this.bestEffort('comment', () =>
            this.deps.scm.createComment(repo, event.pullNumber, `This pull request could not join the merge queue: ${result.message}`),
          );
        }
        return { kind: 'handled', action: result.kind === 'accepted' ? 'enqueued' : `refused:${result.code}` };
      }
      case 'pull_unlabeled': {
        if (event.label !== config.label) return { kind: 'ignored', reason: `label ${event.label}` };
        const result = await this.removeEntry(repo, event.pullNumber, { kind: 'removed', detail: { actor: event.sender, via: 'label' } }, false);
        return { kind: 'handled', action: result.kind === 'accepted' ? 'removed' : `refused:${result.code}` };
      }
      case 'pull_closed': {
        const entry = await this.repo.findActive(repo, event.pullNumber);
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
        const entry = await this.repo.findActive(repo, event.pullNumber);
        if (!entry) return { kind: 'ignored', reason: 'not queued' };
        const now = this.deps.clock.now();
        if (entry.status === 'updating' || entry.headSha === event.headSha) {
          // Our own update-branch landing, or a push we already saw: the next tick reads the new head.
          await this.tickQueue(repo, entry.baseBranch, now);
          return { kind: 'handled', action: 'ticked' };
        }
        if (entry.batchId !== null) await this.abandonBatchesFrom(entry.batchId, `${repo}#${entry.pullNumber} was pushed to`, now);
        await this.repo.transition(
          entry,
          { status: 'queued', batchId: null, headSha: event.headSha, expectedHeadSha: null, detail: 'new commits pushed; validating again' },
          { kind: 'requeued', detail: { why: 'head pushed', from: entry.headSha, to: event.headSha } },
          now,
        );
        await this.repo.pollSoon(repo, entry.baseBranch);
        return { kind: 'handled', action: 'requeued' };
      }
      case 'checks_completed':
        await this.tickQueue(repo, config.baseBranch, this.deps.clock.now());
        return { kind: 'handled', action: 'ticked' };
      default:
        return assertNever(event, 'webhook event');
    }
  }

  /** Picks up labelled pull requests whose webhook was missed, and drops entries whose label is gone. */
  async reconcile(): Promise<{ added: number[]; removed: number[] }> {
    const config = this.config;
    const added: number[] = [];
    const removed: number[] = [];
    if (!config) return { added, removed };
    for (const repo of config.repos) {
      const labelled = await this.deps.scm.listLabelledPulls(repo, config.label, config.baseBranch);
      for (const pullNumber of labelled) {
        if (await this.repo.findActive(repo, pullNumber)) continue;
        const result = await this.enqueue({ repo, pullNumber, requestedBy: 'github-label', source: 'label' });
        if (result.kind === 'accepted') added.push(pullNumber);
      }
      const labelledSet = new Set(labelled);
      const active = await this.repo.activeEntries({ repo, baseBranch: config.baseBranch });
      for (const entry of active) {
        if (entry.source !== 'label' || labelledSet.has(entry.pullNumber)) continue;
        // Listed without the label: it was removed (or the PR closed) while we were not listening.
        const pull = await this.deps.scm.getPull(repo, entry.pullNumber);
        if (pull && pull.state === 'open' && pull.labels.includes(config.label)) continue;
        const result = await this.removeEntry(repo, entry.pullNumber, { kind: 'removed', detail: { via: 'reconcile' } }, false);
        if (result.kind === 'accepted') removed.push(entry.pullNumber);
      }
    }
    return { added, removed };
  }

  // ---------------------------------------------------------------- ticks

  /** Advances every queue this replica can lease by one safe step per entry. */
  async tick(now: Date = this.deps.clock.now()): Promise<void> {
    const config = this.config;
    if (!config) return;
    for (const repo of config.repos) await this.repo.ensureQueue(repo, config.baseBranch, now);
    const claimed = await this.repo.claimQueues(this.instanceId, now, this.opts.leaseMs);
    for (const queue of claimed) {
      try {
        await this.advance(config, queue.repo, queue.baseBranch, now);
      } catch (error) {
        this.log()?.error({ err: error, repo: queue.repo }, 'merge queue tick failed; the next tick retries from the stored state');
      } finally {
        await this.repo.releaseQueue(queue.repo, queue.baseBranch, this.instanceId, this.nextPoll(now));
      }
    }
  }

  private async tickQueue(repo: string, baseBranch: string, now: Date): Promise<void> {
    const config = this.config;
    if (!config) return;
    await this.repo.ensureQueue(repo, baseBranch, now);
    const claimed = await this.repo.claimQueues(this.instanceId, now, this.opts.leaseMs, { repo, baseBranch });
    if (claimed.length === 0) return;
    try {
      await this.advance(config, repo, baseBranch, now);
    } finally {
      await this.repo.releaseQueue(repo, baseBranch, this.instanceId, this.nextPoll(now));
    }
  }

  private nextPoll(now: Date): Date | null {
    return this.opts.pollIntervalMs > 0 ? new Date(now.getTime() + this.opts.pollIntervalMs) : null;
  }

  private speculation(config: MergeQueueConfig): number {
    return config.speculativeBatches;
  }

  private async advance(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    const pause = await this.pauseState(config, now);
    const changed = await this.repo.setPause(repo, baseBranch, pause.paused ? { code: pause.code, message: pause.message } : null, now);
    if (changed) await this.notify({ kind: 'queue_changed', repo, baseBranch });
    if (pause.paused) return;
    if (config.batchSize > 1 || this.speculation(config) > 1) await this.advanceBatches(config, repo, baseBranch, now);
    else await this.advanceSerial(config, repo, baseBranch, now);
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
    return decidePause({ pauseOnFreeze: config.pauseOnFreeze, pauseOnUnhealthyCanary: config.pauseOnUnhealthyCanary, freezes, unhealthyCanaries });
  }

  /** Reads everything the domain decides on for one pull request. */
  private async observe(config: MergeQueueConfig, repo: string, pull: PullInfo): Promise<PullSnapshot> {
    const [reviews, behind, checks] = await Promise.all([
      this.deps.scm.reviews(repo, pull.number),
      this.deps.scm.behindBy(repo, config.baseBranch, pull.headSha),
      this.deps.scm.checks(repo, pull.headSha),
    ]);
    return snapshotOf(pull, reviews, { containsBase: behind === 0, checks: summariseChecks(checks, config.requiredChecks) });
  }

  private entryState(entry: MergeQueueEntryRow): EntryState {
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
      const [front] = await this.repo.activeEntries({ repo, baseBranch });
      if (!front) return;
      const outcome = await this.stepFront(config, front, now);
      // Only a finished front lets the next entry take a step in the same tick.
      if (outcome !== 'finished') return;
    }
  }

  private async stepFront(config: MergeQueueConfig, entry: MergeQueueEntryRow, now: Date): Promise<'finished' | 'waiting'> {
    const pull = await this.deps.scm.getPull(entry.repo, entry.pullNumber);
    if (!pull) {
      await this.eject(config, entry, null, { code: 'closed', message: 'the pull request no longer exists' }, now);
      return 'finished';
    }
    const snapshot = await this.observe(config, entry.repo, pull);
    const decision = decideFront(this.entryState(entry), snapshot, this.policy(config), now);
    this.log()?.debug({ repo: entry.repo, pull: entry.pullNumber, decision }, 'merge queue decision');
    switch (decision.kind) {
      case 'eject':
        await this.eject(config, entry, pull, decision.reason, now);
        return 'finished';
      case 'requeue':
        await this.requeue(entry, decision.why, now);
        return 'waiting';
      case 'update-branch': {
        const result = await this.deps.scm.updateBranch(entry.repo, entry.pullNumber, decision.expectedHeadSha);
        if (result.kind === 'accepted') {
          await this.repo.transition(
            entry,
            {
              status: 'updating',
              headSha: decision.expectedHeadSha,
              expectedHeadSha: decision.expectedHeadSha,
              updateRequestedAt: now,
              startedAt: entry.startedAt ?? now,
              rechecks: 0,
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
          if (entry.detail !== `updating with ${config.baseBranch}`) await this.repo.touch(entry.id, { detail: `updating with ${config.baseBranch}` }, now);
        } else if (entry.status !== 'validating' || entry.headSha !== snapshot.headSha) {
          await this.repo.transition(
            entry,
            { status: 'validating', headSha: snapshot.headSha, expectedHeadSha: null, startedAt: entry.startedAt ?? now, detail },
            { kind: 'validating', detail: { headSha: snapshot.headSha } },
            now,
          );
        } else if (entry.detail !== detail) {
          await this.repo.touch(entry.id, { detail }, now);
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

  /** Merges with the head-SHA guard; on 405/409/422 the entry is re-checked, never retried blindly. */
  private async mergeEntry(config: MergeQueueConfig, entry: MergeQueueEntryRow, pull: PullInfo, expectedHeadSha: string, now: Date): Promise<boolean> {
    const result = await this.deps.scm.merge(entry.repo, entry.pullNumber, expectedHeadSha, {
      method: config.mergeMethod,
      commitTitle: `${pull.title} (#${entry.pullNumber})`,
    });
    if (result.kind === 'rejected') {
      await this.requeue(entry, `merge answered ${result.status}: ${result.message}`, now);
      return false;
    }
    const mergeCommitSha = result.sha ?? expectedHeadSha;
    const merged = await this.repo.transition(
      entry,
      { status: 'merged', mergeCommitSha, finishedAt: now, startedAt: entry.startedAt ?? now, detail: 'merged', headSha: expectedHeadSha },
      { kind: 'merged', detail: { mergeCommitSha, headSha: expectedHeadSha } },
      now,
    );
    const versionSetIds = await this.mintVersionSets(config, merged, mergeCommitSha, now);
    await this.bestEffort('remove label', () => this.deps.scm.removeLabel(entry.repo, entry.pullNumber, config.label));
    await this.notify({ kind: 'merged', ...this.noticeBase(merged), mergeCommitSha, versionSetIds });
    await this.notify({ kind: 'queue_changed', repo: entry.repo, baseBranch: entry.baseBranch });
    return true;
  }

  /**
   * Records the new version of every service the repository maps to (for a monorepo, those whose
   * `path` the pull request touched), each minting a version set, and deploys the last one if asked.
   */
  private async mintVersionSets(config: MergeQueueConfig, entry: MergeQueueEntryRow, mergeCommitSha: string, now: Date): Promise<number[]> {
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
    if (ids.length === 0) return ids;
    await this.repo.transition(entry, { versionSetIds: ids }, { kind: 'version_sets_minted', detail: { versionSetIds: ids } }, now);
    const environment = config.autoDeployTo;
    const latest = ids[ids.length - 1]!;
    if (environment && this.deps.deployer) {
      const deployed = await this.deps.deployer.deployVersionSet({ versionSetId: latest, environment });
      await this.repo.transition(entry, {}, { kind: 'auto_deploy', detail: { environment, versionSetId: latest, result: deployed } }, now);
    } else if (environment) {
      this.log()?.warn({ environment }, 'mergeQueue.autoDeployTo is set but no deployer was given');
    }
    return ids;
  }

  private async requeue(entry: MergeQueueEntryRow, why: string, now: Date): Promise<void> {
    await this.repo.transition(
      entry,
      { status: 'queued', expectedHeadSha: null, updateRequestedAt: null, batchId: null, rechecks: entry.rechecks + 1, detail: `re-checking: ${why}` },
      { kind: 'requeued', detail: { why } },
      now,
    );
  }

  private async eject(config: MergeQueueConfig, entry: MergeQueueEntryRow, pull: PullInfo | null, reason: EjectReason, now: Date): Promise<void> {
    const ejected = await this.repo.transition(
      entry,
      { status: 'ejected', ejectCode: reason.code, ejectMessage: reason.message, finishedAt: now, batchId: null, detail: `ejected: ${reason.message}` },
      { kind: 'ejected', detail: { ...reason } },
      now,
    );
    if (pull && pull.state === 'open') {
      await this.bestEffort('comment', () =>
        this.deps.scm.createComment(
          entry.repo,
          entry.pullNumber,
          `**Removed from the merge queue** (\`${reason.code}\`): ${reason.message}.\n\nFix it and add the \`${config.label}\` label (or \`/queue add ${entry.repo}#${entry.pullNumber}\`) to queue it again.`,
        ),
      );
      await this.bestEffort('remove label', () => this.deps.scm.removeLabel(entry.repo, entry.pullNumber, config.label));
    }
    await this.notify({ kind: 'ejected', ...this.noticeBase(ejected), reason });
    await this.notify({ kind: 'queue_changed', repo: entry.repo, baseBranch: entry.baseBranch });
  }

  // ---------------------------------------------------------------- batches

  private async advanceBatches(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    const open = await this.repo.openBatches(repo, baseBranch);
    const front = open[0];
    if (front) {
      const finished = await this.judgeBatch(config, front, now);
      if (!finished) {
        await this.fillBatches(config, repo, baseBranch, now);
        return;
      }
    }
    await this.fillBatches(config, repo, baseBranch, now);
  }

  /** Judges the front batch from the checks on its branch head; true when it is finished. */
  private async judgeBatch(config: MergeQueueConfig, batch: MergeQueueBatchRow, now: Date): Promise<boolean> {
    if (!batch.headSha) {
      await this.abandonBatchesFrom(batch.id, 'the batch branch was never completed', now);
      return true;
    }
    const checks = summariseChecks(await this.deps.scm.checks(batch.repo, batch.headSha), config.requiredChecks);
    const decision = decideBatch(batch.entryIds, batch.headSha, checks);
    const entries = await this.batchEntries(batch);
    switch (decision.kind) {
      case 'wait-for-checks': {
        const detail = `tested in batch ${batch.id}: waiting for ${decision.waitingFor}`;
        for (const entry of entries) if (entry.detail !== detail) await this.repo.touch(entry.id, { detail }, now);
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
          await this.eject(config, entry, pull, decision.reason, now);
        }
        return true;
      }
      case 'bisect': {
        await this.finishBatch(batch, 'failed', now, { checks, bisect: decision });
        await this.abandonLaterBatches(batch, now);
        const [first, second] = await this.repo.allocateSuspectGroups(batch.repo, batch.baseBranch, 2);
        for (const entry of entries) {
          const group = decision.retestFirst.includes(entry.id) ? first! : second!;
          await this.repo.transition(
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

  private async batchEntries(batch: MergeQueueBatchRow): Promise<MergeQueueEntryRow[]> {
    const active = await this.repo.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    return batch.entryIds.flatMap((id) => active.filter((entry) => entry.id === id && entry.batchId === batch.id));
  }

  /**
   * A green batch merges in queue order, each pull request guarded by the head SHA that was tested,
   * and only if the base is still where the batch was cut (or where the batch it speculated on landed).
   */
  private async mergeBatch(config: MergeQueueConfig, batch: MergeQueueBatchRow, entries: MergeQueueEntryRow[], now: Date): Promise<void> {
    const expectedBase = batch.parentBatchId === null ? batch.baseSha : (await this.repo.batch(batch.parentBatchId))?.landedSha ?? null;
    const tip = await this.deps.scm.branchSha(batch.repo, batch.baseBranch);
    if (expectedBase === null || tip !== expectedBase || entries.length !== batch.entryIds.length) {
      await this.abandonBatchesFrom(batch.id, `\`${batch.baseBranch}\` moved since the batch was cut`, now);
      return;
    }
    // Every head must still be the tested one before the first merge: a prefix of a green batch is not known to be green.
    const pulls: PullInfo[] = [];
    for (const entry of entries) {
      const pull = await this.deps.scm.getPull(entry.repo, entry.pullNumber);
      if (!pull || pull.headSha !== entry.headSha) {
        await this.abandonBatchesFrom(batch.id, `the head of ${entry.repo}#${entry.pullNumber} moved after it was tested`, now);
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
      landedSha = (await this.repo.entry(entry.id))?.mergeCommitSha ?? landedSha;
    }
    await this.finishBatch(batch, 'merged', now, {}, landedSha);
  }

  private async abandonRest(batch: MergeQueueBatchRow, rest: MergeQueueEntryRow[], why: string, now: Date): Promise<void> {
    for (const entry of rest) {
      const fresh = await this.repo.entry(entry.id);
      if (fresh && fresh.finishedAt === null) await this.requeueUncounted(fresh, why, now);
    }
    await this.finishBatch(batch, 'abandoned', now, { why });
    await this.abandonLaterBatches(batch, now);
  }

  /** A batch and every batch speculating on top of it go back to the queue (positions kept). */
  private async abandonBatchesFrom(batchId: number, why: string, now: Date): Promise<void> {
    const batch = await this.repo.batch(batchId);
    if (!batch || batch.status !== 'testing') return;
    const active = await this.repo.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    for (const entry of active) if (entry.batchId === batch.id) await this.requeueUncounted(entry, why, now);
    await this.finishBatch(batch, 'abandoned', now, { why });
    await this.abandonLaterBatches(batch, now);
  }

  private async abandonLaterBatches(batch: MergeQueueBatchRow, now: Date): Promise<void> {
    const open = await this.repo.openBatches(batch.repo, batch.baseBranch);
    const later = open.filter((candidate) => candidate.id > batch.id);
    const active = await this.repo.activeEntries({ repo: batch.repo, baseBranch: batch.baseBranch });
    for (const other of later) {
      for (const entry of active) {
        if (entry.batchId === other.id) await this.requeueUncounted(entry, `batch ${batch.id} ahead of it did not merge`, now);
      }
      await this.finishBatch(other, 'abandoned', now, { why: `batch ${batch.id} ahead of it did not merge` });
    }
  }

  private async requeueUncounted(entry: MergeQueueEntryRow, why: string, now: Date): Promise<void> {
    await this.repo.transition(entry, { status: 'queued', batchId: null, detail: `waiting for a new batch: ${why}` }, { kind: 'requeued', detail: { why } }, now);
  }

  private async finishBatch(batch: MergeQueueBatchRow, status: 'merged' | 'failed' | 'abandoned', now: Date, detail: Record<string, unknown>, landedSha: string | null = null): Promise<void> {
    await this.repo.updateBatch(batch.id, { status, finishedAt: now, landedSha }, { repo: batch.repo, kind: `batch_${status}`, detail }, now);
    if (batch.branch) await this.bestEffort('delete batch branch', () => this.deps.scm.deleteBranch(batch.repo, batch.branch));
  }

  /** Cuts new batches until `speculativeBatches` are under test, each on top of the one before it. */
  private async fillBatches(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<void> {
    const depth = this.speculation(config);
    for (;;) {
      const open = await this.repo.openBatches(repo, baseBranch);
      if (open.length >= depth) return;
      const parent = open[open.length - 1] ?? null;
      const picked = await this.pickBatch(config, repo, baseBranch, now);
      if (picked.length === 0) return;
      const built = await this.buildBatch(config, repo, baseBranch, parent, picked, now);
      if (!built) return;
    }
  }

  /** The next batch's entries, after ejecting the front candidates that cannot merge at all. */
  private async pickBatch(config: MergeQueueConfig, repo: string, baseBranch: string, now: Date): Promise<{ entry: MergeQueueEntryRow; pull: PullInfo }[]> {
    // Not only `queued`: entries left `updating`/`validating` by serial mode (the config changed) join batches too.
    const waiting = (await this.repo.activeEntries({ repo, baseBranch })).filter((entry) => entry.status !== 'batched');
    const eligible: { entry: MergeQueueEntryRow; pull: PullInfo }[] = [];
    for (const entry of waiting) {
      if (eligible.length >= config.batchSize) break;
      const pull = await this.deps.scm.getPull(repo, entry.pullNumber);
      if (!pull) {
        await this.eject(config, entry, null, { code: 'closed', message: 'the pull request no longer exists' }, now);
        continue;
      }
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

  private async buildBatch(
    config: MergeQueueConfig,
    repo: string,
    baseBranch: string,
    parent: MergeQueueBatchRow | null,
    picked: { entry: MergeQueueEntryRow; pull: PullInfo }[],
    now: Date,
  ): Promise<boolean> {
    const baseSha = parent ? parent.headSha : await this.deps.scm.branchSha(repo, baseBranch);
    if (!baseSha) throw new Error(`${repo}: base branch ${baseBranch} not found`);
    const batch = await this.repo.insertBatch({ repo, baseBranch, baseSha, parentBatchId: parent?.id ?? null, entryIds: picked.map(({ entry }) => entry.id) }, now);
    const branch = batchBranchName(baseBranch, batch.id);
    await this.repo.updateBatch(batch.id, { branch }, { repo, kind: 'batch_created', detail: { branch, baseSha, entryIds: batch.entryIds } }, now);
    await this.deps.scm.createBranch(repo, branch, baseSha);
    let headSha = baseSha;
    const included: number[] = [];
    for (const { entry, pull } of picked) {
      const result = await this.deps.scm.mergeIntoBranch(repo, branch, pull.headSha, `Merge #${entry.pullNumber} into ${branch}`);
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
      included.push(entry.id);
      await this.repo.transition(
        entry,
        { status: 'batched', batchId: batch.id, headSha: pull.headSha, startedAt: entry.startedAt ?? now, detail: `tested in batch ${batch.id}` },
        { kind: 'batched', detail: { batchId: batch.id, branch } },
        now,
      );
    }
    if (included.length === 0) {
      await this.finishBatch({ ...batch, branch }, 'abandoned', now, { why: 'every entry conflicted' });
      return true;
    }
    await this.repo.updateBatch(batch.id, { headSha, entryIds: included }, { repo, kind: 'batch_testing', detail: { headSha, entryIds: included } }, now);
    return true;
  }

  // ---------------------------------------------------------------- helpers

  private noticeBase(entry: MergeQueueEntryRow) {
    return {
      repo: entry.repo,
      pullNumber: entry.pullNumber,
      title: entry.title,
      url: pullUrl(entry.repo, entry.pullNumber),
      author: entry.author,
      requestedBy: entry.requestedBy,
      source: entry.source,
    };
  }

  private async notify(notice: MergeQueueNotice): Promise<void> {
    await this.bestEffort(`notify ${notice.kind}`, () => this.deps.notifier.notify(notice));
  }

  /** Side effects for people (comments, labels, Slack) never undo or block a queue transition. */
  private async bestEffort(what: string, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (error) {
      this.log()?.warn({ err: error }, `merge queue: ${what} failed`);
    }
  }
}

function pullUrl(repo: string, pullNumber: number): string {
  return `https://github.com/${repo}/pull/${pullNumber}`;
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
