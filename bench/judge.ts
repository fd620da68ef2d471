import { pathToFileURL } from 'node:url';
import { expectedRequestsToFail, expectedRequestsToPass } from '../src/domain/health/sprt.js';
import { simulateCanary } from '../test/support/poisson.js';

/**
 * The canary judge against the statistical limit (DESIGN.md §7): on seeded Poisson traffic, how long
 * it takes to fail a bad canary compared with the expected time of an SPRT at alpha 0.1%, beta 5%,
 * and how often it fails a healthy one. Pure arithmetic, so the numbers do not depend on the machine.
 */

export interface JudgeBenchmarkOptions {
  /** Canary traffic levels to try, in requests per second. */
  canaryRps?: number[];
  baselineErrorRate?: number;
  badErrorRate?: number;
  intervalSeconds?: number;
  badRuns?: number;
  healthyRuns?: number;
  seed?: number;
}

export interface JudgeBenchmarkLevel {
  canaryRps: number;
  /** Wald's expected time of the SPRT, in continuous time. */
  sprtSeconds: number;
  /** The same, rounded up to whole intervals: the soonest a judge that reads once per interval can answer. */
  boundSeconds: number;
  meanSecondsToFail: number;
  medianSecondsToFail: number;
  ratioToBound: number;
  ratioToSprt: number;
  missedBadCanaries: number;
  falseAlarms: number;
  falseAlarmRate: number;
  meanSecondsToPass: number;
  sprtSecondsToPass: number;
}

export interface JudgeBenchmarkResult {
  options: Required<JudgeBenchmarkOptions>;
  levels: JudgeBenchmarkLevel[];
  goal: { ratioToBound: number; falseAlarmRate: number };
  met: boolean;
}

export function runJudgeBenchmark(options: JudgeBenchmarkOptions = {}): JudgeBenchmarkResult {
  const resolved: Required<JudgeBenchmarkOptions> = {
    canaryRps: options.canaryRps ?? [2, 20, 200],
    baselineErrorRate: options.baselineErrorRate ?? 0.005,
    badErrorRate: options.badErrorRate ?? 0.01,
    intervalSeconds: options.intervalSeconds ?? 60,
    badRuns: options.badRuns ?? 2_000,
    healthyRuns: options.healthyRuns ?? 10_000,
    seed: options.seed ?? 1,
  };
  const { baselineErrorRate, badErrorRate, intervalSeconds } = resolved;
  const rates = { p0: baselineErrorRate, p1: badErrorRate };
  const levels = resolved.canaryRps.map((canaryRps): JudgeBenchmarkLevel => {
    const scenario = { canaryRps, baselineRps: canaryRps * 99, baselineErrorRate, intervalSeconds, maxIntervals: 1_000 };
    const toFail: number[] = [];
    let missed = 0;
    for (let i = 0; i < resolved.badRuns; i += 1) {
      const run = simulateCanary({ ...scenario, seed: resolved.seed + i, canaryErrorRate: badErrorRate });
      if (run.verdict === 'fail') toFail.push(run.seconds);
      else missed += 1;
    }
    let falseAlarms = 0;
    let passSeconds = 0;
    let passes = 0;
    for (let i = 0; i < resolved.healthyRuns; i += 1) {
      const run = simulateCanary({ ...scenario, seed: resolved.seed + 1_000_000 + i, canaryErrorRate: baselineErrorRate, trafficJitter: 0.3 });
      if (run.verdict === 'fail') falseAlarms += 1;
      if (run.verdict === 'pass') {
        passes += 1;
        passSeconds += run.seconds;
      }
    }
    const sprtSeconds = expectedRequestsToFail(rates, 0.001, 0.05) / canaryRps;
    const boundSeconds = Math.ceil(sprtSeconds / intervalSeconds) * intervalSeconds;
    const mean = toFail.reduce((sum, value) => sum + value, 0) / Math.max(1, toFail.length);
    const sorted = [...toFail].sort((a, b) => a - b);
    return {
      canaryRps,
      sprtSeconds,
      boundSeconds,
      meanSecondsToFail: mean,
      medianSecondsToFail: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
      ratioToBound: mean / boundSeconds,
      ratioToSprt: mean / sprtSeconds,
      missedBadCanaries: missed,
      falseAlarms,
      falseAlarmRate: falseAlarms / resolved.healthyRuns,
      meanSecondsToPass: passSeconds / Math.max(1, passes),
      sprtSecondsToPass: expectedRequestsToPass(rates, 0.001, 0.05) / canaryRps,
    };
  });
  const goal = { ratioToBound: 1.25, falseAlarmRate: 0.001 };
  return { options: resolved, levels, goal, met: levels.every((level) => level.ratioToBound <= goal.ratioToBound && level.falseAlarmRate <= goal.falseAlarmRate) };
}

/** A Markdown table of the results, for BENCHMARKS.md. */
export function formatJudgeBenchmark(result: JudgeBenchmarkResult): string {
  const { options } = result;
  const lines = [
    `Canary judge on seeded Poisson traffic: baseline ${(options.baselineErrorRate * 100).toFixed(1)}% errors, bad canary ${(options.badErrorRate * 100).toFixed(1)}%, ` +
      `${options.intervalSeconds}s intervals, ${options.badRuns} bad and ${options.healthyRuns} healthy runs per level. ` +
      `Bound: an SPRT at alpha 0.1%, beta 5% (Wald's expected time, rounded up to whole intervals).`,
    '',
    '| canary req/s | SPRT expected | bound | judge mean to fail | median | × bound | × SPRT | missed bad | false alarms | mean to pass |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...result.levels.map(
      (level) =>
        `| ${level.canaryRps} | ${level.sprtSeconds.toFixed(0)}s | ${level.boundSeconds}s | ${level.meanSecondsToFail.toFixed(0)}s | ${level.medianSecondsToFail}s | ` +
        `${level.ratioToBound.toFixed(2)} | ${level.ratioToSprt.toFixed(2)} | ${level.missedBadCanaries} | ${level.falseAlarms} (${(level.falseAlarmRate * 100).toFixed(2)}%) | ${level.meanSecondsToPass.toFixed(0)}s |`,
    ),
    '',
    `Goal: within ${result.goal.ratioToBound}× of the bound at ≤ ${(result.goal.falseAlarmRate * 100).toFixed(1)}% false alarms: ${result.met ? 'met' : 'NOT met'}.`,
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(formatJudgeBenchmark(runJudgeBenchmark()));
}
