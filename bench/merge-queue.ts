import { pathToFileURL } from 'node:url';
import {
  decideBatch,
  decideBatchCandidate,
  decideFront,
  planBatch,
  type ChecksSummary,
  type EntryState,
  type PullSnapshot,
  type QueuePolicy,
} from '../src/domain/merge-queue/index.js';
import { mulberry32 } from '../src/adapters/fleet/prng.js';

/**
 * A busy day of pull requests through the merge queue, in virtual time, driven by the same pure
 * decisions the service makes (decideFront for serial FIFO; decideBatchCandidate, planBatch and
 * decideBatch for batches, bisection and speculation). The simulated world stands in for GitHub and
 * CI: CI takes `ciMinutes`, a bad pull request turns red every commit that contains it, and every
 * commit the base branch moves to is audited for red.
 */

export interface MergeQueueBenchOptions {
  pullRequests?: number;
  /** Mean minutes between arrivals (Poisson), over the working day. */
  meanArrivalMinutes?: number;
  ciMinutes?: number;
  failureRate?: number;
  seed?: number;
}

export interface ModeFigures {
  mode: string;
  batchSize: number;
  speculativeBatches: number;
  merged: number;
  ejected: number;
  /** Pull requests merged per hour, from the first arrival to the last merge. */
  throughputPerHour: number;
  p50TimeToMergeMinutes: number;
  p95TimeToMergeMinutes: number;
  ciRuns: number;
  /** Every commit the base branch pointed at was green. */
  baseNeverRed: boolean;
  /** Exactly the bad pull requests were ejected. */
  ejectedExactlyTheBadOnes: boolean;
}

export interface MergeQueueBenchResult {
  scenario: Required<MergeQueueBenchOptions> & { badPullRequests: number };
  modes: ModeFigures[];
}

const MINUTE = 60_000;
const DAY_START = Date.parse('2026-03-02T08:00:00Z');
const policy: QueuePolicy = { baseBranch: 'main', requiredApprovals: 1, updateTimeoutMs: 5 * MINUTE, maxRechecks: 5 };

interface SimPull {
  id: number;
  arrivesAt: number;
  bad: boolean;
}

function day(options: Required<MergeQueueBenchOptions>): SimPull[] {
  const next = mulberry32(options.seed);
  const pulls: SimPull[] = [];
  let at = DAY_START;
  for (let id = 1; id <= options.pullRequests; id++) {
    at += -Math.log(1 - next()) * options.meanArrivalMinutes * MINUTE;
    pulls.push({ id, arrivesAt: Math.round(at), bad: next() < options.failureRate });
  }
  return pulls;
}

interface CiRun {
  finishesAt: number;
  red: boolean;
}

