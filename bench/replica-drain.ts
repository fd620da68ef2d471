import { availableParallelism, loadavg } from 'node:os';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../src/store/db.js';
import { BENCH_WEBHOOK_SECRET_ENV, benchConfig } from './support/bench-config.js';
import { BENCH_POSTGRES_ADMIN_URL, openScratchPostgres, postgresAvailable, type ScratchPostgres } from './support/databases.js';
import { spawnWorker, type Spawned } from './support/processes.js';
import { cpuUsedBetween, machineBusySeconds, readProcessesCpu } from './support/cpu.js';
import { seedActiveReleases } from './support/seed-releases.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET } from './support/slack-requests.js';
import { SlackStub } from './support/slack-stub.js';
import { seconds, table, verdict } from './support/stats.js';
import { WebhookRecorder } from './support/webhook-recorder.js';

/**
 * Replica drain (DESIGN.md §4 and §6, issue #12): 1,000 active releases on one Postgres, all due at
 * the same moment, drained by 1 and by 3 real app processes (bench/workers/product-app.ts: the
 * production composition root, HTTP mode, node-cron scheduler), alternating 1, 3, 1, 3 … with a
 * fresh database and seed for every run.
 *
 * Every release is a canary (10%) whose bake ended while it was not due; when it comes due its next
 * step is the real one: the tick claims it (FOR UPDATE SKIP LOCKED), decides that the canary passed,
 * and writes the promotion with its event and a set_weights (100%) outbox row; the critical lane
 * sends that as a signed traffic webhook to a local receiver and, in one transaction, marks the row
 * done and feeds the answer back to the release (its second transition). "Drained" is that last
 * write for every release. Card posts and thread lines (the chat lane) are not waited for: the
 * Slack adapter paces them to one post per channel per second, which is Slack's budget, not work a
 * replica can share.
 *
 * The due moment is set only after every replica announced it is ready: the releases' timers are
 * moved to an even second a few seconds ahead (where the scheduler's 2 s beat and every replica's
 * wake-up timer fire), so no process start is timed. Times come from what the replicas wrote: the
 * due moment → the first transition, and → the last set_weights row finished.
 */

export interface ReplicaDrainOptions {
  releases?: number;
  /** Pairs of runs (1 replica, then 3). */
  pairs?: number;
  replicas?: number;
  postgresAdminUrl?: string;
  /** Give up on a run whose drain takes longer than this (ms). */
  drainTimeoutMs?: number;
}

/** Exactly once, read from the event log, the outbox and the receiver after a run. */
export interface DrainCheck {
  /** Releases whose transitions since the seed are exactly the promotion and the traffic result, versions in a row. */
  steppedOnce: number;
  /** Releases with no transition, more than the two, a gap or a repeat. */
  wrongTransitions: number;
  /** set_weights rows queued by the step (one per release expected), and how many finished `done`. */
  trafficRows: number;
  trafficRowsDone: number;
  /** Releases with more than one set_weights row for the step. */
  duplicateRows: number;
  /** Distinct idempotency keys that reached the receiver, and calls beyond one per key (redeliveries). */
  keysReceived: number;
  redeliveries: number;
  /** Keys the receiver got that no row asked for, or rows whose key never arrived. */
  strayKeys: number;
  missingKeys: number;
  /** Releases still due once the drain was over. */
  stillDue: number;
}

export interface DrainRun {
  order: number;
  replicas: number;
  loadAverage: number;
  /** Spawn of the replicas → every one ready (not part of the drain). */
  startMs: number;
  /** The due moment → the first transition any replica wrote. */
  firstStepMs: number;
  /** The due moment → the last step's traffic result written (null: not drained in time). */
  drainMs: number | null;
  check: DrainCheck;
  /**
   * CPU seconds used from the due moment until the drain was seen (polled every 250 ms): by the
   * replicas together, the scratch database's Postgres backends, this process (receiver, Slack
   * stub, polling) and the whole machine (everything else running on it included).
   */
  cpu: { windowSeconds: number; replicas: number; perReplica: number[]; postgres: number; benchProcess: number; machine: number | null };
  /** Per replica: promotions it decided (stage passed) and traffic calls it made during the run. */
  perReplica: Array<{ promotions: number; trafficCalls: number }>;
}

