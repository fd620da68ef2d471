import { describe, expect, it } from 'vitest';
import { doraFigures, factsByService, releaseFacts, windowsOf } from '../../../src/domain/dora/dora-metrics.js';
import { KNOWN_HISTORY, KNOWN_NOW } from './dora-history.js';

describe('DORA figures replayed from a known event history', () => {
  const facts = KNOWN_HISTORY.map((history) => releaseFacts(history, 'production'));
  const { current, previous } = windowsOf(KNOWN_NOW, 7);

  it('reads each release: entered production, deployed, failed, restored, lead times', () => {
    const byId = Object.fromEntries(facts.map((fact) => [fact.releaseId, fact]));
    expect(byId.A).toMatchObject({ deployedAt: new Date('2026-11-24T11:00:00Z'), failure: null, leadTimes: { checkout: 7200 } });
    expect(byId.B).toMatchObject({ deployedAt: new Date('2026-11-25T10:00:00Z'), leadTimes: { web: 7200 } });
    expect(byId.B!.leadTimes).not.toHaveProperty('checkout');
    expect(byId.C).toMatchObject({ deployedAt: null, failure: { kind: 'rolled_back' }, restore: { detectedAt: new Date('2026-11-26T12:05:00Z'), restoredAt: new Date('2026-11-26T12:07:00Z') } });
    expect(byId.D).toMatchObject({ deployedAt: new Date('2026-11-27T02:00:00Z'), failure: { kind: 'superseded', at: new Date('2026-11-27T01:10:00Z') }, restore: null, leadTimes: { inventory: 10800 } });
    expect(byId.F).toMatchObject({ enteredProductionAt: null, deployedAt: null, failure: null });
  });

  it('computes every figure of the week exactly', () => {
    expect(doraFigures(facts, current)).toEqual({
      days: 7,
      deployments: 3,
      deploymentsPerDay: 3 / 7,
      leadTimeSeconds: 7200,
      leadTimeSamples: 3,
      enteredProduction: 4,
      failures: 2,
      changeFailureRate: 0.5,
      timeToRestoreSeconds: 120,
      restores: 1,
      perDay: [0, 1, 1, 0, 1, 0, 0],
    });
  });

  it('computes the week before, for the trend', () => {
    expect(doraFigures(facts, previous)).toEqual({
      days: 7,
      deployments: 1,
      deploymentsPerDay: 1 / 7,
      leadTimeSeconds: 1800,
      leadTimeSamples: 1,
      enteredProduction: 1,
      failures: 0,
      changeFailureRate: 0,
      timeToRestoreSeconds: null,
      restores: 0,
      perDay: [0, 0, 0, 0, 1, 0, 0],
    });
  });

  it('scopes to the releases that change a service', () => {
    expect(doraFigures(facts, current, ['checkout'])).toMatchObject({ deployments: 2, leadTimeSeconds: 7200, leadTimeSamples: 1, enteredProduction: 2, failures: 0, changeFailureRate: 0, timeToRestoreSeconds: null });
    expect(doraFigures(facts, current, ['payments', 'inventory'])).toMatchObject({ deployments: 1, enteredProduction: 2, failures: 2, changeFailureRate: 1, timeToRestoreSeconds: 120, leadTimeSeconds: 10800 });
  });

  it('finds the releases that change the services of a scope through the index, each once, with the same figures as a walk over all', () => {
    const indexed = factsByService(facts);
    for (const services of [['checkout'], ['payments', 'inventory'], ['checkout', 'web', 'payments', 'inventory'], ['nobody']]) {
      const touching = indexed.touching(services);
      expect(new Set(touching).size).toBe(touching.length);
      expect(touching.map((fact) => fact.releaseId).sort()).toEqual(facts.filter((fact) => fact.services.some((service) => services.includes(service))).map((fact) => fact.releaseId).sort());
      for (const window of [current, previous]) expect(doraFigures(touching, window, services)).toEqual(doraFigures(facts, window, services));
    }
  });
});

describe('a late rollback in the watch window after 100%', () => {
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 26, 12, minute));
  const history = {
    releaseId: 'W',
    services: ['checkout'],
    mergedAt: { checkout: at(0) },
    events: [
      { type: 'stage_started', at: at(10), data: { environment: 'production', service: 'checkout', stage: 'full', weight: 100 } },
      { type: 'service_converged', at: at(15), data: { environment: 'production', service: 'checkout' } },
      { type: 'watch_started', at: at(15), data: { environment: 'production', services: ['checkout'] } },
      { type: 'health_reading', at: at(20), data: { verdict: 'fail', watch: true } },
      { type: 'health_reading', at: at(21), data: { verdict: 'fail', watch: true } },
      { type: 'late_rollback', at: at(21), data: { environment: 'production', service: 'checkout' } },
      { type: 'rollback_started', at: at(21), data: { environment: 'production' } },
      { type: 'service_rolled_back', at: at(22), data: { environment: 'production', service: 'checkout' } },
      { type: 'finished', at: at(22), data: { outcome: 'rolled_back' } },
    ],
  };

  it('counts as a failed change, not a deployment, restored from the first failed watch reading', () => {
    const facts = releaseFacts(history, 'production');
    expect(facts).toMatchObject({ deployedAt: null, failure: { kind: 'rolled_back', at: at(22) }, restore: { detectedAt: at(20), restoredAt: at(22) } });
    const figures = doraFigures([facts], { from: at(0), to: at(60) });
    expect(figures).toMatchObject({ deployments: 0, enteredProduction: 1, failures: 1, changeFailureRate: 1, timeToRestoreSeconds: 120 });
  });
});
