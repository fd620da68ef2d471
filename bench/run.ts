import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { formatAckLatency, runAckLatency } from './ack-latency.js';
import { formatColdStart, runColdStart } from './cold-start.js';
import { formatJudgeBenchmark, runJudgeBenchmark } from './judge.js';
import { formatMergeQueueBench, runMergeQueueBench } from './merge-queue.js';
import { formatRollbackLatency, runRollbackLatency } from './rollback-latency.js';
import { formatReplicaDrain, runReplicaDrain } from './replica-drain.js';
import { formatSchedulerScale, runSchedulerScale } from './scheduler-scale.js';
import { formatSlackBudget, runSlackBudget } from './slack-budget.js';
import { BENCH_POSTGRES_ADMIN_URL } from './support/databases.js';
import { describeMachine, machineInfo } from './support/machine.js';

/**
 * `npm run bench [-- --only <name>]`: runs each benchmark, prints its figures and rewrites its
 * section of BENCHMARKS.md (a run of one benchmark leaves the other sections as they were).
 */

interface Benchmark {
  name: string;
  title: string;
  /** What the section says about method and goal, above the figures. */
  about: string;
  run(): Promise<string>;
}

const BENCHMARKS: Benchmark[] = [
  {
    name: 'ack-latency',
    title: 'Ack latency (vs. the bare Bolt floor)',
    about:
      'Signed slash commands (`/release <id>`) and button clicks (Pause on a card) against the product running as its own process (`startApp`, HTTP mode, cron scheduler; embedded PGlite in its worker thread, and Postgres) with 1,000 active releases, and against a bare Bolt app whose listeners only `ack()` (DESIGN.md §6), same client, alternating in the same run. Goals: ack p99 ≤ 1.5× the bare app\'s at 100 req/s; ≥ 1,000 fully processed commands/s on Postgres and ≥ 500/s on PGlite with a bounded backlog (the admission gate answers "busy" beyond 64 in flight).',
    run: async () => formatAckLatency(await runAckLatency()),
  },
  {
    name: 'rollback-latency',
    title: 'Rollback latency',
    about:
      'A signed Roll back click on a baking canary → the traffic webhook that restores the last-known-good infra-set reaches the receiver, with the product as its own process and Slack, GitHub and Datadog unreachable. Goal: p99 ≤ 250 ms.',
    run: async () => formatRollbackLatency(await runRollbackLatency()),
  },
  {
    name: 'scheduler-scale',
    title: 'Scheduler scale',
    about:
      'Cost of one engine tick (`engine.tick(now)`: claim due releases with `FOR UPDATE SKIP LOCKED`, decide, write state + event + outbox) with 100, 1,000 and 10,000 active releases, each a canary baking for its own service. Releases are copied in bulk with SQL from one driven for real; set-up is not timed. Goal: 10,000 active releases with 1% due, a tick ≤ 200 ms, on PGlite and on Postgres; cost per due release flat from 100 to 10,000.',
    run: async () => formatSchedulerScale(await runSchedulerScale()),
  },
  {
    name: 'replica-drain',
    title: 'Replica drain (1 vs. 3 replicas on Postgres)',
    about:
      'Goal (DESIGN.md §6, issue #12): 3 replicas on Postgres drain 1,000 due releases ≥ 2× faster than one. Each replica is a real app process (`bench/workers/product-app.ts`: `startApp`, HTTP mode, node-cron scheduler) on one scratch Postgres database; the runs alternate 1 and 3 replicas, each on a fresh database and seed. The 1,000 releases are canaries at 10% whose bake ended while they were not due (copied in bulk from one driven for real); they are made due at one instant a few seconds after every replica announced it is ready (an even second, where the 2 s beat and each replica\'s wake-up timer fire), so no process start is timed. A release\'s next step is real work through the engine: a tick claims it (`FOR UPDATE SKIP LOCKED`, 20 per transaction), decides the canary passed and writes the promotion with its event and a `set_weights` 100% outbox row; the critical lane sends that as a signed traffic webhook and, in one transaction, marks the row done and feeds the answer back to the release (its second transition). **Drained** = every release has taken that step and its traffic result is written (the last `set_weights` row finished); no release is due any more. Card posts and thread lines are left out: the Slack adapter paces them to one post per channel per second in each process, Slack\'s budget rather than work replicas can share. The traffic receiver (`bench/support/webhook-recorder.ts`) and the Slack stub run in the bench process; their CPU is shown, and is small. On these 2-core machines the replicas and Postgres share two cores however many replicas run; where the CPU went (per process, from /proc) is shown for each run.',
    run: async () => formatReplicaDrain(await runReplicaDrain()),
  },
  {
    name: 'slack-budget',
    title: 'Slack budget',
    about: '100 concurrent releases over 10 minutes of virtual time through the production Chat adapter against the Slack emulator. Goals: ≤ 40 chat.update per minute per workspace; ≤ 1 post per channel per second.',
    run: async () => formatSlackBudget(await runSlackBudget()),
  },
  {
    name: 'cold-start',
    title: 'Cold start to ready (embedded database)',
    about: 'The real process — `npm start` (`node --import tsx src/main.ts`) and the compiled `node dist/main.js` — from spawn to `/readyz` = 200, with a new and with an existing PGlite data directory; the floor is PGlite\'s own open time in the same run. Goals: `node dist/main.js` ≤ PGlite open + 1 s and `npm start` ≤ PGlite open + 2 s, existing data directory.',
    run: async () => formatColdStart(await runColdStart()),
  },
  {
    name: 'judge',
    title: 'Canary judge vs. the statistical bound',
    about: 'Seeded Poisson traffic (DESIGN.md §7); pure arithmetic, independent of the machine. Goal: within 1.25× of the SPRT bound at ≤ 0.1% false alarms.',
    run: async () => formatJudgeBenchmark(runJudgeBenchmark()),
  },
  {
    name: 'merge-queue',
    title: 'Merge queue throughput',
    about: 'A simulated day of pull requests in virtual time, serial vs. batched vs. speculative.',
    run: async () => formatMergeQueueBench(await runMergeQueueBench()),
  },
];

