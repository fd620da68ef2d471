import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatadogMetrics } from '../../src/adapters/datadog/datadog-metrics.js';
import { MetricsHealthProbe } from '../../src/services/health/metrics-health-probe.js';
import type { Database } from '../../src/store/db.js';
import { BENCH_DEVELOPER, BENCH_ENVIRONMENT, benchConfig, benchServiceName } from '../../bench/support/bench-config.js';
import { closedPort } from '../../bench/support/webhook-recorder.js';
import { pgliteKind, truncateAll } from '../support/databases.js';
import { drive, engineHarness, seedServing, silentLogger } from '../support/fakes/engine-harness.js';
import { FakeAnnotations, FakeChat, FakeInfra, FakeTraffic, type FakePorts } from '../support/fakes/fake-ports.js';
import { ManualClock } from '../../src/ports/clock.js';
import { TUESDAY_MORNING } from '../support/fakes/example-config.js';

/**
 * Datadog misbehaving while a canary bakes — down, rate-limiting (429), answering no series, or
 * answering points without values (null, or the NaN some proxies emit) — must never promote:
 * inconclusive and error hold the release (DESIGN.md §2). The real DatadogMetrics adapter and
 * health probe talk to a local Datadog over HTTP; the engine runs 20 virtual minutes, twice
 * the canary's bake.
 */

type Fault = 'down' | '429' | 'empty' | 'null points' | 'NaN';

let database: Database;
let server: Server;
let fault: Fault = 'empty';
let queries = 0;

beforeAll(async () => {
  database = await pgliteKind.open();
  server = createServer((req, res) => {
    queries += 1;
    const url = new URL(req.url ?? '/', 'http://dd');
    const query = url.searchParams.get('query') ?? '';
    const from = Number(url.searchParams.get('from'));
    const to = Number(url.searchParams.get('to'));
    if (fault === '429') {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1', 'x-ratelimit-reset': '1' });
      res.end('{"errors":["Too many requests"]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (fault === 'empty') {
      res.end(JSON.stringify({ status: 'ok', res_type: 'time_series', resp_version: 1, query, from_date: from * 1000, to_date: to * 1000, series: [] }));
      return;
    }
    const points = Array.from({ length: 5 }, (_, index) => `[${(from + index * 60) * 1000}, ${fault === 'NaN' ? 'NaN' : 'null'}]`).join(', ');
    res.end(`{"status":"ok","res_type":"time_series","resp_version":1,"query":${JSON.stringify(query)},"series":[{"metric":"hits","display_name":"hits","pointlist":[${points}],"scope":"*","expression":${JSON.stringify(query)},"interval":60,"length":5,"start":${from * 1000},"end":${to * 1000},"unit":null,"aggr":"sum","tag_set":[]}]}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await database?.close();
});

beforeEach(async () => {
  await truncateAll(database.db);
  queries = 0;
});

describe('Datadog faults during a bake', () => {
  it.each<Fault>(['down', '429', 'empty', 'null points', 'NaN'])('Datadog %s: 0 promotions, the release holds at its canary', async (which) => {
    fault = which;
    const baseUrl = which === 'down' ? `http://127.0.0.1:${await closedPort()}` : `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const config = benchConfig({ services: 1, metrics: 'datadog', stages: [{ name: 'canary', weight: 10, bake: '10m' }, { name: 'full', weight: 100, bake: '5m' }] });
    const traffic = new FakeTraffic();
    const clock = new ManualClock(TUESDAY_MORNING);
    // Waiting out a rate-limit window is virtual time here.
    const metrics = new DatadogMetrics({ baseUrl, apiKey: 'dd-api', appKey: 'dd-app', clock, logger: silentLogger, sleep: async () => {} });
    const ports = { traffic, infra: new FakeInfra(), health: new MetricsHealthProbe({ metrics, logger: silentLogger }), chat: new FakeChat(), annotations: new FakeAnnotations() };
    const world = engineHarness(database.db, config, TUESDAY_MORNING, ports as unknown as FakePorts, clock);
    const service = benchServiceName(0);
    await seedServing(database.db, [{ environment: BENCH_ENVIRONMENT, service, version: 'v1' }], new Date(Date.parse(TUESDAY_MORNING) - 86_400_000));
    const outcome = await world.engine.releases.act({ verb: 'deploy', actor: { userId: BENCH_DEVELOPER, userGroupIds: [] }, target: { kind: 'service', service, version: 'v2' }, environment: BENCH_ENVIRONMENT });
    expect(outcome.kind).toBe('accepted');
    if (outcome.kind !== 'accepted') return;

    await drive(world, () => false, { until: new Date(Date.parse(TUESDAY_MORNING) + 20 * 60_000), maxSteps: 400 });
    await world.engine.stop();

    const weights = traffic.history(service, BENCH_ENVIRONMENT);
    // The canary step happened; the new infra-set never got more than its 10%.
    expect(weights.length).toBeGreaterThanOrEqual(1);
    const newSetShares = weights.flatMap((split) => Object.entries(split).filter(([id]) => !id.startsWith('is-seed-')).map(([, pct]) => pct));
    expect(Math.max(...newSetShares)).toBe(10);
    const view = await world.engine.releases.status(outcome.view.id);
    expect(view?.status).not.toBe('succeeded');
    expect(view?.health?.verdict).not.toBe('pass');
    if (which !== 'down') expect(queries).toBeGreaterThan(0);
  }, 60_000);
});
