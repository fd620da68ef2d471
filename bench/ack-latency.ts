import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { BENCH_DEVELOPER } from './support/bench-config.js';
import { cpuUsedBetween, machineBusySeconds, ownCpuSeconds, pidsNamed, processCpuSeconds, readProcessesCpu } from './support/cpu.js';
import { BENCH_POSTGRES_ADMIN_URL, openScratchPostgres, postgresAvailable, type ScratchPostgres } from './support/databases.js';
import { spawnWorker, type Spawned } from './support/processes.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET, signedButton, signedCommand, type SignedRequest } from './support/slack-requests.js';
import { openLoop, type OpenLoopResult } from './support/open-loop.js';
import { RemoteSlackStub } from './support/slack-stub.js';
import { ms, table, verdict } from './support/stats.js';

/**
 * Ack latency of signed slash commands and button clicks, on loopback, with 1,000 active releases in
 * the store, against the floor measured in the same run: a bare Bolt app whose listeners only ack().
 * Both run as their own process; the same client sends the same kind of signed requests (a fresh
 * trigger_id, user and signature each): an open loop at a fixed 100 req/s for latency and at the
 * offered rate for fully processed commands, autocannon with 20 connections flat out for the maximum
 * rate.
 */

export interface AckLatencyOptions {
  activeReleases?: number;
  latencySeconds?: number;
  maxRateSeconds?: number;
  rate?: number;
  databases?: Array<'pglite' | 'postgres'>;
  /** Rounds of floor / products / floor (≥ 3). */
  pairs?: number;
}

/**
 * One latency run: the open loop's figures, without the latencies themselves, and the app process's
 * CPU (all its threads: PGlite's too) per request sent, from the run's start to the end of its settle
 * (so the work after each ack counts; so does any background work of the product in that window).
 */
type Figures = Omit<OpenLoopResult, 'latencies'> & { cpuMsPerRequest: number | null };


export interface AckLatencyResult {
  options: Required<AckLatencyOptions>;
  apps: Array<'bare' | 'pglite' | 'postgres'>;
  /** Per round: `${app}:${kind}` → figures (`bare-after:*` is the floor measured again after the products). */
  rounds: Array<{ loadAverage: number; figures: Record<string, Figures> }>;
  maxRates: Record<string, { command: number; button: number }>;
  /** Fully processed commands, each product measured once a run, the runs alternating between them. */
  processed: Array<{ database: 'pglite' | 'postgres'; run: number; figures: Processed }>;
}

type Kind = 'command' | 'button';

function requestFactory(kind: Kind, stub: RemoteSlackStub, releaseIds: string[], version: number): () => SignedRequest {
  let counter = 0;
  const prefix = `${process.pid}${Date.now().toString(36)}`;
  return () => {
    counter += 1;
    const releaseId = releaseIds[counter % releaseIds.length] ?? 'r0000000000';
    const triggerId = `${prefix}.${counter}.bench`;
    if (kind === 'command') {
      return signedCommand({ command: '/release', text: releaseId, user: BENCH_DEVELOPER, triggerId, responseUrl: stub.responseUrl });
    }
    // One click in ten is the release's team pausing it (a real transition); the rest are users
    // without the right, whose clicks are refused (still a locked read and an audit row).
    const user = counter % 10 === 0 ? BENCH_DEVELOPER : `U0LOAD${counter}`;
    return signedButton({ action: 'pause', releaseId, version, user, triggerId, responseUrl: stub.responseUrl });
  };
}

async function load(url: string, next: () => SignedRequest, options: { connections: number; seconds: number; rate?: number }): Promise<Result> {
  return autocannon({
    url: `${url}/slack/events`,
    connections: options.connections,
    duration: options.seconds,
    ...(options.rate ? { overallRate: options.rate } : {}),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: '/slack/events',
        setupRequest: (request) => {
          const signed = next();
          return { ...request, method: 'POST', path: '/slack/events', headers: signed.headers, body: signed.body };
        },
      },
    ],
  });
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 1_500));

async function measureLatency(app: App, stub: RemoteSlackStub, kind: Kind, options: Required<AckLatencyOptions>): Promise<Figures> {
  const cpuBefore = processCpuSeconds(app.pid);
  const { latencies: _latencies, ...result } = await openLoop(app.url, '/slack/events', requestFactory(kind, stub, app.releaseIds, app.version), { rate: options.rate, seconds: options.latencySeconds });
  await settle();
  const cpuAfter = processCpuSeconds(app.pid);
  const sent = Math.round(options.rate * options.latencySeconds);
  return { ...result, cpuMsPerRequest: cpuBefore === null || cpuAfter === null ? null : ((cpuAfter - cpuBefore) * 1000) / sent };
}