const BENCHMARKS_MD = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));

function argument(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index >= 0) return process.argv[index + 1];
  const inline = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline?.slice(name.length + 3);
}

async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: BENCH_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return `PostgreSQL ${result.rows[0]?.server_version ?? '?'} (local, loopback)`;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

const HEADER = `# Benchmarks

Written by \`npm run bench\` (\`tsx bench/run.ts\`); one benchmark alone: \`npm run bench -- --only <name>\`
(${benchmarkNames()}). Each section says the exact command, when it ran and on what machine. Absolute
times on these shared machines drift; where a floor exists (DESIGN.md §6) it is measured in the same run
and the goal is a ratio against it. Goals are checked here, never as timing assertions in tests.

The fault suite: \`npm run test:faults\` (full run, parameters below) and its bounded CI part in \`npm test\`
(test/faults-ci). See the "Fault suite" section.
`;

function benchmarkNames(): string {
  return BENCHMARKS.map((bench) => `\`${bench.name}\``).join(', ');
}

function sectionMarkers(name: string): { begin: string; end: string } {
  return { begin: `<!-- bench:${name}:begin -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * Replaces one benchmark's section in place, between its markers, and leaves every other line of the
 * file as it was (hand-written sections included). A section not there yet goes before the first
 * section that follows it in the order of BENCHMARKS, or at the end.
 */
function writeSection(name: string, body: string): void {
  const existing = existsSync(BENCHMARKS_MD) ? readFileSync(BENCHMARKS_MD, 'utf8') : `${HEADER}\n`;
  const { begin, end } = sectionMarkers(name);
  const section = `${begin}\n${body.trim()}\n${end}`;
  const from = existing.indexOf(begin);
  const to = existing.indexOf(end);
  if (from >= 0 && to > from) {
    writeFileSync(BENCHMARKS_MD, existing.slice(0, from) + section + existing.slice(to + end.length));
    return;
  }
  const order = [...BENCHMARKS.map((entry) => entry.name), ...STATIC_SECTIONS];
  const later = order.slice(order.indexOf(name) + 1).map((next) => existing.indexOf(sectionMarkers(next).begin)).find((at) => at >= 0);
  const text = later === undefined ? `${existing.trimEnd()}\n\n${section}\n` : `${existing.slice(0, later)}${section}\n\n${existing.slice(later)}`;
  writeFileSync(BENCHMARKS_MD, text);
}

/** Sections no benchmark here writes (counts from a test, the hand-run fault suite, the missed goals): new sections go before them. */
const STATIC_SECTIONS = ['statements-per-input', 'faults', 'missed-goals'];

async function main(): Promise<void> {
  const only = argument('only');
  const selected = only ? BENCHMARKS.filter((bench) => bench.name === only) : BENCHMARKS;
  if (selected.length === 0) {
    process.stderr.write(`unknown benchmark ${only}; one of: ${BENCHMARKS.map((bench) => bench.name).join(', ')}\n`);
    process.exit(2);
  }
  const machine = describeMachine(machineInfo(await postgresVersion()));
  process.stdout.write(`machine: ${machine}\n`);
  let failed = 0;
  for (const bench of selected) {
    process.stdout.write(`\n== ${bench.name} ==\n`);
    const started = new Date();
    let figures: string;
    try {
      figures = await bench.run();
    } catch (error) {
      failed += 1;
      figures = `**The benchmark failed to run**: ${(error as Error).stack ?? String(error)}`.replace(/\n/g, '\n    ');
    }
    process.stdout.write(`${figures}\n`);
    const command = `npm run bench -- --only ${bench.name}`;
    writeSection(
      bench.name,
      `## ${bench.title}\n\n${bench.about}\n\nCommand: \`${command}\` (or \`npm run bench\` for all) · ran ${started.toISOString()} · ${machine}\n\n${figures}`,
    );
  }
  process.stdout.write(`\nBENCHMARKS.md updated (${selected.map((bench) => bench.name).join(', ')}).\n`);
  // Benchmarks may leave handles (PGlite, sockets) behind; the run is over.
  process.exit(failed > 0 ? 1 : 0);
}

await main();
