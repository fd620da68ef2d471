import type { StageChart } from '../../src/domain/health/stage-chart.js';

const START = Date.parse('2026-11-03T14:00:00Z');
const at = (minute: number) => new Date(START + minute * 60_000).toISOString();

/** A failing canary stage: error rate climbing through its limit, latency well within bounds. */
export function sampleStageChart(overrides: Partial<StageChart> = {}): StageChart {
  return {
    releaseId: 'rel-0007',
    environment: 'production',
    service: 'checkout',
    version: 'v3',
    stage: 'canary-10',
    weight: 10,
    startedAt: at(0),
    verdictAt: at(4),
    outcome: 'failed',
    series: [
      {
        check: 'errors',
        kind: 'error_rate',
        unit: 'share',
        measure: 'error rate',
        bound: 'ceiling',
        verdict: 'fail',
        points: [1, 2, 3, 4].map((minute) => ({ at: at(minute), canary: 0.006 + minute * 0.002, baseline: 0.005, limit: 0.01 })),
      },
      {
        check: 'latency-p99',
        kind: 'latency',
        unit: 'ms',
        measure: 'p99 latency',
        bound: 'ceiling',
        verdict: 'pass',
        points: [1, 2, 3, 4].map((minute) => ({ at: at(minute), canary: 210 + minute * 5, baseline: 200, limit: 300 })),
      },
    ],
    ...overrides,
  };
}
