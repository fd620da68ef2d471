import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon, { type Result } from 'autocannon';
import { BENCH_DEVELOPER } from './support/bench-config.js';
import { BENCH_POSTGRES_ADMIN_URL, openScratchPostgres, postgresAvailable, type ScratchPostgres } from './support/databases.js';
import { spawnWorker, type Spawned } from './support/processes.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET, signedButton, signedCommand, type SignedRequest } from './support/slack-requests.js';
import { SlackStub } from './support/slack-stub.js';
import { ms, table, verdict } from './support/stats.js';

/**
 * Ack latency of signed slash commands and button clicks, on loopback, with 1,000 active releases in
 * the store, against the floor measured in the same run: a bare Bolt app whose listeners only ack().
 * Both run as their own process; the same autocannon client sends the same kind of signed requests
 * (a fresh trigger_id, user and signature each) at a fixed 100 req/s for latency and with 20
 * connections flat out for the maximum rate.
 */

export interface AckLatencyOptions {
  activeReleases?: number;
  latencySeconds?: number;
  maxRateSeconds?: number;
  rate?: number;
  databases?: Array<'pglite' | 'postgres'>;
}

interface Figures {
  p50: number;
  p99: number;
  p99_9: number;
  requests: number;
  non2xx: number;
  errors: number;
}

interface AppFigures {
  command: Figures;
  button: Figures;
  commandMaxRate: number;
  buttonMaxRate: number;
}

export interface AckLatencyResult {
  options: Required<AckLatencyOptions>;
  bare: AppFigures;
  /** The product on each store: embedded PGlite (the default) and, when a server is up, Postgres. */
  products: Array<{ database: 'pglite' | 'postgres'; figures: AppFigures }>;
}

type Kind = 'command' | 'button';