export interface ReplicaDrainResult {
  releases: number;
  /** Cores of the machine (availableParallelism). */
  cores: number;
  replicas: number;
  runs: DrainRun[];
  skipped: string | null;
}

type Replica = Spawned<{ url: string; pid: number }>;

/** Stages of the seeded releases: the canary's bake has long ended when they come due; the 100% stage bakes past the run. */
const STAGES = [
  { name: 'canary', weight: 10, bake: '10m' },
  { name: 'full', weight: 100, bake: '10m' },
];
const WEBHOOK_SECRET = 'bench-webhook-secret';

export async function runReplicaDrain(options: ReplicaDrainOptions = {}): Promise<ReplicaDrainResult> {
  const releases = options.releases ?? 1_000;
  const pairs = options.pairs ?? 2;
  const replicas = options.replicas ?? 3;
  const adminUrl = options.postgresAdminUrl ?? BENCH_POSTGRES_ADMIN_URL;
  if (!(await postgresAvailable(adminUrl))) return { releases, cores: availableParallelism(), replicas, runs: [], skipped: `no Postgres server at ${adminUrl}` };
  const slack = new SlackStub();
  await slack.start();
  const recorder = new WebhookRecorder();
  await recorder.start();
  const runs: DrainRun[] = [];
  try {
    for (let pair = 0; pair < pairs; pair += 1) {
      for (const count of [1, replicas]) {
        const run = await drainOnce({ order: runs.length + 1, replicas: count, releases, adminUrl, slack, recorder, drainTimeoutMs: options.drainTimeoutMs ?? 60_000 });
        runs.push(run);
        process.stderr.write(`  replica-drain: run ${run.order}, ${count} replica(s): ${run.drainMs === null ? 'not drained' : seconds(run.drainMs)} (load ${run.loadAverage.toFixed(1)})\n`);
      }
    }
  } finally {
    await recorder.stop();
    await slack.down();
  }
  return { releases, cores: availableParallelism(), replicas, runs, skipped: null };
}

async function drainOnce(input: { order: number; replicas: number; releases: number; adminUrl: string; slack: SlackStub; recorder: WebhookRecorder; drainTimeoutMs: number }): Promise<DrainRun> {
  const scratch = await openScratchPostgres(input.adminUrl, { poolSize: 4 });
  const apps: Replica[] = [];
  try {
    const config = benchConfig({ services: input.releases, webhookUrl: input.recorder.url, checks: false, stages: STAGES });
    // An hour ago: the canaries' 10-minute bakes are over, so coming due means being promoted.
    const seeded = await seedActiveReleases(scratch.database.db, config, input.releases, { start: new Date(Date.now() - 3_600_000), nextTick: { kind: 'never' } });
    // Nothing due until every replica is up (the template too: its own timer is its bake's end).
    await scratch.database.db.execute(sql`UPDATE releases SET next_tick_at = now() + interval '1 year'`);
    await scratch.database.db.execute(sql`ANALYZE`);

    const spawnStart = performance.now();
    apps.push(...(await Promise.all(Array.from({ length: input.replicas }, () => spawnReplica(scratch, input)))));
    const startMs = performance.now() - spawnStart;
    const before = await Promise.all(apps.map((app) => replicaCounts(app)));
    const firstCall = input.recorder.calls.length;

    // An even second at least 2.5 s ahead: every replica's 2 s beat has run (and armed its wake-up
    // timer on the new due time) before it comes.
    const dueAt = new Date(Math.ceil((Date.now() + 2_500) / 2_000) * 2_000);
    const loadAverage = loadavg()[0] ?? 0;
    // The scratch database holds the seeded releases and nothing else: all of them come due.
    await scratch.database.db.execute(sql`UPDATE releases SET next_tick_at = ${dueAt.toISOString()}::timestamptz`);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt.getTime() - Date.now())));
    const cpuBefore = await cpuReadings(scratch.database.db, apps);
    const drained = await waitForDrain(scratch.database.db, input.releases, dueAt.getTime() + input.drainTimeoutMs);
    const cpuAfter = await cpuReadings(scratch.database.db, apps);
    const times = await drainTimes(scratch.database.db, seeded.version);
    const after = await Promise.all(apps.map((app) => replicaCounts(app)));
    const check = await checkExactlyOnce(scratch.database.db, seeded.ids, seeded.version, input.recorder.calls.slice(firstCall));
    return {
      order: input.order,
      replicas: input.replicas,
      loadAverage,
      startMs,
      firstStepMs: times.firstStepAt === null ? Number.NaN : times.firstStepAt - dueAt.getTime(),
      drainMs: drained && times.lastDoneAt !== null ? times.lastDoneAt - dueAt.getTime() : null,
      check,
      cpu: {
        windowSeconds: (cpuAfter.at - cpuBefore.at) / 1000,
        replicas: cpuUsedBetween(cpuBefore.replicas, cpuAfter.replicas),
        perReplica: apps.map((app) => (cpuAfter.replicas.get(app.ready.pid) ?? 0) - (cpuBefore.replicas.get(app.ready.pid) ?? 0)),
        postgres: cpuUsedBetween(cpuBefore.postgres, cpuAfter.postgres),
        benchProcess: cpuAfter.benchProcess - cpuBefore.benchProcess,
        machine: cpuAfter.machine !== null && cpuBefore.machine !== null ? cpuAfter.machine - cpuBefore.machine : null,
      },
      perReplica: after.map((counts, index) => ({ promotions: counts.promotions - before[index]!.promotions, trafficCalls: counts.trafficCalls - before[index]!.trafficCalls })),
    };
  } finally {
    // Everything is read: no graceful stop (it would wait out the chat lane's paced card posts).
    await Promise.allSettled(apps.map((app) => app.kill9()));
    await scratch.close();
  }
}

