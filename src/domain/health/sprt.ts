/**
 * Wald's sequential probability ratio test for an error rate: H0 "the canary fails as often as the
 * baseline" (p0) against H1 "it fails `ratio` times as often" (p1). Evidence is the log-likelihood ratio
 * of the counts seen so far; it is a pure function of cumulative counts, so it survives a restart.
 */

export interface SprtRates {
  p0: number;
  p1: number;
}

export interface SprtBoundaries {
  /** Reject H0 (the canary is worse) at or above this log-likelihood ratio. */
  upper: number;
  /** Accept H0 (the canary is healthy) at or below this one. */
  lower: number;
}

/** Wald's boundaries: false alarms at most about alpha, missed bad canaries at most about beta. */
export function sprtBoundaries(alpha: number, beta: number): SprtBoundaries {
  return { upper: Math.log((1 - beta) / alpha), lower: Math.log(beta / (1 - alpha)) };
}

/** Log-likelihood ratio of `errors` failures among `requests` under p1 versus p0. */
export function binomialLogLikelihoodRatio(requests: number, errors: number, rates: SprtRates): number {
  const { p0, p1 } = rates;
  return errors * Math.log(p1 / p0) + (requests - errors) * Math.log((1 - p1) / (1 - p0));
}

/** Kullback-Leibler divergence of one request's outcome under `a` from `b`, in nats. */
function bernoulliDivergence(a: number, b: number): number {
  return a * Math.log(a / b) + (1 - a) * Math.log((1 - a) / (1 - b));
}

/** Wald's approximation of the mean number of requests the SPRT needs when the truth is p1 (to fail). */
export function expectedRequestsToFail(rates: SprtRates, alpha: number, beta: number): number {
  const { upper, lower } = sprtBoundaries(alpha, beta);
  return ((1 - beta) * upper + beta * lower) / bernoulliDivergence(rates.p1, rates.p0);
}

/** Wald's approximation of the mean number of requests the SPRT needs when the truth is p0 (to pass). */
export function expectedRequestsToPass(rates: SprtRates, alpha: number, beta: number): number {
  const { upper, lower } = sprtBoundaries(alpha, beta);
  return (alpha * upper + (1 - alpha) * lower) / -bernoulliDivergence(rates.p0, rates.p1);
}

/**
 * The upper boundary for one look, corrected for overshoot (Siegmund): the judge only looks once per
 * interval, so the ratio jumps past the boundary by about rho standard deviations of one interval's
 * increment, which makes Wald's boundary needlessly late and the real false-alarm rate lower than
 * designed. Lowering the boundary by that amount gives back the detection time without exceeding
 * the designed alpha. Never by more than half, so one huge interval cannot decide on its own noise.
 */
export function correctedUpperBoundary(upper: number, intervalRequests: number, rates: SprtRates, rho: number): number {
  const { p0, p1 } = rates;
  const weight = Math.log((p1 * (1 - p0)) / (p0 * (1 - p1)));
  const sd = weight * Math.sqrt(intervalRequests * p0 * (1 - p0));
  return Math.max(upper - rho * sd, upper / 2);
}