function checksOf(run: CiRun | undefined, now: number): ChecksSummary {
  if (!run || run.finishesAt > now) return { state: 'pending', waitingFor: ['ci'] };
  return run.red ? { state: 'failure', failing: ['ci'] } : { state: 'success', passed: ['ci'] };
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

class World {
  baseVersion = 0;
  baseRed = false;
  ciRuns = 0;
  readonly mergedAt = new Map<number, number>();
  readonly ejected = new Set<number>();
  constructor(readonly pulls: SimPull[]) {}

  land(pull: SimPull, now: number): void {
    this.baseVersion++;
    if (pull.bad) this.baseRed = true;
    this.mergedAt.set(pull.id, now);
  }

  startCi(red: boolean, now: number, ciMinutes: number): CiRun {
    this.ciRuns++;
    return { finishesAt: now + ciMinutes * MINUTE, red };
  }

  figures(mode: string, batchSize: number, speculativeBatches: number): ModeFigures {
    const waits = this.pulls.filter((pull) => this.mergedAt.has(pull.id)).map((pull) => (this.mergedAt.get(pull.id)! - pull.arrivesAt) / MINUTE);
    const lastMerge = Math.max(...this.mergedAt.values());
    const hours = (lastMerge - this.pulls[0]!.arrivesAt) / (60 * MINUTE);
    const bad = new Set(this.pulls.filter((pull) => pull.bad).map((pull) => pull.id));
    return {
      mode,
      batchSize,
      speculativeBatches,
      merged: this.mergedAt.size,
      ejected: this.ejected.size,
      throughputPerHour: Math.round((this.mergedAt.size / hours) * 10) / 10,
      p50TimeToMergeMinutes: Math.round(percentile(waits, 50)),
      p95TimeToMergeMinutes: Math.round(percentile(waits, 95)),
      ciRuns: this.ciRuns,
      baseNeverRed: !this.baseRed,
      ejectedExactlyTheBadOnes: bad.size === this.ejected.size && [...bad].every((id) => this.ejected.has(id)),
    };
  }
}

/** Serial FIFO: the front entry is updated with the base, tested, merged; the next one starts after. */
function simulateSerial(pulls: SimPull[], options: Required<MergeQueueBenchOptions>): ModeFigures {
  const world = new World(pulls);
  const heads = new Map<number, { version: number; containsBase: number; ci: CiRun | undefined }>();
  const state = new Map<number, EntryState>();
  let now = DAY_START;
  const pending = () => pulls.filter((pull) => pull.arrivesAt <= now && !world.mergedAt.has(pull.id) && !world.ejected.has(pull.id));
  while (world.mergedAt.size + world.ejected.size < pulls.length) {
    for (let step = 0; step < 3; step++) {
      const front = pending()[0];
      if (!front) break;
      // The PR was opened on the base of its arrival time; its own CI ran and is done by now.
      const head = heads.get(front.id) ?? { version: 0, containsBase: -1, ci: { finishesAt: 0, red: front.bad } };
      heads.set(front.id, head);
      const entry = state.get(front.id) ?? {
        id: front.id, repo: 'sim/repo', pullNumber: front.id, status: 'queued', headSha: `${front.id}-0`,
        expectedHeadSha: null, updateRequestedAt: null, rechecks: 0, suspectGroup: null,
      };
      const snapshot: PullSnapshot = {
        state: 'open', merged: false, draft: false, title: '', author: '', headSha: `${front.id}-${head.version}`, baseRef: 'main',
        mergeable: true, containsBase: head.containsBase === world.baseVersion, approvals: 1, changesRequested: false,
        checks: checksOf(head.ci, now),
      };
      const decision = decideFront(entry, snapshot, policy, new Date(now));
      let finished = false;
      switch (decision.kind) {
        case 'update-branch':
          // GitHub's update lands at once here; CI starts on the new head.
          head.version++;
          head.containsBase = world.baseVersion;
          head.ci = world.startCi(front.bad, now, options.ciMinutes);
          state.set(front.id, { ...entry, status: 'validating', headSha: `${front.id}-${head.version}` });
          break;
        case 'merge':
          world.land(front, now);
          finished = true;
          break;
        case 'eject':
          world.ejected.add(front.id);
          finished = true;
          break;
        case 'wait-for-checks':
          state.set(front.id, { ...entry, status: 'validating', headSha: snapshot.headSha });
          break;
        case 'requeue':
        case 'proceed':
          state.set(front.id, { ...entry, status: 'queued', headSha: snapshot.headSha });
          break;
      }
      if (!finished) break;
    }
    now += MINUTE;
  }
  return world.figures('serial FIFO', 1, 1);
}

interface SimBatch {
  ids: number[];
  /** Every pull request in the tested tree: those of the batches it speculates on, and its own. */
  content: number[];
  ci: CiRun;
}

/** Batches of `batchSize`, `depth` of them under test at once (each on top of the one before). */
function simulateBatches(pulls: SimPull[], options: Required<MergeQueueBenchOptions>, batchSize: number, depth: number): ModeFigures {
  const world = new World(pulls);
  const byId = new Map(pulls.map((pull) => [pull.id, pull]));
  const suspectGroup = new Map<number, number>();
  let nextGroup = 1;
  let open: SimBatch[] = [];
  let now = DAY_START;
  const entryOf = (id: number): EntryState => ({
    id, repo: 'sim/repo', pullNumber: id, status: 'queued', headSha: `${id}`, expectedHeadSha: null,
    updateRequestedAt: null, rechecks: 0, suspectGroup: suspectGroup.get(id) ?? null,
  });
  const isRed = (content: number[]) => content.some((id) => byId.get(id)!.bad);
  while (world.mergedAt.size + world.ejected.size < pulls.length) {
    const front = open[0];
    if (front) {
      const decision = decideBatch(front.ids, 'sim', checksOf(front.ci, now));
      switch (decision.kind) {
        case 'wait-for-checks':
          break;
        case 'merge':
          for (const id of decision.entryIds) world.land(byId.get(id)!, now);
          open = open.slice(1);
          break;
        case 'eject':
          world.ejected.add(decision.entryId);
          suspectGroup.delete(decision.entryId);
          open = [];
          break;
        case 'bisect': {
          const first = nextGroup++;
          const second = nextGroup++;
          for (const id of decision.retestFirst) suspectGroup.set(id, first);
          for (const id of decision.thenRetest) suspectGroup.set(id, second);
          // Batches speculating on a red batch are void.
          open = [];
          break;
        }
      }
    }
    const batched = new Set(open.flatMap((batch) => batch.ids));
    while (open.length < depth) {
      const candidates = pulls
        .filter((pull) => pull.arrivesAt <= now && !world.mergedAt.has(pull.id) && !world.ejected.has(pull.id) && !batched.has(pull.id))
        .slice(0, batchSize * 2)
        .map((pull) => entryOf(pull.id))
        .filter((entry) => decideBatchCandidate(entry, { state: 'open', merged: false, draft: false, title: '', author: '', headSha: entry.headSha!, baseRef: 'main', mergeable: true, containsBase: true, approvals: 1, changesRequested: false, checks: { state: 'pending', waitingFor: [] } }, policy).kind === 'proceed');
      const ids = planBatch(candidates.map((entry) => ({ id: entry.id, suspectGroup: entry.suspectGroup })), batchSize);
      if (ids.length === 0) break;
      const content = [...(open.at(-1)?.content ?? []), ...ids];
      open.push({ ids, content, ci: world.startCi(isRed(content), now, options.ciMinutes) });
      for (const id of ids) batched.add(id);
    }
    now += MINUTE;
  }
  const mode = depth > 1 ? `batches of ${batchSize}, ${depth} speculative` : `batches of ${batchSize}`;
  return world.figures(mode, batchSize, depth);
}

export async function runMergeQueueBench(options: MergeQueueBenchOptions = {}): Promise<MergeQueueBenchResult> {
  const scenario: Required<MergeQueueBenchOptions> = {
    pullRequests: options.pullRequests ?? 120,
    meanArrivalMinutes: options.meanArrivalMinutes ?? 5,
    ciMinutes: options.ciMinutes ?? 10,
    failureRate: options.failureRate ?? 0.1,
    seed: options.seed ?? 42,
  };
  const pulls = day(scenario);
  const modes = [
    simulateSerial(pulls, scenario),
    simulateBatches(pulls, scenario, 4, 1),
    simulateBatches(pulls, scenario, 4, 2),
    simulateBatches(pulls, scenario, 8, 3),
  ];
  return { scenario: { ...scenario, badPullRequests: pulls.filter((pull) => pull.bad).length }, modes };
}

export function formatMergeQueueBench(result: MergeQueueBenchResult): string {
  const { scenario } = result;
  const lines = [
    `Merge queue, virtual time: ${scenario.pullRequests} PRs (one every ~${scenario.meanArrivalMinutes} min), CI ${scenario.ciMinutes} min, ${scenario.badPullRequests} failing (${Math.round(scenario.failureRate * 100)}%)`,
    '',
    '| mode | merged | ejected | throughput (PR/h) | p50 time to merge | p95 time to merge | CI runs | base never red | ejected = bad |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const mode of result.modes) {
    lines.push(
      `| ${mode.mode} | ${mode.merged} | ${mode.ejected} | ${mode.throughputPerHour} | ${mode.p50TimeToMergeMinutes} min | ${mode.p95TimeToMergeMinutes} min | ${mode.ciRuns} | ${mode.baseNeverRed ? 'yes' : 'NO'} | ${mode.ejectedExactlyTheBadOnes ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- the real service against the stateful GitHub fake

export interface GitHubBenchMode {
  mode: string;
  batchSize: number;
  merged: number;
  virtualHours: number;
  mergesPerHour: number;
  /** CI runs the fake started (batch branches, PR heads after update-branch, re-runs), per merged PR. */
  ciRunsPerMergedPr: number;
  writesPerMergedPr: number;
  readsPerMergedPr: number;
  baseNeverRed: boolean;
  violations: number;
}

/** Seconds of GitHub's pacing a write costs: content-creating writes 1 s apart, notifying ones (merge, comment) 3 s. */
function pacingMs(method: string, path: string): number {
  if (method === 'GET') return 0;
  return /\/pulls\/\d+\/merge$|\/issues\/\d+\/comments$/.test(path) ? 3_000 : 1_000;
}

/**
 * The merge queue service itself (real Octokit client, PGlite store) against the stateful GitHub
 * fake in virtual time: CI takes `ciMinutes` from the push that started it, and every write costs
 * GitHub's pacing (1 s apart per installation, 3 s for merges and comments, as Octokit's throttling
 * spaces them), charged to the virtual clock. CI builds the batch branches and pull request heads,
 * not the temporary build ref and not the base (every commit reaching it was tested on its batch
 * branch). `pullRequests` green pull requests wait in the queue at the start.
 */
export async function runMergeQueueGitHubBench(options: { pullRequests?: number; ciMinutes?: number } = {}): Promise<GitHubBenchMode[]> {
  const { openBenchPglite } = await import('./support/databases.js');
  const { truncateAll } = await import('../test/support/databases.js');
  const { FakeGitHub } = await import('../test/support/fake-github.js');
  const { queueConfig, queueHarness, runEffects } = await import('../test/support/fake-github-queue-harness.js');
  const pullRequests = options.pullRequests ?? 16;
  const ciMs = (options.ciMinutes ?? 10) * MINUTE;
  const database = await openBenchPglite();
  const github = await new FakeGitHub().start();
  const modes: GitHubBenchMode[] = [];
  try {
    for (const batchSize of [1, 4]) {
      await truncateAll(database.db);
      github.reset();
      const harness = queueHarness(database.db, github, queueConfig({ batchSize }), { pollIntervalMs: 0 });
      github.useClock(() => harness.clock.now());
      github.ciBuilds = (branch) => branch !== 'main' && !branch.startsWith('durable-delivery/tmp/');
      const repo = 'acme/api';
      github.createRepo(repo);
      for (let number = 1; number <= pullRequests; number++) github.openPull(repo, { number, labels: ['merge-queue'] });
      github.finishChecks();
      github.pushToBase(repo);
      for (let number = 1; number <= pullRequests; number++) await harness.service.enqueue({ repo, pullNumber: number, requestedBy: 'octocat', source: 'label' });
      const startedAt = harness.clock.now().getTime();
      const ciBefore = github.ciRuns.length;
      const requestsBefore = github.requests.length;
      const merged = () => [...github.repo(repo).pulls.values()].filter((pull) => pull.merged).length;
      for (let round = 0; round < 5_000 && merged() < pullRequests; round++) {
        github.finishChecksOlderThan(ciMs);
        const before = github.requests.length;
        await harness.service.tick(harness.clock.now());
        await runEffects(harness.service);
        const made = github.requests.slice(before);
        const paced = made.reduce((sum, request) => sum + pacingMs(request.method, request.path), 0);
        const reads = made.filter((request) => request.method === 'GET').length;
        // Reads answer in ~100 ms each; with no write to wait for, the next event is the oldest CI run finishing (its webhook).
        const oldest = github.oldestRunningCheck();
        const idle = paced === 0 && oldest ? Math.max(1_000, oldest.getTime() + ciMs - harness.clock.now().getTime()) : 30_000;
        harness.clock.advance(paced > 0 ? paced + reads * 100 : idle);
      }
      const hours = (harness.clock.now().getTime() - startedAt) / 3_600_000;
      const requests = github.requests.slice(requestsBefore);
      const count = merged();
      const repoState = github.repo(repo);
      modes.push({
        mode: batchSize === 1 ? 'serial' : `batches of ${batchSize}`,
        batchSize,
        merged: count,
        virtualHours: round1(hours),
        mergesPerHour: round1(count / hours),
        ciRunsPerMergedPr: round2((github.ciRuns.length - ciBefore) / count),
        writesPerMergedPr: round2(requests.filter((request) => request.method !== 'GET').length / count),
        readsPerMergedPr: round1(requests.filter((request) => request.method === 'GET').length / count),
        baseNeverRed: repoState.baseHistory.every((sha) => !github.isRed(repoState, sha)),
        violations: github.violations.length,
      });
    }
  } finally {
    github.useClock(() => new Date());
    await github.stop();
    await database.close();
  }
  return modes;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

export function formatMergeQueueGitHubBench(modes: GitHubBenchMode[]): string {
  const serial = modes.find((mode) => mode.batchSize === 1);
  const lines = [
    '| mode | merged | virtual hours | merges/hour | vs serial | CI runs per merged PR | writes per merged PR | reads per merged PR | base never red | REST violations |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const mode of modes) {
    const ratio = serial ? `${round1(mode.mergesPerHour / serial.mergesPerHour)}×` : '';
    lines.push(
      `| ${mode.mode} | ${mode.merged} | ${mode.virtualHours} | ${mode.mergesPerHour} | ${ratio} | ${mode.ciRunsPerMergedPr} | ${mode.writesPerMergedPr} | ${mode.readsPerMergedPr} | ${mode.baseNeverRed ? 'yes' : 'NO'} | ${mode.violations} |`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await runMergeQueueBench();
  console.log(formatMergeQueueBench(result));
  const github = await runMergeQueueGitHubBench();
  console.log(`\nThe service against the stateful GitHub fake (16 PRs waiting, 10-minute CI, GitHub's write pacing, virtual time):\n`);
  console.log(formatMergeQueueGitHubBench(github));
  const serial = github.find((mode) => mode.batchSize === 1)!;
  const batched = github.find((mode) => mode.batchSize === 4)!;
  const goal = batched.mergesPerHour >= 3 * serial.mergesPerHour && batched.ciRunsPerMergedPr <= 0.5 && github.every((mode) => mode.baseNeverRed && mode.violations === 0);
  console.log(`\ngoal (batches of 4 ≥ 3× serial merges/hour, ≤ 0.5 CI runs per merged PR, never red): ${goal ? 'met' : 'MISSED'}`);
  if (result.modes.some((mode) => !mode.baseNeverRed) || !goal) process.exitCode = 1;
}
