import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusTelemetry } from '../../src/adapters/prometheus/delivery-telemetry.js';
import { operationalRoutes } from '../../src/app/http-routes.js';
import { deliveryConfigSchema } from '../../src/config/delivery-schema.js';
import { runSandbox, type RunningSandbox } from '../../src/sandbox/run-sandbox.js';
import type { Database } from '../../src/store/db.js';
import { releases } from '../../src/store/schema/index.js';
import { pgliteKind } from '../support/databases.js';
import { PEOPLE, exampleConfig } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

/**
 * What an operator sees of two releases: the production bot (startBot, as the sandbox runs it) on a
 * simulated fleet at 60×, driven by signed Slack commands, scraped on its real /metrics route, its
 * pino lines read from a stream at LOG_LEVEL=info. checkout@v2 ships; checkout@v3 errors, fails the
 * judge and is rolled back.
 */
const SPEED = 60;

function config() {
  return deliveryConfigSchema.parse({
    approverGroups: { 'release-managers': [PEOPLE.bob] },
    teams: { checkout: { channel: '#team-checkout', members: [PEOPLE.alice] } },
    services: {
      // Ten times the example's load: at a 10% canary the judge sees enough requests to decide within
      // its readings, so the release never stops, held, on a draw that leaves the error check unclear.
      checkout: {
        repo: 'acme/checkout',
        team: 'checkout',
        traffic: { kind: 'simulated' },
        infra: { kind: 'simulated' },
        keepWarm: 1,
        checks: exampleConfig().services.checkout!.checks,
        expectedLoad: { requestsPerSecond: 20_000, errorRate: 0.005 },
      },
    },
    environments: {
      production: {
        channel: '#deploys',
        stages: [
          { name: 'canary', weight: 10, bake: '3m' },
          { name: 'full', weight: 100, bake: '1m' },
        ],
        health: { interval: '30s', failAfter: 2, holdAfter: 3 },
      },
    },
    metrics: { provider: 'simulated' },
  });
}

/** The value of one series in Prometheus text (0 when absent). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('metrics and log lines of a release, end to end', () => {
  let database: Database;
  let running: RunningSandbox;
  const lines: Array<Record<string, unknown>> = [];

  async function deploy(version: string): Promise<string> {
    const before = (await database.db.select({ id: releases.id }).from(releases)).map((row) => row.id);
    expect((await running.sandbox.emulator.sendCommand(PEOPLE.alice, '/deploy', `checkout@${version} to production`, 'deploys')).status).toBe(200);
    const row = await eventually(`the release of ${version}`, async () => (await database.db.select().from(releases)).find((candidate) => !before.includes(candidate.id)), 120_000);
    return row.id;
  }

  async function finished(id: string): Promise<string> {
    return eventually(
      `release ${id} finished`,
      async () => {
        const row = (await database.db.select().from(releases)).find((candidate) => candidate.id === id);
        // Held for a human would never finish by itself: say so at once rather than at the deadline.
        if (row?.status === 'held') throw new Error(`release ${id} is held: ${JSON.stringify((row.state as { phase?: unknown }).phase)}`);
        return row && ['succeeded', 'rolled_back', 'aborted'].includes(row.status) ? row.status : null;
      },
      // A whole release at 60×: seconds alone, minutes when the full suite shares a loaded machine.
      400_000,
    );
  }

  async function scrape(): Promise<string> {
    const response = await fetch(`${running.url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  }

  beforeAll(async () => {
    database = await pgliteKind.open();
    const telemetry = new PrometheusTelemetry(new Registry());
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push({ ...(JSON.parse(line) as Record<string, unknown>), raw: line });
        done();
      },
    });
    running = await runSandbox({
      config: config(),
      database,
      logger: pino({ level: 'info' }, stream),
      port: 0,
      host: '127.0.0.1',
      speed: SPEED,
      seed: 7,
      telemetry,
      extraRoutes: operationalRoutes(database, telemetry.registry).routes,
    });
  });

  afterAll(async () => {
    await running?.stop();
    await database?.close();
  });

  it('counts a release that ships: started, succeeded, stage durations, pass verdicts, effects, Slack acks', async () => {
    const before = await scrape();
    const id = await deploy('v2');
    expect(await finished(id)).toBe('succeeded');
    const after = await scrape();
    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('durable_delivery_releases_started_total{environment="production"}')).toBe(1);
    expect(moved('durable_delivery_releases_succeeded_total{environment="production"}')).toBe(1);
    expect(moved('durable_delivery_stage_duration_seconds_count{environment="production",stage="canary"}')).toBe(1);
    expect(moved('durable_delivery_stage_duration_seconds_count{environment="production",stage="full"}')).toBe(1);
    // The canary baked 3 minutes of sandbox time before it passed.
    expect(moved('durable_delivery_stage_duration_seconds_sum{environment="production",stage="canary"}')).toBeGreaterThanOrEqual(180);
    expect(moved('durable_delivery_health_verdicts_total{kind="pass"}')).toBeGreaterThanOrEqual(1);
    expect(moved('durable_delivery_outbox_effect_attempts_total{effect="set_weights"}')).toBeGreaterThanOrEqual(2);
    expect(moved('durable_delivery_slack_ack_seconds_count{surface="command"}')).toBe(1);
    expect(sample(after, 'durable_delivery_outbox_effects_dead_total{effect="set_weights"}')).toBe(0);
  }, 600_000);

  it('counts a release the judge rolls back, and the time until traffic was restored', async () => {
    running.sandbox.gameDay.injectFault('checkout', 'v3', { errorRate: 0.05 });
    const before = await scrape();
    const id = await deploy('v3');
    expect(await finished(id)).toBe('rolled_back');
    const after = await scrape();
    const moved = (series: string) => sample(after, series) - sample(before, series);
    expect(moved('durable_delivery_releases_started_total{environment="production"}')).toBe(1);
    expect(moved('durable_delivery_releases_rolled_back_total{environment="production"}')).toBe(1);
    expect(moved('durable_delivery_releases_succeeded_total{environment="production"}')).toBe(0);
    expect(moved('durable_delivery_health_verdicts_total{kind="fail"}')).toBeGreaterThanOrEqual(2);
    expect(moved('durable_delivery_traffic_restore_seconds_count{environment="production"}')).toBe(1);
  }, 600_000);

  it('logs each transition and each effect as one line with release, environment, service and stage', async () => {
    const shifted = lines.find((line) => line.input === 'traffic_applied' && line.stage === 'canary' && (line.events as string[] | undefined)?.includes('stage_started'));
    expect(shifted).toMatchObject({ level: 30, releaseId: expect.any(String), environment: 'production', service: 'checkout', stage: 'canary', phase: 'baking', msg: expect.stringContaining('checkout at 10% in production (canary)') });
    const applied = lines.find((line) => line.effect === 'set_weights' && line.releaseId === shifted!.releaseId && line.stage === 'canary');
    expect(applied).toMatchObject({ level: 30, environment: 'production', service: 'checkout', msg: 'set_weights done' });
    // Each field once: JSON with a repeated key reads differently in different tools.
    for (const line of [shifted!, applied!]) expect(String(line.raw).match(/"releaseId":/g)).toHaveLength(1);
    // One line per transition: no two lines for the same release, input and events at one instant.
    const transitions = lines.filter((line) => line.input !== undefined && line.releaseId === shifted!.releaseId);
    expect(transitions.filter((line) => line.time === shifted!.time && line.input === 'traffic_applied')).toHaveLength(1);
  });
});
