import type { HealthCheckConfig } from '../../src/config/delivery-schema.js';
import type { ErrorRateEvidence } from '../../src/domain/health/evidence.js';
import { judgeErrorRate } from '../../src/domain/health/judge.js';
import { defaultJudgeOptions, type JudgeOptions } from '../../src/domain/health/judge-options.js';
import { mulberry32, type Random } from '../../src/adapters/fleet/prng.js';

/**
 * Seeded simulation of canary traffic: pure arithmetic, so tens of thousands of canaries run in
 * seconds, and the same seed always gives the same runs.
 */

export type Rng = Random;

/** The sandbox fleet's seeded PRNG (mulberry32): one implementation for simulations everywhere. */
export const seededRng: (seed: number) => Rng = mulberry32;

function logFactorial(k: number): number {
  if (k < 2) return 0;
  // Stirling's series: exact enough for k >= 2 at double precision.
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3) + 1 / (1260 * x ** 5);
}

/** A Poisson draw: Knuth's product method for small means, Hörmann's PTRS rejection for large ones. */
export function poisson(rng: Rng, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let product = rng();
    while (product > limit) {
      k += 1;
      product *= rng();
    }
    return k;
  }
  const sqrtMean = Math.sqrt(mean);
  const logMean = Math.log(mean);
  const b = 0.931 + 2.53 * sqrtMean;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rng() - 0.5;
    const v = rng();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -mean + k * logMean - logFactorial(k)) return k;
  }
}

export interface CanaryScenario {
  seed: number;
  /** The canary's mean traffic. */
  canaryRps: number;
  baselineRps: number;
  canaryErrorRate: number;
  baselineErrorRate: number;
  intervalSeconds: number;
  /** The bake: how many intervals before the run stops undecided. */
  maxIntervals: number;
  /** Traffic varies by up to this fraction either way from one interval to the next ("noisy"). */
  trafficJitter?: number;
  check?: Extract<HealthCheckConfig, { kind: 'error_rate' }>;
  options?: JudgeOptions;
}

export interface CanaryRun {
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** When the verdict was reached, or the end of the bake. */
  seconds: number;
}

export const referenceCheck: Extract<HealthCheckConfig, { kind: 'error_rate' }> = {
  name: 'errors',
  kind: 'error_rate',
  requests: 'sum:requests{*}',
  errors: 'sum:errors{*}',
  maxRatioToBaseline: 2,
};

/** Runs the real judge on simulated Poisson counts, one interval at a time, until it decides or the bake ends. */
export function simulateCanary(scenario: CanaryScenario): CanaryRun {
  const rng = seededRng(scenario.seed);
  const jitter = scenario.trafficJitter ?? 0.2;
  const check = scenario.check ?? referenceCheck;
  const options = scenario.options ?? defaultJudgeOptions;
  let evidence: ErrorRateEvidence | undefined;
  for (let interval = 1; interval <= scenario.maxIntervals; interval += 1) {
    const load = 1 - jitter + 2 * jitter * rng();
    const requests = poisson(rng, scenario.canaryRps * scenario.intervalSeconds * load);
    const errors = poisson(rng, requests * scenario.canaryErrorRate);
    const baselineRequests = poisson(rng, scenario.baselineRps * scenario.intervalSeconds * load);
    const baselineErrors = poisson(rng, baselineRequests * scenario.baselineErrorRate);
    const judged = judgeErrorRate(
      check,
      {
        kind: 'counts',
        canary: { requests: { kind: 'values', values: [requests] }, errors: { kind: 'values', values: [Math.min(errors, requests)] } },
        baseline: {
          requests: { kind: 'values', values: [baselineRequests] },
          errors: { kind: 'values', values: [Math.min(baselineErrors, baselineRequests)] },
        },
      },
      evidence,
      options,
    );
    evidence = judged.evidence as ErrorRateEvidence;
    const verdict = judged.reading.verdict;
    if (verdict === 'pass' || verdict === 'fail') return { verdict, seconds: interval * scenario.intervalSeconds };
  }
  return { verdict: 'inconclusive', seconds: scenario.maxIntervals * scenario.intervalSeconds };
}
