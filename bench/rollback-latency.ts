import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_DEVELOPER, BENCH_WEBHOOK_SECRET_ENV } from './support/bench-config.js';
import { spawnWorker, type Spawned } from './support/processes.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET, signedButton } from './support/slack-requests.js';
import { SlackStub } from './support/slack-stub.js';
import { ms, percentile, table, verdict } from './support/stats.js';
import { closedPort, WebhookRecorder } from './support/webhook-recorder.js';

/**
 * Rollback latency: a signed "Roll back" click on a baking canary → the traffic webhook that moves
 * traffic back arrives at the platform's receiver. The product runs as its own process (startApp,
 * embedded PGlite) with traffic and infra as signed webhooks to a local recorder, Datadog as the
 * metrics provider and GitHub both pointed at closed ports, and Slack taken down after start-up:
 * a rollback must not wait on any of them.
 */

export interface RollbackLatencyOptions {
  trials?: number;
  gapMs?: number;
}

export interface RollbackLatencyResult {
  trials: number;
  latencies: number[];
  missed: number;
  wrongTarget: number;
}

export async function runRollbackLatency(input: RollbackLatencyOptions = {}): Promise<RollbackLatencyResult> {
  const trials = input.trials ?? 100;
  const gapMs = input.gapMs ?? 250;
  const stub = new SlackStub();
  await stub.start();
  const recorder = new WebhookRecorder();
  await recorder.start();
  const dataDir = mkdtempSync(join(tmpdir(), 'dd-bench-rollback-'));
  const deadDatadog = await closedPort();
  const deadGithub = await closedPort();
  let app: Spawned<{ url: string; seeded: { ids: string[]; version: number } | null }> | undefined;
  try {
    app = await spawnWorker('bench/workers/product-app.ts', {
      SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
      SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
      SLACK_API_URL: stub.apiUrl,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      DD_API_KEY: 'dd-bench',
      DD_APP_KEY: 'dd-bench',
      DD_API_URL: `http://127.0.0.1:${deadDatadog}`,
      GITHUB_TOKEN: 'ghp-bench',
      GITHUB_API_URL: `http://127.0.0.1:${deadGithub}`,
      [BENCH_WEBHOOK_SECRET_ENV]: 'bench-webhook-secret',
      BENCH_SERVICES: String(trials),
      BENCH_SEED: String(trials),
      BENCH_WEBHOOK_URL: recorder.url,
      BENCH_METRICS: 'datadog',
    }, { timeoutMs: 300_000 });
    const seeded = app.ready.seeded;
    if (!seeded) throw new Error('the app did not seed releases');
    // Slack is gone from here on: the click's confirmation and the card update will fail.
    await stub.down();
    const latencies: number[] = [];
    let missed = 0;
    let wrongTarget = 0;
    for (const [index, releaseId] of seeded.ids.entries()) {
      const click = signedButton({ action: 'rollback', releaseId, version: seeded.version, user: BENCH_DEVELOPER, triggerId: `rb.${index}.${Date.now()}`, responseUrl: stub.responseUrl });
      const waiting = recorder.waitFor((call) => call.path === '/traffic' && call.body.releaseId === releaseId, 10_000);
      const sentAt = Number(process.hrtime.bigint()) / 1e6;
      const response = await fetch(`${app.ready.url}/slack/events`, { method: 'POST', headers: click.headers, body: click.body });
      await response.arrayBuffer();
      const call = await waiting;
      if (!call) {
        missed += 1;
      } else {
        latencies.push(call.atMs - sentAt);
        const weights = call.body.weights as Record<string, number>;
        if (!Object.keys(weights).some((id) => id.startsWith('is-seed-') && weights[id] === 100)) wrongTarget += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    return { trials, latencies, missed, wrongTarget };
  } finally {
    await app?.stop();
    await recorder.stop();
    await stub.down();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatRollbackLatency(result: RollbackLatencyResult): string {
  const p99 = percentile(result.latencies, 99);
  return [
    `${result.trials} clicks, one every ~250 ms, each on another baking release; Slack, Datadog and GitHub unreachable.`,
    '',
    table(['p50', 'p90', 'p99', 'max', 'missed (no traffic call in 10 s)', 'moved to the wrong infra-set'], [
      [ms(percentile(result.latencies, 50)), ms(percentile(result.latencies, 90)), ms(p99), ms(Math.max(...result.latencies)), result.missed, result.wrongTarget],
    ]),
    '',
    `- Goal: click → traffic call p99 ≤ 250 ms → ${verdict(p99 <= 250 && result.missed === 0)}.`,
  ].join('\n');
}