async function measureMaxRate(url: string, stub: RemoteSlackStub, releaseIds: string[], version: number, kind: Kind, options: Required<AckLatencyOptions>): Promise<number> {
  const result = await load(url, requestFactory(kind, stub, releaseIds, version), { connections: 20, seconds: options.maxRateSeconds });
  await settle();
  return result['2xx'] / result.duration;
}

/**
 * Commands fully processed per second: /release <id> offered at `offered` req/s for `seconds`, one
 * request due every 1/offered s (the open loop, as for latency: autocannon's `overallRate` sends a
 * second's quota in one burst at the top of the second, so a bounded admission gate sees 64 at once
 * and turns the rest of the second away, and the figure measures the burst, not the app); a command is
 * processed when its answer reaches the response_url (the stub counts those), and one turned away
 * "busy" answers in its ack. The backlog is bounded when the app drains within seconds of the load
 * stopping.
 */
async function measureProcessed(app: App, stub: RemoteSlackStub, stubPid: number, offered: number, seconds: number): Promise<Processed> {
  const { url, releaseIds, version } = app;
  const answered = async () => (await stub.counts()).get('response_url') ?? 0;
  const before = await answered();
  const appCpuBefore = processCpuSeconds(app.pid);
  const machineBefore = machineBusySeconds();
  // The rest of the machine's share, by who spends it: the database server, the stub taking the
  // answers, and this process (the load client).
  const postgresBefore = readProcessesCpu(pidsNamed('postgres'));
  const stubBefore = processCpuSeconds(stubPid);
  const clientBefore = ownCpuSeconds();
  const started = process.hrtime.bigint();
  const result = await openLoop(url, '/slack/events', requestFactory('command', stub, releaseIds, version), { rate: offered, seconds, maxSockets: 64 });
  const loadEnded = process.hrtime.bigint();
  // Drain: wait until no answer arrives for 1 s (bounded at 30 s).
  let last = await answered();
  let quietSince = process.hrtime.bigint();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await answered();
    if (now !== last) {
      last = now;
      quietSince = process.hrtime.bigint();
    }
    if (Number(process.hrtime.bigint() - quietSince) / 1e6 > 1_000 || Number(process.hrtime.bigint() - loadEnded) / 1e6 > 30_000) break;
  }
  const appCpuAfter = processCpuSeconds(app.pid);
  const machineAfter = machineBusySeconds();
  const postgresAfter = readProcessesCpu([...postgresBefore.keys()]);
  const stubAfter = processCpuSeconds(stubPid);
  const clientAfter = ownCpuSeconds();
  const processed = last - before;
  const drainMs = Math.max(0, Number(quietSince - loadEnded) / 1e6);
  const wallMs = Number(quietSince - started) / 1e6;
  await settle();
  const acknowledged = result.requests - result.non2xx;
  const sent = Math.round(offered * seconds);
  const perProcessed = (before: number | null, after: number | null) => (before === null || after === null || processed === 0 ? null : ((after - before) * 1000) / processed);
  return {
    offered,
    sent,
    processed,
    turnedAway: Math.max(0, acknowledged - processed),
    perSecond: processed / (wallMs / 1000),
    drainMs,
    errors: result.errors + result.non2xx,
    appCpuMsPerProcessed: perProcessed(appCpuBefore, appCpuAfter),
    machineCpuMsPerProcessed: perProcessed(machineBefore, machineAfter),
    postgresCpuMsPerProcessed: postgresBefore.size === 0 ? null : perProcessed(0, cpuUsedBetween(postgresBefore, postgresAfter)),
    stubCpuMsPerProcessed: perProcessed(stubBefore, stubAfter),
    clientCpuMsPerProcessed: perProcessed(clientBefore, clientAfter),
    machineBusy: machineBefore === null || machineAfter === null ? null : (machineAfter - machineBefore) / ((wallMs / 1000) * availableParallelism()),
  };
}

/** Who spent a processed command's share of the whole machine's CPU. */
function machineShares(f: Processed): string {
  const parts: Array<[string, number | null]> = [
    ['the app', f.appCpuMsPerProcessed],
    ['Postgres', f.postgresCpuMsPerProcessed],
    ['the Slack stub', f.stubCpuMsPerProcessed],
    ['the load client', f.clientCpuMsPerProcessed],
  ];
  const known = parts.reduce((sum, [, cpu]) => sum + (cpu ?? 0), 0);
  const rest = (f.machineCpuMsPerProcessed ?? known) - known;
  return [...parts.filter(([, cpu]) => cpu !== null).map(([who, cpu]) => `${who} ${cpu!.toFixed(2)} ms`), `the kernel's loopback and the rest ${rest.toFixed(2)} ms`].join(', ');
}

