import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../assert-never.js';
import { defaultJudgeOptions, type JudgeOptions } from './judge-options.js';
import { expectedRequestsToFail, expectedRequestsToPass } from './sprt.js';

/**
 * Can a canary stage be judged within its bake time? Asked when a release is planned, so that "not
 * enough traffic to decide" is said up front rather than discovered when the bake ends inconclusive.
 */

export interface SufficiencyQuestion {
  check: HealthCheckConfig;
  /** The service's total traffic. */
  requestsPerSecond: number;
  /** The canary's share, in percent. */
  weight: number;
  baselineErrorRate: number;
  bakeSeconds: number;
  intervalSeconds: number;
}

export interface Sufficiency {
  enough: boolean;
  /** The mean time to a pass or a fail, whichever is slower, in whole intervals (the judge reads once per interval). */
  expectedSecondsToVerdict: number;
  reason: string;
}

function roundUpToInterval(seconds: number, intervalSeconds: number): number {
  if (!Number.isFinite(seconds)) return Number.POSITIVE_INFINITY;
  return Math.max(1, Math.ceil(seconds / intervalSeconds - 1e-9)) * intervalSeconds;
}

function describe(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  if (seconds < 120) return `${Math.round(seconds)}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function assessSufficiency(question: SufficiencyQuestion, options: JudgeOptions = defaultJudgeOptions): Sufficiency {
  const { check, requestsPerSecond, weight, bakeSeconds, intervalSeconds } = question;
  const canaryRate = requestsPerSecond * (weight / 100);
  const verdictWithin = (seconds: number, what: string): Sufficiency => {
    const expected = roundUpToInterval(seconds, intervalSeconds);
    const enough = expected <= bakeSeconds;
    return {
      enough,
      expectedSecondsToVerdict: expected,
      reason: enough
        ? `${check.name}: ${what} takes about ${describe(expected)} on average, within the ${describe(bakeSeconds)} bake`
        : `${check.name}: not enough traffic to decide within the ${describe(bakeSeconds)} bake: ${what} takes about ${describe(expected)} at ${canaryRate.toFixed(2)} req/s on the canary`,
    };
  };
  switch (check.kind) {
    case 'error_rate': {
      if (canaryRate <= 0) return verdictWithin(Number.POSITIVE_INFINITY, 'a verdict');
      const p0 = Math.min(Math.max(question.baselineErrorRate, 1e-6), 0.98);
      const rates = { p0, p1: Math.min(0.99, Math.max(p0 * check.maxRatioToBaseline, p0 + options.minErrorRateIncrease)) };
      const requests = Math.max(
        expectedRequestsToFail(rates, options.alpha, options.beta),
        expectedRequestsToPass(rates, options.alpha, options.beta),
      );
      return verdictWithin(requests / canaryRate, `telling ${(rates.p1 * 100).toFixed(2)}% errors from ${(p0 * 100).toFixed(2)}%`);
    }
    case 'traffic': {
      const perMinute = canaryRate * 60;
      if (perMinute < check.minPerMinute) {
        return {
          enough: false,
          expectedSecondsToVerdict: Number.POSITIVE_INFINITY,
          reason: `${check.name}: the canary would see about ${Math.round(perMinute)} requests/min, fewer than the ${check.minPerMinute} needed`,
        };
      }
      return verdictWithin(intervalSeconds, 'one interval');
    }
    case 'latency':
    case 'saturation':
      // Window statistics: one interval with enough points decides.
      return verdictWithin(intervalSeconds, 'one interval');
    default:
      return assertNever(check, 'health check');
  }
}
