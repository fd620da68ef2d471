import { describe, expect, it } from 'vitest';
import type { DeliveryConfig } from '../../../src/config/delivery-schema.js';
import { loadDeliveryConfig, SHIPPED_DELIVERY_CONFIG } from '../../../src/config/load-delivery-config.js';
import { judgeErrorRate, judgeLatency } from '../../../src/domain/health/judge.js';
import { ManualClock } from '../../../src/ports/clock.js';
import type { Verdict } from '../../../src/ports/health.js';
import { SimulatedFleet, type VersionFault } from '../../../src/adapters/fleet/simulated-fleet.js';
import { SimulatedMetrics } from '../../../src/adapters/fleet/simulated-metrics.js';
import { MetricsHealthProbe } from '../../../src/services/health/metrics-health-probe.js';
import { readEachInterval } from '../../support/health-windows.js';

/**
 * A stage at 100%: no infra-set serves beside the canary, so the baseline's error rate and latency
 * from before the stage stand in for a live baseline. Run on the example config's checks and loads
 * against the sandbox's simulated fleet, reading as the engine does: one window per interval, each
 * starting where the last ended, the evidence starting afresh at each stage.
 */

function exampleConfig(): DeliveryConfig {
  const loaded = loadDeliveryConfig(SHIPPED_DELIVERY_CONFIG);
  if (!loaded.ok) throw new Error(loaded.errors.map((error) => error.message).join('; '));
  return loaded.config;
}

const config = exampleConfig();
const START = new Date('2026-11-18T10:00:00.000Z');

interface StageRun {
  verdicts: Verdict[];
  summaries: string[];
}

async function bake(options: { service: string; environment: string; fault?: VersionFault; firstDeploy?: boolean }): Promise<StageRun[]> {
  const { service, environment } = options;
  const clock = new ManualClock(START);
  const fleet = SimulatedFleet.fromConfig(config, { clock, seed: 11 });
  if (!options.firstDeploy) fleet.seedServing(service, environment, 'v1', 'is-v1', new Date(START.getTime() - 3_600_000));
  fleet.addInfraSet({ infraSetId: 'is-v2', service, environment, version: 'v2' });
  if (options.fault) fleet.injectFault(service, 'v2', options.fault);
  const probe = new MetricsHealthProbe({ metrics: new SimulatedMetrics(fleet) });
  const settings = config.environments[environment]!;
  const runs: StageRun[] = [];
  for (const stage of settings.stages) {
    fleet.setWeights(service, environment, stage.weight >= 100 || options.firstDeploy ? { 'is-v2': 100 } : { 'is-v2': stage.weight, 'is-v1': 100 - stage.weight });
    const end = clock.now().getTime() + stage.bake * 1000;
    // The evidence starts afresh at each stage.
    const next = readEachInterval(probe, clock, settings.health.interval);
    const run: StageRun = { verdicts: [], summaries: [] };
    while (clock.now().getTime() < end) {
      const baseline = options.firstDeploy ? null : { infraSetId: 'is-v1', version: 'v1' };
      const reading = await next({ service, environment, canary: { infraSetId: 'is-v2', version: 'v2' }, baseline, weight: stage.weight, checks: config.services[service]!.checks });
      run.verdicts.push(reading.verdict);
      run.summaries.push(reading.checks.map((check) => `${check.check} ${check.verdict}: ${check.summary}`).join(' | '));
    }
    runs.push(run);
  }
  return runs;
}

const last = (run: StageRun) => run.verdicts.at(-1);

describe('a stage at 100% against the baseline from before it', () => {
  it.each(['web', 'checkout', 'payments', 'inventory'])('passes a healthy %s in staging (one 2m stage at full weight) within the bake', async (service) => {
    const [full] = await bake({ service, environment: 'staging' });
    expect(last(full!), full!.summaries.join('\n')).toBe('pass');
    expect(full!.verdicts).not.toContain('fail');
    // Compared with the baseline, not merely with absolute limits.
    expect(full!.summaries.at(-1)).toMatch(/errors pass: errors [\d.]+% vs baseline [\d.]+%/);
    expect(full!.summaries.at(-1)).toMatch(/latency pass: p99 \d+ms.*baseline \d+ms/);
  });

  it('passes every production stage of a healthy checkout, the 100% one included', async () => {
    const runs = await bake({ service: 'checkout', environment: 'production' });
    expect(runs.map(last)).toEqual(['pass', 'pass', 'pass']);
    expect(runs.flatMap((run) => run.verdicts)).not.toContain('fail');
  });

  it('fails a 100% stage whose error rate doubles, though it has no absolute max', async () => {
    const [full] = await bake({ service: 'checkout', environment: 'staging', fault: { errorRate: 0.012 } });
    expect(full!.verdicts).toContain('fail');
    expect(full!.summaries.find((summary) => summary.includes('errors fail'))).toMatch(/vs baseline 0\.[45]\d%/);
  });

  it('fails a 100% stage whose latency rose, on a service with no maxMs', async () => {
    const [full] = await bake({ service: 'inventory', environment: 'staging', fault: { latencyMs: 300 } });
    expect(full!.verdicts).toContain('fail');
    expect(full!.summaries.find((summary) => summary.includes('latency fail'))).toBeDefined();
  });

  it('stays inconclusive on a first deploy with no baseline ever and no absolute limit', async () => {
    const [full] = await bake({ service: 'inventory', environment: 'staging', firstDeploy: true });
    expect(new Set(full!.verdicts)).toEqual(new Set(['inconclusive']));
    expect(full!.summaries.at(-1)).toMatch(/errors inconclusive: .*no baseline to compare with and no max set/);
    expect(full!.summaries.at(-1)).toMatch(/latency inconclusive: .*no baseline to compare with and no maxMs set/);
  });

  it('judges a first deploy on its absolute limits where the check has them', async () => {
    const [full] = await bake({ service: 'web', environment: 'staging', firstDeploy: true });
    expect(last(full!)).toBe('pass');
    expect(full!.summaries.at(-1)).toMatch(/errors pass: errors [\d.]+%, max 2\.00%/);
  });
});

