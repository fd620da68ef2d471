import { sql } from 'drizzle-orm';
import { BENCH_DEVELOPER, BENCH_ENVIRONMENT, BENCH_WEBHOOK_SECRET_ENV, benchServiceName } from '../../../bench/support/bench-config.js';
import { spawnWorker, type Spawned } from '../../../bench/support/processes.js';
import { BENCH_BOT_TOKEN, BENCH_SIGNING_SECRET, signedCommand } from '../../../bench/support/slack-requests.js';
import { SlackStub } from '../../../bench/support/slack-stub.js';
import { WebhookRecorder } from '../../../bench/support/webhook-recorder.js';
import { queryRows, type Database } from '../../../src/store/db.js';
import { openScratchPostgres } from '../../support/databases.js';

/**
 * A world for fault trials against real app processes: a scratch database on the local Postgres,
 * Slack as a local stub, traffic and infra as signed webhooks to a local recorder (every call
 * counted), and app processes started from bench/workers/product-app.ts (the production
 * composition root, HTTP mode, node-cron). Stages are short (2 s bakes, no health checks) so a
 * release finishes in seconds.
 */

export const FAULTS_POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type AppProcess = Spawned<{ url: string; pid: number }>;

export interface AppWorld {
  database: Database & { url: string };
  slack: SlackStub;
  recorder: WebhookRecorder;
  services: number;
  spawnApp(): Promise<AppProcess>;
  /** Sends `/deploy <service>@v2 to production` from the service's team to one app. */
  deploy(app: AppProcess, service: string, version?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openAppWorld(options: { services: number; bakeSeconds?: number }): Promise<AppWorld> {
  const database = await openScratchPostgres(FAULTS_POSTGRES_URL);
  const slack = new SlackStub();
  await slack.start();
  const recorder = new WebhookRecorder();
  await recorder.start();
  const bake = `${options.bakeSeconds ?? 2}s`;
  await database.db.execute(sql`
    INSERT INTO infra_sets (id, service, environment, version, release_id, state, weight, created_at)
    SELECT 'is-seed-svc-' || lpad(g::text, 5, '0'), 'svc-' || lpad(g::text, 5, '0'), ${BENCH_ENVIRONMENT}, 'v1', NULL, 'serving', 100, now() - interval '1 day'
    FROM generate_series(0, ${options.services - 1}) g`);
  const apps = new Set<AppProcess>();
  let trigger = 0;
  return {
    database,
    slack,
    recorder,
    services: options.services,
    async spawnApp() {
      const app = await spawnWorker<{ url: string; pid: number }>('bench/workers/product-app.ts', {
        SLACK_BOT_TOKEN: BENCH_BOT_TOKEN,
        SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
        SLACK_API_URL: slack.apiUrl,
        DATABASE_URL: database.url,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'error',
        [BENCH_WEBHOOK_SECRET_ENV]: 'faults-webhook-secret',
        BENCH_SERVICES: String(options.services),
        BENCH_WEBHOOK_URL: recorder.url,
        BENCH_NO_CHECKS: '1',
        BENCH_STAGES: JSON.stringify([
          { name: 'canary', weight: 10, bake },
          { name: 'full', weight: 100, bake },
        ]),
      });
      apps.add(app);
      void app.exited.then(() => apps.delete(app));
      return app;
    },
    async deploy(app, service, version = 'v2') {
      trigger += 1;
      const command = signedCommand({ command: '/deploy', text: `${service}@${version} to ${BENCH_ENVIRONMENT}`, user: BENCH_DEVELOPER, triggerId: `fault.${process.pid}.${Date.now()}.${trigger}`, responseUrl: slack.responseUrl });
      const response = await fetch(`${app.ready.url}/slack/events`, { method: 'POST', headers: command.headers, body: command.body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/deploy answered ${response.status}`);
    },
    async close() {
      await Promise.allSettled([...apps].map((app) => app.kill9()));
      await recorder.stop();
      await slack.down();
      await database.close();
    },
  };
}

export { benchServiceName };

export interface ReleaseRecord {
  id: string;
  status: string;
  service: string;
}

/** The release of a service (the latest), once the app has created it. */
export async function releaseOf(database: Database, service: string): Promise<ReleaseRecord | undefined> {
  const rows = await queryRows<ReleaseRecord>(
    database.db,
    sql`SELECT id, status, state->'plan'->'environments'->0->'changes'->0->>'service' AS service FROM releases
        WHERE state->'plan'->'environments'->0->'changes'->0->>'service' = ${service} ORDER BY created_at DESC LIMIT 1`,
  );
  return rows[0];
}

/** Polls until `check` answers a value (not undefined) or the time is up. */
export async function waitUntil<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Exactly once, read from the event log and the outbox against what the receiver saw: the release's
 * transitions are versions 1..n with no gap and no repeat; every effect row finished (none dead or
 * pending); each traffic/infra step is one outbox row with its own idempotency key; and the receiver
 * saw exactly those keys (a key may arrive more than once — at-least-once delivery, deduplicated by
 * the receiver — but no step is missing and none was invented).
 */
export async function exactlyOnceProblems(world: AppWorld, releaseId: string): Promise<{ problems: string[]; redeliveries: number }> {
  const problems: string[] = [];
  const transitions = await queryRows<{ version: number }>(world.database.db, sql`SELECT version FROM release_events WHERE release_id = ${releaseId} AND kind = 'transition' ORDER BY version`);
  const [release] = await queryRows<{ version: number; status: string }>(world.database.db, sql`SELECT version, status FROM releases WHERE id = ${releaseId}`);
  if (!release) return { problems: [`release ${releaseId} is missing`], redeliveries: 0 };
  const versions = transitions.map((row) => Number(row.version));
  const expected = Array.from({ length: release.version }, (_, index) => index + 1);
  if (JSON.stringify(versions) !== JSON.stringify(expected)) problems.push(`transitions ${JSON.stringify(versions)} are not 1..${release.version}`);
  const effects = await queryRows<{ kind: string; status: string; idempotency_key: string; effect: { token?: string } }>(
    world.database.db,
    sql`SELECT kind, status, idempotency_key, effect FROM outbox WHERE release_id = ${releaseId} AND kind IN ('set_weights', 'provision')`,
  );
  for (const effect of effects) if (effect.status !== 'done') problems.push(`${effect.kind} ${effect.idempotency_key} is ${effect.status}`);
  const sent = world.recorder.calls.filter((call) => call.body.releaseId === releaseId && (call.path === '/traffic' || call.path === '/infra'));
  const sentKeys = new Set(sent.map((call) => String(call.body.idempotencyKey)));
  const rowKeys = new Set(effects.map((effect) => keyOf(effect)));
  for (const key of rowKeys) if (!sentKeys.has(key)) problems.push(`effect ${key} never reached the receiver`);
  for (const key of sentKeys) if (!rowKeys.has(key)) problems.push(`the receiver got ${key}, which no outbox row asked for`);
  const trafficSteps = sent.filter((call) => call.path === '/traffic').map((call) => JSON.stringify(call.body.weights));
  const distinctSteps = new Set(sent.filter((call) => call.path === '/traffic').map((call) => String(call.body.idempotencyKey)));
  if (release.status === 'succeeded' && distinctSteps.size !== 2) problems.push(`expected 2 traffic steps (10%, 100%), saw ${distinctSteps.size}: ${trafficSteps.join(' ')}`);
  return { problems, redeliveries: sent.length - sentKeys.size };
}

/** The adapters send an outbox row's own idempotency key. */
function keyOf(effect: { idempotency_key: string }): string {
  return effect.idempotency_key;
}