interface Processed {
  offered: number;
  sent: number;
  processed: number;
  turnedAway: number;
  perSecond: number;
  drainMs: number;
  errors: number;
  /** CPU over the window (load and drain) divided by the commands processed: the app process (all its threads), and the whole machine. */
  appCpuMsPerProcessed: number | null;
  machineCpuMsPerProcessed: number | null;
  /** The same for the local Postgres server (all its processes), the Slack stub and the load client (this process). */
  postgresCpuMsPerProcessed: number | null;
  stubCpuMsPerProcessed: number | null;
  clientCpuMsPerProcessed: number | null;
  /** The machine's busy share over the window, all cores. */
  machineBusy: number | null;
}

type App = { name: 'bare' | 'pglite' | 'postgres'; url: string; pid: number; releaseIds: string[]; version: number };

export async function runAckLatency(input: AckLatencyOptions = {}): Promise<AckLatencyResult> {
  const options: Required<AckLatencyOptions> = {
    activeReleases: input.activeReleases ?? 1_000,
    latencySeconds: input.latencySeconds ?? 10,
    maxRateSeconds: input.maxRateSeconds ?? 10,
    rate: input.rate ?? 100,
    databases: input.databases ?? ['pglite', 'postgres'],
    pairs: input.pairs ?? 3,
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'dd-bench-ack-'));
  const spawned: Array<Spawned<unknown>> = [];
  const scratches: ScratchPostgres[] = [];
  try {
    // Slack in a process of its own: the products' answers must not load the client that times them.
    const stubProcess = await spawnWorker<{ url: string }>('bench/workers/slack-stub.ts', {});
    spawned.push(stubProcess);
    const stub = new RemoteSlackStub(stubProcess.ready.url);
    const bare = await spawnWorker<{ url: string }>('bench/workers/bare-bolt.ts', {
      BENCH_BOT_TOKEN,
      BENCH_SIGNING_SECRET,
      BENCH_SLACK_API_URL: stub.apiUrl,
    });
    spawned.push(bare);
    const apps: App[] = [{ name: 'bare', url: bare.ready.url, pid: bare.child.pid ?? 0, releaseIds: ['r0000000000'], version: 1 }];
    // Every app stays up for the whole run, so the rounds can alternate floor and product.
    for (const kind of options.databases) {
      let scratch: ScratchPostgres | undefined;
      if (kind === 'postgres') {
        if (!(await postgresAvailable(BENCH_POSTGRES_ADMIN_URL))) continue;
        scratch = await openScratchPostgres(BENCH_POSTGRES_ADMIN_URL);
        scratches.push(scratch);
      }
      const product = await spawnWorker<{ url: string; seeded: { ids: string[]; version: number } | null }>('bench/workers/product-app.ts', {
        SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
        SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
        SLACK_API_URL: stub.apiUrl,
        ...(scratch ? { DATABASE_URL: scratch.url } : { DATA_DIR: join(dataDir, kind) }),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        BENCH_SERVICES: String(options.activeReleases),
        BENCH_SEED: String(options.activeReleases),
      }, { timeoutMs: 300_000 });
      spawned.push(product);
      const seeded = product.ready.seeded;
      if (!seeded || seeded.ids.length !== options.activeReleases) throw new Error(`expected ${options.activeReleases} seeded releases, got ${seeded?.ids.length ?? 0}`);
      apps.push({ name: kind, url: product.ready.url, pid: product.child.pid ?? 0, releaseIds: seeded.ids, version: seeded.version });
    }
    // A short warm-up of each: JIT and connection pools, not measured.
    for (const app of apps) {
      await load(app.url, requestFactory('command', stub, app.releaseIds, app.version), { connections: 5, seconds: 2, rate: 50 });
      await load(app.url, requestFactory('button', stub, app.releaseIds, app.version), { connections: 5, seconds: 2, rate: 50 });
    }
    await settle();

    const rounds: AckLatencyResult['rounds'] = [];
    for (let pair = 0; pair < options.pairs; pair += 1) {
      const round: AckLatencyResult['rounds'][number] = { loadAverage: loadavg()[0] ?? 0, figures: {} };
      for (const kind of ['command', 'button'] as const) {
        // Floor, then each product, then the floor again: each product sits between two floor runs.
        for (const app of apps) {
          round.figures[`${app.name}:${kind}`] = await measureLatency(app, stub, kind, options);
        }
        round.figures[`bare-after:${kind}`] = await measureLatency(apps[0]!, stub, kind, options);
      }
      rounds.push(round);
    }

    const maxRates: AckLatencyResult['maxRates'] = {};
    for (const app of apps) {
      maxRates[app.name] = {
        command: await measureMaxRate(app.url, stub, app.releaseIds, app.version, 'command', options),
        button: await measureMaxRate(app.url, stub, app.releaseIds, app.version, 'button', options),
      };
    }

    const processed: AckLatencyResult['processed'] = [];
    for (let run = 1; run <= options.pairs; run += 1) {
      for (const app of apps.slice(1)) {
        // A fifth above each goal: enough to show the gate turning the excess away, little enough that the
        // client's own CPU (on the same cores) does not decide the figure.
        const offered = app.name === 'postgres' ? 1_200 : 600;
        processed.push({ database: app.name as 'pglite' | 'postgres', run, figures: await measureProcessed(app, stub, stubProcess.child.pid ?? 0, offered, 10) });
      }
    }
    return { options, apps: apps.map((app) => app.name), rounds, maxRates, processed };
  } finally {
    for (const child of spawned.reverse()) await child.stop().catch(() => {});
    for (const scratch of scratches) await scratch.close().catch(() => {});
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatAckLatency(result: AckLatencyResult): string {
  const { options, rounds, apps, maxRates, processed } = result;
  const label = (name: string) => (name === 'bare' ? 'bare Bolt (floor)' : `Durable Delivery on ${name === 'pglite' ? 'PGlite (default)' : 'Postgres'}`);
  const what = (kind: Kind) => (kind === 'command' ? 'slash command' : 'button click');
  const lines = [
    `${options.pairs} rounds; in each, for slash commands then clicks: the floor, each product, the floor again (${options.rate} req/s for ${options.latencySeconds} s each, open loop: one request due every ${(1000 / options.rate).toFixed(0)} ms and sent when due whatever came back, up to 64 kept-alive connections, latency from when it was due to its answer), ${options.activeReleases.toLocaleString('en-US')} active releases in each product's store. Every app, and the Slack stub that takes the products' answers, runs as its own process for the whole run. p99 per run (p50, requests and the app process's CPU per request in brackets: all its threads, from the run's start until 1.5 s after it, so the work after each ack counts); the floor of a round is the worse of its two floor runs; "requests" well under ${options.rate * options.latencySeconds} means the app could not keep up:`,
    '',
  ];
  const header = ['round (1-min load avg)', 'request', ...apps.map(label), 'bare Bolt again'];
  const rows: Array<Array<string | number>> = [];
  rounds.forEach((round, index) => {
    for (const kind of ['command', 'button'] as const) {
      const cell = (key: string) => {
        const f = round.figures[key];
        const cpu = f?.cpuMsPerRequest === null || f?.cpuMsPerRequest === undefined ? '' : `; ${f.cpuMsPerRequest.toFixed(2)} ms CPU/req`;
        return f ? `${ms(f.p99)} (${ms(f.p50)}; ${f.requests} req${f.non2xx + f.errors > 0 ? `, ${f.non2xx + f.errors} errors` : ''}${cpu})` : 'n/a';
      };
      rows.push([`${index + 1} (${round.loadAverage.toFixed(1)})`, what(kind), ...apps.map((name) => cell(`${name}:${kind}`)), cell(`bare-after:${kind}`)]);
    }
  });
  lines.push(table(header, rows), '');
  lines.push('Ratio product p99 / floor p99 per round (the floor being the worse of the two floor runs around it):', '');
  const ratioRows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  for (const name of apps.slice(1)) {
    for (const kind of ['command', 'button'] as const) {
      const ratios = rounds.map((round) => {
        const product = round.figures[`${name}:${kind}`]?.p99 ?? Number.NaN;
        const floor = Math.max(round.figures[`bare:${kind}`]?.p99 ?? Number.NaN, round.figures[`bare-after:${kind}`]?.p99 ?? Number.NaN);
        return product / floor;
      });
      const sorted = [...ratios].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
      ratioRows.push([label(name), what(kind), ...ratios.map((ratio) => `${ratio.toFixed(2)}×`), `${median.toFixed(2)}×`, `${sorted[0]?.toFixed(2)}–${sorted.at(-1)?.toFixed(2)}×`]);
      verdicts.push(`- ${label(name)}, ${what(kind)}s: median p99 ratio ${median.toFixed(2)}× ≤ 1.5× → ${verdict(median <= 1.5)} (worst round ${sorted.at(-1)?.toFixed(2)}×, ${sorted.at(-1)! <= 1.5 ? 'within' : 'over'} the goal).`);
    }
  }
  lines.push(table(['app', 'request', ...rounds.map((_, index) => `round ${index + 1}`), 'median', 'spread'], ratioRows), '', ...verdicts, '');
  lines.push(`Maximum ack rate, 20 connections for ${options.maxRateSeconds} s (2xx answers per second):`, '');
  lines.push(table(['app', 'slash commands / s', 'button clicks / s'], apps.map((name) => [label(name), (maxRates[name]?.command ?? Number.NaN).toFixed(0), (maxRates[name]?.button ?? Number.NaN).toFixed(0)])), '');
  lines.push(`Fully processed commands (\`/release <id>\`; processed = its answer reached the response_url; turned away = answered "busy, try again in a moment" in the ack by the admission gate, 64 in flight), ${options.pairs} runs alternating between the products: an open loop for 10 s at the offered rate (one command due every 1/rate s, up to 64 kept-alive connections), then until no answer arrives for 1 s:`, '');
  lines.push(
    table(
      ['database', 'run', 'offered / s', 'sent', 'processed', 'turned away (busy)', 'processed / s', 'drain after load stopped', 'errors', 'CPU per processed: app', 'CPU per processed: Postgres · Slack stub · load client', 'CPU per processed: whole machine (busy share)'],
      processed.map(({ database, run, figures: f }) => [
        label(database),
        run,
        f.offered,
        f.sent,
        f.processed,
        f.turnedAway,
        f.perSecond.toFixed(0),
        ms(f.drainMs, 0),
        f.errors,
        f.appCpuMsPerProcessed === null ? 'n/a' : `${f.appCpuMsPerProcessed.toFixed(2)} ms`,
        [f.postgresCpuMsPerProcessed, f.stubCpuMsPerProcessed, f.clientCpuMsPerProcessed].map((cpu) => (cpu === null ? 'n/a' : cpu.toFixed(2))).join(' · ') + ' ms',
        f.machineCpuMsPerProcessed === null || f.machineBusy === null ? 'n/a' : `${f.machineCpuMsPerProcessed.toFixed(2)} ms (${(f.machineBusy * 100).toFixed(0)}%)`,
      ]),
    ),
    '',
  );
  for (const database of ['pglite', 'postgres'] as const) {
    const runs = processed.filter((entry) => entry.database === database).map((entry) => entry.figures).sort((a, b) => a.perSecond - b.perSecond);
    if (runs.length === 0) continue;
    // The median run (the lower middle one of an even count) speaks for the product.
    const f = runs[Math.floor((runs.length - 1) / 2)]!;
    const goal = database === 'postgres' ? 1_000 : 500;
    const slowestDrain = Math.max(...runs.map((run) => run.drainMs));
    const spread = `${runs[0]!.perSecond.toFixed(0)}–${runs.at(-1)!.perSecond.toFixed(0)}/s`;
    lines.push(
      `- ${label(database)}: median ${f.perSecond.toFixed(0)} processed commands/s (spread ${spread}) ≥ ${goal}/s → ${verdict(f.perSecond >= goal)}; backlog bounded (drained within ${ms(slowestDrain, 0)} of the load stopping in every run, ${runs.reduce((sum, run) => sum + run.turnedAway, 0)} turned away busy in all) → ${verdict(slowestDrain < 5_000)}.`,
    );
    if (f.perSecond < goal && f.appCpuMsPerProcessed !== null && f.machineCpuMsPerProcessed !== null && f.machineBusy !== null) {
      const cores = availableParallelism();
      // Two ceilings at the median run's costs: the app's own CPU on one core (its event loop answers
      // Slack and runs the work; on PGlite its database thread counts in too), and the whole machine's.
      lines.push(
        `  Why not here (the median run): the app spent ${f.appCpuMsPerProcessed.toFixed(2)} ms of CPU per processed command, about ${(1000 / f.appCpuMsPerProcessed).toFixed(0)} a second on one core; the whole machine ${f.machineCpuMsPerProcessed.toFixed(2)} ms at ${(f.machineBusy * 100).toFixed(0)}% busy (${machineShares(f)}), about ${((cores * 1000) / f.machineCpuMsPerProcessed).toFixed(0)} a second on its ${cores} cores. ${goal}/s needs both above it.`,
      );
    }
  }
  lines.push('', 'Latency is measured by the client on loopback (request written → answer read), so it bounds the server-side time from above. The machine is shared: the 1-minute load average at the start of each round is in the first column.');
  return lines.join('\n');
}