function spawnReplica(scratch: ScratchPostgres, input: { releases: number; slack: SlackStub; recorder: WebhookRecorder }): Promise<Replica> {
  return spawnWorker<{ url: string; pid: number }>('bench/workers/product-app.ts', {
    SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
    SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
    SLACK_API_URL: input.slack.apiUrl,
    DATABASE_URL: scratch.url,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'error',
    [BENCH_WEBHOOK_SECRET_ENV]: WEBHOOK_SECRET,
    BENCH_SERVICES: String(input.releases),
    BENCH_WEBHOOK_URL: input.recorder.url,
    BENCH_NO_CHECKS: '1',
    BENCH_STAGES: JSON.stringify(STAGES),
  });
}

/**
 * CPU seconds so far of the replicas, of the scratch database's Postgres backends, of this process
 * (the receiver and the Slack stub live here) and of the whole machine.
 */
async function cpuReadings(db: Db, apps: readonly Replica[]): Promise<{ at: number; replicas: Map<number, number>; postgres: Map<number, number>; benchProcess: number; machine: number | null }> {
  const backends = await queryRows<{ pid: number }>(db, sql`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`);
  const usage = process.cpuUsage();
  return {
    at: Date.now(),
    replicas: readProcessesCpu(apps.map((app) => app.ready.pid)),
    postgres: readProcessesCpu(backends.map((row) => Number(row.pid))),
    benchProcess: (usage.user + usage.system) / 1e6,
    machine: machineBusySeconds(),
  };
}