function requestFactory(kind: Kind, stub: SlackStub, releaseIds: string[], version: number): () => SignedRequest {
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

function figures(result: Result): Figures {
  return { p50: result.latency.p50, p99: result.latency.p99, p99_9: result.latency.p99_9, requests: result.requests.total, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

async function measureApp(url: string, stub: SlackStub, releaseIds: string[], version: number, options: Required<AckLatencyOptions>): Promise<AppFigures> {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 2_000));
  // A short warm-up: JIT and connection pools, not measured.
  await load(url, requestFactory('command', stub, releaseIds, version), { connections: 5, seconds: 2, rate: 50 });
  await settle();
  const command = figures(await load(url, requestFactory('command', stub, releaseIds, version), { connections: 10, seconds: options.latencySeconds, rate: options.rate }));
  await settle();
  const button = figures(await load(url, requestFactory('button', stub, releaseIds, version), { connections: 10, seconds: options.latencySeconds, rate: options.rate }));
  await settle();
  const commandMax = await load(url, requestFactory('command', stub, releaseIds, version), { connections: 20, seconds: options.maxRateSeconds });
  await settle();
  const buttonMax = await load(url, requestFactory('button', stub, releaseIds, version), { connections: 20, seconds: options.maxRateSeconds });
  await settle();
  return { command, button, commandMaxRate: commandMax['2xx'] / commandMax.duration, buttonMaxRate: buttonMax['2xx'] / buttonMax.duration };
}

export async function runAckLatency(input: AckLatencyOptions = {}): Promise<AckLatencyResult> {
  const options: Required<AckLatencyOptions> = {
    activeReleases: input.activeReleases ?? 1_000,
    latencySeconds: input.latencySeconds ?? 30,
    maxRateSeconds: input.maxRateSeconds ?? 10,
    rate: input.rate ?? 100,
    databases: input.databases ?? ['pglite', 'postgres'],
  };
  const stub = new SlackStub();
  await stub.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'dd-bench-ack-'));
  let bare: Spawned<{ url: string }> | undefined;
  let product: Spawned<{ url: string; seeded: { ids: string[]; version: number } | null }> | undefined;
  try {
    bare = await spawnWorker<{ url: string }>('bench/workers/bare-bolt.ts', {
      BENCH_BOT_TOKEN,
      BENCH_SIGNING_SECRET,
      BENCH_SLACK_API_URL: stub.apiUrl,
    });
    const bareFigures = await measureApp(bare.ready.url, stub, ['r0000000000'], 1, options);
    await bare.stop();

    const products: AckLatencyResult['products'] = [];
    for (const kind of options.databases) {
      let scratch: ScratchPostgres | undefined;
      if (kind === 'postgres') {
        if (!(await postgresAvailable(BENCH_POSTGRES_ADMIN_URL))) continue;
        scratch = await openScratchPostgres(BENCH_POSTGRES_ADMIN_URL);
      }
      try {
        product = await spawnWorker('bench/workers/product-app.ts', {
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
        const seeded = product.ready.seeded;
        if (!seeded || seeded.ids.length !== options.activeReleases) throw new Error(`expected ${options.activeReleases} seeded releases, got ${seeded?.ids.length ?? 0}`);
        products.push({ database: kind, figures: await measureApp(product.ready.url, stub, seeded.ids, seeded.version, options) });
        await product.stop();
      } finally {
        await product?.stop();
        await scratch?.close();
      }
    }
    return { options, bare: bareFigures, products };
  } finally {
    await bare?.stop();
    await product?.stop();
    await stub.down();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatAckLatency(result: AckLatencyResult): string {
  const { bare, products, options } = result;
  const row = (app: string, kind: string, f: Figures) => [app, kind, ms(f.p50), ms(f.p99), ms(f.p99_9), f.requests, f.non2xx + f.errors];
  const label = (database: string) => `Durable Delivery on ${database === 'pglite' ? 'PGlite (default)' : 'Postgres'}`;
  const lines = [
    `At a fixed ${options.rate} req/s for ${options.latencySeconds} s each (autocannon, 10 connections, latency corrected for coordinated omission), ${options.activeReleases.toLocaleString('en-US')} active releases in the product's store. A "requests" count well under ${options.rate * options.latencySeconds} means the app could not keep up with the rate:`,
    '',
    table(['app', 'request', 'p50', 'p99', 'p99.9', 'requests', 'errors / non-2xx'], [
      row('bare Bolt (floor)', 'slash command', bare.command),
      row('bare Bolt (floor)', 'button click', bare.button),
      ...products.flatMap((product) => [row(label(product.database), 'slash command', product.figures.command), row(label(product.database), 'button click', product.figures.button)]),
    ]),
    '',
    `Maximum rate, 20 connections for ${options.maxRateSeconds} s (2xx answers per second):`,
    '',
    table(['app', 'slash commands / s', 'button clicks / s'], [
      ['bare Bolt (floor)', bare.commandMaxRate.toFixed(0), bare.buttonMaxRate.toFixed(0)],
      ...products.map((product) => [label(product.database), product.figures.commandMaxRate.toFixed(0), product.figures.buttonMaxRate.toFixed(0)]),
    ]),
    '',
    'Latency is measured by the client on loopback (request written → answer read), so it bounds the server-side time from above.',
    '',
  ];
  for (const product of products) {
    for (const kind of ['command', 'button'] as const) {
      const p = product.figures[kind];
      const b = bare[kind];
      const maxP = kind === 'command' ? product.figures.commandMaxRate : product.figures.buttonMaxRate;
      const maxB = kind === 'command' ? bare.commandMaxRate : bare.buttonMaxRate;
      const what = kind === 'command' ? 'slash commands' : 'button clicks';
      lines.push(`- ${label(product.database)}, ${what}: p99 ${ms(p.p99)} ≤ 50 ms → ${verdict(p.p99 <= 50)}; p99 ≤ 1.5 × floor (${ms(1.5 * b.p99)}) → ${verdict(p.p99 <= 1.5 * b.p99)}; max rate ${maxP.toFixed(0)}/s ≥ 0.5 × floor (${(0.5 * maxB).toFixed(0)}/s) → ${verdict(maxP >= 0.5 * maxB)}.`);
    }
  }
  return lines.join('\n');
}