describe('a 100% stage whose first readings found the metrics source down', () => {
  it('still compares with the baseline from before the stage, not with the idle minutes since', async () => {
    const clock = new ManualClock(START);
    const fleet = SimulatedFleet.fromConfig(config, { clock, seed: 13 });
    fleet.seedServing('checkout', 'staging', 'v1', 'is-v1', new Date(START.getTime() - 3_600_000));
    fleet.addInfraSet({ infraSetId: 'is-v2', service: 'checkout', environment: 'staging', version: 'v2' });
    fleet.setWeights('checkout', 'staging', { 'is-v2': 100 });
    const probe = new MetricsHealthProbe({ metrics: new SimulatedMetrics(fleet) });
    let evidence: unknown = null;
    let from = clock.now();
    const verdicts: Verdict[] = [];
    let summary = '';
    for (let minute = 1; minute <= 15; minute += 1) {
      // Down for the first twelve minutes: longer than the ten-minute look back before the stage.
      fleet.setMetricsReachable(minute > 12);
      const to = clock.advance(60_000);
      const reading = await probe.read({
        service: 'checkout',
        environment: 'staging',
        canary: { infraSetId: 'is-v2', version: 'v2' },
        baseline: { infraSetId: 'is-v1', version: 'v1' },
        weight: 100,
        checks: config.services.checkout!.checks,
        window: { from, to },
        evidence,
      });
      from = to;
      evidence = JSON.parse(JSON.stringify(reading.evidence));
      verdicts.push(reading.verdict);
      summary = reading.checks.map((check) => `${check.check} ${check.verdict}: ${check.summary}`).join(' | ');
    }
    expect(verdicts.slice(0, 12)).toEqual(Array.from({ length: 12 }, () => 'error'));
    expect(verdicts.at(-1), summary).toBe('pass');
    expect(summary).toMatch(/errors pass: errors [\d.]+% vs baseline 0\.[45]\d%/);
  });
});

describe('the judge with a baseline known only from the evidence', () => {
  const errors = config.services.checkout!.checks.find((check) => check.kind === 'error_rate')!;
  const latency = config.services.inventory!.checks.find((check) => check.kind === 'latency')!;
  if (errors.kind !== 'error_rate' || latency.kind !== 'latency') throw new Error('example checks changed');

  it('compares the error rate with the carried baseline when no baseline serves', () => {
    const carried = { kind: 'error_rate' as const, requests: 0, errors: 0, baselineRequests: 1_000_000, baselineErrors: 5_000, intervals: 0, ratio: 'open' as const, ceiling: 'open' as const };
    const healthy = judgeErrorRate(errors, { kind: 'counts', canary: { requests: { kind: 'values', values: [60_000] }, errors: { kind: 'values', values: [300] } }, baseline: null }, carried);
    expect(healthy.reading.verdict).toBe('pass');
    expect(healthy.reading.values.baselineErrorRate).toBeCloseTo(0.005, 4);
    const bad = judgeErrorRate(errors, { kind: 'counts', canary: { requests: { kind: 'values', values: [60_000] }, errors: { kind: 'values', values: [900] } }, baseline: null }, carried);
    expect(bad.reading.verdict).toBe('fail');
  });

  it('compares latency with the carried baseline points when no baseline serves', () => {
    const carried = { kind: 'latency' as const, canary: [], baseline: Array.from({ length: 30 }, (_, i) => 300 + (i % 5)) };
    const healthy = judgeLatency(latency, { kind: 'series', canary: { kind: 'values', values: [301, 303, 299, 302] }, baseline: null }, carried);
    expect(healthy.reading.verdict).toBe('pass');
    const slow = judgeLatency(latency, { kind: 'series', canary: { kind: 'values', values: [620, 640, 610, 630, 625, 615] }, baseline: null }, carried);
    expect(slow.reading.verdict).toBe('fail');
  });
});