/** Waits (polling the outbox, 4 times a second) until every release's 100% traffic move is done, or the deadline. */
async function waitForDrain(db: Db, releases: number, deadline: number): Promise<boolean> {
  for (;;) {
    const [row] = await queryRows<{ done: number }>(db, sql`SELECT count(*)::int AS done FROM outbox WHERE kind = 'set_weights' AND effect->>'stage' = 'full' AND status = 'done'`);
    if (Number(row?.done ?? 0) >= releases) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** When (the replicas' clock, as they wrote it) the first step was taken and the last traffic result written. */
async function drainTimes(db: Db, seededVersion: number): Promise<{ firstStepAt: number | null; lastDoneAt: number | null }> {
  const [row] = await queryRows<{ first_step: string | Date | null; last_done: string | Date | null }>(
    db,
    sql`SELECT (SELECT min(at) FROM release_events WHERE kind = 'transition' AND version > ${seededVersion}) AS first_step,
               (SELECT max(finished_at) FROM outbox WHERE kind = 'set_weights' AND effect->>'stage' = 'full' AND status = 'done') AS last_done`,
  );
  const time = (value: string | Date | null | undefined) => (value ? new Date(value).getTime() : null);
  return { firstStepAt: time(row?.first_step), lastDoneAt: time(row?.last_done) };
}

async function checkExactlyOnce(db: Db, ids: readonly string[], seededVersion: number, calls: WebhookRecorder['calls']): Promise<DrainCheck> {
  const transitions = await queryRows<{ release_id: string; versions: number[]; passed: number }>(
    db,
    sql`SELECT r.id AS release_id,
               coalesce(array_agg(e.version ORDER BY e.version) FILTER (WHERE e.version IS NOT NULL), '{}') AS versions,
               count(*) FILTER (WHERE e.type LIKE '%stage_passed%')::int AS passed
        FROM releases r
        LEFT JOIN release_events e ON e.release_id = r.id AND e.kind = 'transition' AND e.version > ${seededVersion}
        GROUP BY r.id`,
  );
  let steppedOnce = 0;
  for (const row of transitions) {
    const versions = row.versions.map(Number);
    const inARow = versions.length === 2 && versions[0] === seededVersion + 1 && versions[1] === seededVersion + 2;
    if (inARow && Number(row.passed) === 1) steppedOnce += 1;
  }
  const rows = await queryRows<{ release_id: string; idempotency_key: string; status: string }>(
    db,
    sql`SELECT release_id, idempotency_key, status FROM outbox WHERE kind = 'set_weights' AND effect->>'stage' = 'full'`,
  );
  const rowsPerRelease = new Map<string, number>();
  for (const row of rows) rowsPerRelease.set(row.release_id, (rowsPerRelease.get(row.release_id) ?? 0) + 1);
  const rowKeys = new Set(rows.map((row) => row.idempotency_key));
  const traffic = calls.filter((call) => call.path === '/traffic');
  const received = new Set(traffic.map((call) => String(call.idempotencyKey)));
  const [due] = await queryRows<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM releases WHERE next_tick_at <= now() AND status NOT IN ('succeeded','rolled_back','aborted')`);
  return {
    steppedOnce,
    wrongTransitions: ids.length - steppedOnce,
    trafficRows: rows.length,
    trafficRowsDone: rows.filter((row) => row.status === 'done').length,
    duplicateRows: [...rowsPerRelease.values()].filter((n) => n > 1).length,
    keysReceived: received.size,
    redeliveries: traffic.length - received.size,
    strayKeys: [...received].filter((key) => !rowKeys.has(key)).length,
    missingKeys: [...rowKeys].filter((key) => !received.has(key)).length,
    stillDue: Number(due?.n ?? 0),
  };
}

/** What one replica counted so far (its /metrics): canary stages it passed, set_weights calls it made. */
async function replicaCounts(app: Replica): Promise<{ promotions: number; trafficCalls: number }> {
  const response = await fetch(`${app.ready.url}/metrics`);
  const text = await response.text();
  const sum = (pattern: RegExp) =>
    text
      .split('\n')
      .filter((line) => pattern.test(line))
      .reduce((total, line) => total + Number(line.split(' ').at(-1)), 0);
  return {
    promotions: sum(/^durable_delivery_stage_duration_seconds_count\{[^}]*stage="canary"/),
    trafficCalls: sum(/^durable_delivery_outbox_effect_attempts_total\{[^}]*effect="set_weights"/),
  };
}

function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function formatReplicaDrain(result: ReplicaDrainResult): string {
  if (result.skipped) return `Skipped: ${result.skipped}.`;
  const n = result.releases.toLocaleString('en-US');
  const many = result.replicas;
  const lines: string[] = [];
  lines.push(
    `${result.runs.length} runs alternating 1 and ${many} replicas (1, ${many}, 1, ${many} …), each on a fresh scratch database with ${n} releases seeded and made due at once. The 1-minute load average is read when the releases came due; "first step" is the first transition any replica wrote, "drained" the last traffic result written; exactly once is read from the event log, the outbox and the receiver after each run.`,
    '',
  );
  lines.push(
    table(
      ['run', 'replicas', 'load (1 min)', 'due → first step', 'due → drained', 'releases stepped exactly once', 'set_weights rows done / keys at the receiver', 'duplicate rows · redeliveries · stray keys · missing keys', 'still due after'],
      result.runs.map((run) => [
        run.order,
        run.replicas,
        run.loadAverage.toFixed(1),
        seconds(run.firstStepMs, 2),
        run.drainMs === null ? '**not drained**' : seconds(run.drainMs),
        `${run.check.steppedOnce.toLocaleString('en-US')} / ${n}`,
        `${run.check.trafficRowsDone} / ${run.check.keysReceived}`,
        `${run.check.duplicateRows} · ${run.check.redeliveries} · ${run.check.strayKeys} · ${run.check.missingKeys}`,
        run.check.stillDue,
      ]),
    ),
  );
  lines.push(
    '',
    `Where the time went: CPU seconds used from the due moment until the drain was seen (polled every 250 ms), read from /proc, and each replica's share of the work from its own /metrics. The machine has ${result.cores} cores, so a window holds ${result.cores}× its length in CPU seconds; "machine" counts everything running on it, other work included.`,
    '',
  );
  lines.push(
    table(
      ['run', 'replicas', 'replicas ready after (not timed)', 'window', 'CPU: replicas', "CPU: Postgres (the scratch database's backends)", 'CPU: bench process (receiver, Slack stub, polling)', 'CPU: whole machine', 'replicas + Postgres per release', 'per replica: promotions / traffic calls'],
      result.runs.map((run) => [
        run.order,
        run.replicas,
        seconds(run.startMs, 1),
        `${run.cpu.windowSeconds.toFixed(2)} s`,
        run.cpu.perReplica.length > 1 ? `${run.cpu.replicas.toFixed(2)} s (${run.cpu.perReplica.map((value) => value.toFixed(2)).join(' + ')})` : `${run.cpu.replicas.toFixed(2)} s`,
        `${run.cpu.postgres.toFixed(2)} s`,
        `${run.cpu.benchProcess.toFixed(2)} s`,
        run.cpu.machine === null ? 'n/a' : `${run.cpu.machine.toFixed(1)} s of ${(run.cpu.windowSeconds * result.cores).toFixed(1)} (${Math.round((100 * run.cpu.machine) / (run.cpu.windowSeconds * result.cores))}%)`,
        `${cpuPerReleaseMs(run, result.releases).toFixed(1)} ms`,
        run.perReplica.map((share) => `${share.promotions} / ${share.trafficCalls}`).join(' · '),
      ]),
    ),
  );

  const single = result.runs.filter((run) => run.replicas === 1);
  const several = result.runs.filter((run) => run.replicas === many);
  const ratios: number[] = [];
  for (let index = 0; index < Math.min(single.length, several.length); index += 1) {
    const one = single[index]!.drainMs;
    const more = several[index]!.drainMs;
    if (one !== null && more !== null && more > 0) ratios.push(one / more);
  }
  const drainTimes = (runs: DrainRun[]) => runs.map((run) => run.drainMs).filter((value): value is number => value !== null);
  const exact = result.runs.every(
    (run) => run.check.steppedOnce === result.releases && run.check.trafficRowsDone === result.releases && run.check.duplicateRows === 0 && run.check.strayKeys === 0 && run.check.missingKeys === 0 && run.check.stillDue === 0,
  );
  const allDrained = single.length > 0 && several.length > 0 && result.runs.every((run) => run.drainMs !== null);
  const ratio = median(ratios);
  // The most any number of replicas could gain over a 1-replica run: its CPU (replicas + Postgres)
  // spread evenly over every core, with no extra cost per replica. Measured against the run's own
  // time (which other work on the machine stretches), and against the least that one replica's
  // event loop alone needs (its CPU seconds on one core): what a quiet machine would allow.
  const ceilings = single
    .filter((run) => run.drainMs !== null)
    .map((run) => {
      const spreadMs = ((run.cpu.replicas + run.cpu.postgres) * 1000) / result.cores;
      return { ofRun: run.drainMs! / spreadMs, quiet: (run.cpu.replicas * 1000) / spreadMs };
    });
  const spread = ratios.length > 0 ? `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}×` : 'n/a';
  lines.push('');
  lines.push(`- Median time to drain: 1 replica ${seconds(median(drainTimes(single)))}, ${many} replicas ${seconds(median(drainTimes(several)))}.`);
  lines.push(`- Ratio 1-replica time / ${many}-replica time, per pair: ${ratios.map((value) => `${value.toFixed(2)}×`).join(', ') || 'n/a'} (median ${ratio.toFixed(2)}×, spread ${spread}).`);
  lines.push(
    `- CPU per release (replicas + Postgres): median ${median(single.map((run) => cpuPerReleaseMs(run, result.releases))).toFixed(1)} ms with 1 replica, ${median(several.map((run) => cpuPerReleaseMs(run, result.releases))).toFixed(1)} ms with ${many}.`,
    `- Ceiling on ${result.cores} cores, per 1-replica run (its replicas + Postgres CPU spread evenly over the cores, no extra cost per replica): ${ceilings.map((value) => `${value.ofRun.toFixed(2)}×`).join(', ') || 'n/a'} against its own time (stretched by whatever else ran); ${ceilings.map((value) => `${value.quiet.toFixed(2)}×`).join(', ') || 'n/a'} against the least its one replica needs on one core (${result.cores} × replica CPU / (replica + Postgres CPU)), the ceiling when that replica's own event loop is what bounds a 1-replica run.`,
  );
  lines.push(`- Exactly once in every run (each release promoted once and its traffic result fed back once, one set_weights row per release, every key at the receiver and none it was not asked for, nothing left due): ${exact ? '**yes**' : '**no**'}.`);
  lines.push(`- Goal: ${many} replicas drain ${n} due releases ≥ 2× faster than one: median ratio ${ratio.toFixed(2)}× → ${verdict(allDrained && exact && ratio >= 2)}.`);
  if (!(ratio >= 2) && single.length > 0 && several.length > 0) {
    const busy = result.runs.filter((run) => run.cpu.machine !== null).map((run) => (100 * run.cpu.machine!) / (run.cpu.windowSeconds * result.cores));
    const loads = result.runs.map((run) => run.loadAverage);
    const replicaOnlyPerRelease = median(single.map((run) => (run.cpu.replicas * 1000) / result.releases));
    const severalPerRelease = median(several.map((run) => cpuPerReleaseMs(run, result.releases)));
    // Cores for a 2× ratio when one replica's event loop bounds its run and the others' work spreads evenly.
    const coresNeeded = Math.ceil((2 * severalPerRelease) / replicaOnlyPerRelease);
    lines.push(
      `- Why not here: the replicas and Postgres share ${result.cores} cores. The whole machine was ${range(busy.map((value) => `${Math.round(value)}%`))} busy in the drain windows (1-minute load ${range(loads.map((value) => value.toFixed(1)))}, other work included)${busy.length && Math.min(...busy) >= 95 ? ', so more replicas could only take CPU from one another and from Postgres' : '; where it was not saturated, something besides CPU held the drain too'}, and ${many} replicas spent ${severalPerRelease.toFixed(1)} ms of CPU per release against ${median(single.map((run) => cpuPerReleaseMs(run, result.releases))).toFixed(1)} ms for one. At these costs a 2× ratio needs about ${coresNeeded} cores (2 × ${severalPerRelease.toFixed(1)} ms per release with ${many} replicas / ${replicaOnlyPerRelease.toFixed(1)} ms, one replica's own CPU per release, which bounds a 1-replica run on its one event loop).`,
    );
  }
  return lines.join('\n');
}

/** "a–b" from the smallest to the largest of formatted figures (numeric order), or "a" when they are all the same. */
function range(figures: readonly string[]): string {
  if (figures.length === 0) return 'n/a';
  const sorted = [...figures].sort((a, b) => parseFloat(a) - parseFloat(b));
  return sorted[0] === sorted.at(-1) ? sorted[0]! : `${sorted[0]}–${sorted.at(-1)}`;
}

/** Milliseconds of CPU (replicas and Postgres) one release cost in a run. */
function cpuPerReleaseMs(run: DrainRun, releases: number): number {
  return ((run.cpu.replicas + run.cpu.postgres) * 1000) / releases;
}
