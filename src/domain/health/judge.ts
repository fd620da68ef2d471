import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import type { CheckEvidenceDetail, CheckReading, SequentialEvidence, Verdict } from '../../ports/health.js';
import { assertNever } from '../assert-never.js';
import { resumeEvidence, type CheckEvidence, type Decision, type ErrorRateEvidence, type HealthEvidence, type LatencyEvidence } from './evidence.js';
import { defaultJudgeOptions, type JudgeOptions } from './judge-options.js';
import { mannWhitneyGreater, median } from './mann-whitney.js';
import { rateUnitOf, requestsPerMinute } from './rate-unit.js';
import { binomialLogLikelihoodRatio, correctedUpperBoundary, sprtBoundaries, type SprtRates } from './sprt.js';

/**
 * The judge: from one interval's measurements and the evidence so far, a verdict per check and the
 * evidence to keep. Pure: the caller did the querying and passes the window's length.
 */

/**
 * One query's answer for the judge: the window's values (null or NaN where the source had none), or
 * why there is none. `bucketSeconds` is the spacing of the points when the source said or it could be
 * seen; without it one point is taken to span the window divided by the number of points.
 */
export type SeriesSample = { kind: 'values'; values: ReadonlyArray<number | null>; bucketSeconds?: number } | { kind: 'error'; reason: string };

export interface CountSamples {
  requests: SeriesSample;
  errors: SeriesSample;
}

export type CheckInput =
  | { kind: 'counts'; canary: CountSamples; baseline: CountSamples | null }
  | { kind: 'series'; canary: SeriesSample; baseline: SeriesSample | null };

export interface CheckJudgement {
  reading: CheckReading;
  evidence: CheckEvidence | undefined;
}

export interface StageJudgementRequest {
  canary: string;
  baseline: string | null;
  weight: number;
  windowSeconds: number;
  /**
   * The end of the measured window (ISO 8601), kept in the evidence: the next reading starts there,
   * so no interval is counted twice.
   */
  measuredUntil?: string;
  /** The start of the stage's first window, kept in the evidence for the stage's later readings. */
  stageFrom?: string;
  checks: ReadonlyArray<{ check: HealthCheckConfig; input: CheckInput }>;
  /** Extra readings judged elsewhere (a monitor gate), folded into the stage verdict. */
  extraReadings?: CheckReading[];
  evidence: unknown;
}

export interface StageJudgement {
  verdict: Verdict;
  checks: CheckReading[];
  evidence: HealthEvidence;
}

export function judgeStage(request: StageJudgementRequest, options: JudgeOptions = defaultJudgeOptions): StageJudgement {
  const evidence = resumeEvidence(request.evidence, { canary: request.canary, baseline: request.baseline, weight: request.weight });
  const checks: Record<string, CheckEvidence> = {};
  const readings: CheckReading[] = [];
  for (const { check, input } of request.checks) {
    const judged = judgeCheck(check, input, evidence.checks[check.name], request.windowSeconds, options);
    readings.push(judged.reading);
    if (judged.evidence) checks[check.name] = judged.evidence;
  }
  readings.push(...(request.extraReadings ?? []));
  const until = request.measuredUntil ?? evidence.until;
  const stageFrom = evidence.stageFrom ?? request.stageFrom;
  return {
    verdict: combineVerdicts(readings.map((reading) => reading.verdict)),
    checks: readings,
    evidence: { ...evidence, ...(until !== undefined ? { until } : {}), ...(stageFrom !== undefined ? { stageFrom } : {}), checks },
  };
}

/** A stage fails if any check failed, else errs if any erred, else is inconclusive if any was, else passes. */
export function combineVerdicts(verdicts: readonly Verdict[]): Verdict {
  for (const verdict of ['fail', 'error', 'inconclusive'] as const) if (verdicts.includes(verdict)) return verdict;
  return 'pass';
}

export function judgeCheck(
  check: HealthCheckConfig,
  input: CheckInput,
  previous: CheckEvidence | undefined,
  windowSeconds: number,
  options: JudgeOptions = defaultJudgeOptions,
): CheckJudgement {
  switch (check.kind) {
    case 'error_rate':
      if (input.kind !== 'counts') return mismatched(check.name, previous);
      return judgeErrorRate(check, input, previous?.kind === 'error_rate' ? previous : undefined, options, windowSeconds);
    case 'latency':
      if (input.kind !== 'series') return mismatched(check.name, previous);
      return judgeLatency(check, input, previous?.kind === 'latency' ? previous : undefined, options);
    case 'saturation':
      if (input.kind !== 'series') return mismatched(check.name, previous);
      return judgeSaturation(check, input.canary, options);
    case 'traffic':
      if (input.kind !== 'series') return mismatched(check.name, previous);
      return judgeTraffic(check, input.canary, windowSeconds);
    default:
      return assertNever(check, 'health check');
  }
}

function mismatched(check: string, previous: CheckEvidence | undefined): CheckJudgement {
  return { reading: reading(check, 'error', 'the measurements do not match the check kind', {}), evidence: previous };
}

function reading(check: string, verdict: Verdict, summary: string, values: Record<string, number | null>, detail?: CheckEvidenceDetail): CheckReading {
  return detail ? { check, verdict, summary, values, detail } : { check, verdict, summary, values };
}

/** An inconclusive reading whose test is on its way to a verdict: more of the same data decides it. */
function stillDeciding(check: string, summary: string, values: Record<string, number | null>, detail: CheckEvidenceDetail): CheckReading {
  return { ...reading(check, 'inconclusive', summary, values, detail), deciding: true };
}

/**
 * Whether an inconclusive stage verdict only waits for more evidence: every inconclusive check
 * measured and is still deciding. Such a reading is not "cannot be judged" while the stage bakes.
 */
export function awaitsMoreEvidence(reading: { verdict: Verdict; checks: ReadonlyArray<CheckReading> }): boolean {
  return reading.verdict === 'inconclusive' && reading.checks.every((check) => check.verdict !== 'inconclusive' || check.deciding === true);
}

// ---------------------------------------------------------------------------------------------
// Error rate: sequential tests on cumulative counts.

type Counts = { kind: 'counts'; requests: number; errors: number } | { kind: 'no-data'; reason: string } | { kind: 'error'; reason: string };

function finiteValues(sample: { values: ReadonlyArray<number | null> }): number[] {
  return sample.values.filter((value): value is number => value !== null && Number.isFinite(value));
}

function countsOf(samples: CountSamples): Counts {
  if (samples.requests.kind === 'error') return { kind: 'error', reason: `requests: ${samples.requests.reason}` };
  if (samples.errors.kind === 'error') return { kind: 'error', reason: `errors: ${samples.errors.reason}` };
  const requests = finiteValues(samples.requests);
  if (requests.length === 0) return { kind: 'no-data', reason: samples.requests.values.length === 0 ? 'no request counts' : 'request counts are all empty or NaN' };
  const errorValues = finiteValues(samples.errors);
  // Error counts are sparse (a bucket without errors is often absent), but NaN means a broken query.
  if (errorValues.length === 0 && samples.errors.values.some((value) => value !== null)) {
    return { kind: 'no-data', reason: 'error counts are NaN' };
  }
  const requestSum = requests.reduce((sum, value) => sum + value, 0);
  const errorSum = errorValues.reduce((sum, value) => sum + value, 0);
  if (requestSum < 0 || errorSum < 0 || errorSum > requestSum) {
    return { kind: 'error', reason: `${errorSum} errors for ${requestSum} requests: check the requests and errors queries` };
  }
  return { kind: 'counts', requests: requestSum, errors: errorSum };
}

function freshErrorRateEvidence(): ErrorRateEvidence {
  return { kind: 'error_rate', requests: 0, errors: 0, baselineRequests: 0, baselineErrors: 0, intervals: 0, ratio: 'open', ceiling: 'open' };
}

interface TestState {
  decision: Decision;
  /** 0..1 toward whichever boundary the evidence leans to. */
  progress: number;
  llr: number;
  upper: number;
  lower: number;
}

function stepTest(decision: Decision, evidence: ErrorRateEvidence, intervalRequests: number, rates: SprtRates, options: JudgeOptions): TestState {
  const { upper, lower } = sprtBoundaries(options.alpha, options.beta);
  const llr = binomialLogLikelihoodRatio(evidence.requests, evidence.errors, rates);
  const boundary = correctedUpperBoundary(upper, intervalRequests, rates, options.overshootRho);
  const progress = Math.min(1, llr >= 0 ? llr / boundary : llr / lower);
  const base = { llr, upper: boundary, lower };
  if (decision !== 'open') return { decision, progress: 1, ...base };
  if (llr >= boundary) return { decision: 'unhealthy', progress: 1, ...base };
  if (llr <= lower) return { decision: 'healthy', progress: 1, ...base };
  return { decision: 'open', progress, ...base };
}

/**
 * The test's position as evidence for a human: which threshold it leans to and, if the log-likelihood
 * ratio keeps growing at its average rate per request so far and the traffic stays at the last
 * interval's, about how many minutes of traffic it still needs to reach that threshold.
 */
function sequentialEvidence(test: TestState, requests: number, intervals: number, requestsPerMinute: number | null): SequentialEvidence {
  const leaning = test.llr > 0 ? 'unhealthy' : test.llr < 0 ? 'healthy' : 'neither';
  let minutesToDecide: number | null = null;
  if (test.decision === 'open' && leaning !== 'neither' && requests > 0 && requestsPerMinute !== null && requestsPerMinute > 0) {
    const perRequest = test.llr / requests;
    const remaining = (leaning === 'unhealthy' ? test.upper : test.lower) - test.llr;
    minutesToDecide = Math.max(0, remaining / perRequest / requestsPerMinute);
  }
  return { llr: test.llr, upper: test.upper, lower: test.lower, progress: test.progress, leaning, intervals, minutesToDecide };
}

/** "~4 more minutes" — how the card says a sequential test's time to a verdict. */
export function minutesToDecideText(minutes: number): string {
  if (minutes < 1) return 'under a minute more';
  if (minutes >= 120) return `~${Math.round(minutes / 60)} more hours`;
  return `~${Math.ceil(minutes)} more minute${Math.ceil(minutes) === 1 ? '' : 's'}`;
}

function percent(rate: number): string {
  const value = rate * 100;
  return `${value >= 10 ? value.toFixed(1) : value.toFixed(2)}%`;
}

export function judgeErrorRate(
  check: Extract<HealthCheckConfig, { kind: 'error_rate' }>,
  input: Extract<CheckInput, { kind: 'counts' }>,
  previous: ErrorRateEvidence | undefined,
  options: JudgeOptions = defaultJudgeOptions,
  windowSeconds?: number,
): CheckJudgement {
  const before = previous ?? freshErrorRateEvidence();
  const canary = countsOf(input.canary);
  const baseline = input.baseline === null ? null : countsOf(input.baseline);
  if (canary.kind === 'error') return { reading: reading(check.name, 'error', `could not read the canary's ${canary.reason}`, {}), evidence: before };
  if (baseline?.kind === 'error') return { reading: reading(check.name, 'error', `could not read the baseline's ${baseline.reason}`, {}), evidence: before };
  if (canary.kind === 'no-data') {
    // Never a pass nor a fail on an empty window, whatever was decided before.
    return { reading: reading(check.name, 'inconclusive', `not enough data: ${canary.reason} for the canary`, {}), evidence: before };
  }
  const next: ErrorRateEvidence = {
    ...before,
    requests: before.requests + canary.requests,
    errors: before.errors + canary.errors,
    baselineRequests: before.baselineRequests + (baseline?.kind === 'counts' ? baseline.requests : 0),
    baselineErrors: before.baselineErrors + (baseline?.kind === 'counts' ? baseline.errors : 0),
    intervals: before.intervals + 1,
  };
  const canaryRate = next.requests > 0 ? next.errors / next.requests : null;
  // The baseline measured so far, in this window or before it: at 100% the baseline serves nothing,
  // and its error rate from before the stage is what the canary is compared with.
  const hasBaseline = next.baselineRequests > 0;
  // Smoothed so a baseline without errors still gives a usable, small rate.
  const baselineRate = hasBaseline ? (next.baselineErrors + 0.5) / (next.baselineRequests + 1) : null;
  const ratioToBaseline = canaryRate !== null && baselineRate !== null ? canaryRate / baselineRate : null;
  const values: Record<string, number | null> = {
    requests: next.requests,
    errors: next.errors,
    errorRate: canaryRate,
    baselineRequests: hasBaseline ? next.baselineRequests : null,
    baselineErrors: hasBaseline ? next.baselineErrors : null,
    baselineErrorRate: baselineRate,
    ratio: ratioToBaseline,
  };

  const tests: Array<TestState & { bound: number; text: string }> = [];
  if (baselineRate !== null) {
    // Capped below 1 so the likelihoods stay finite even for a baseline that fails almost everything.
    const p0 = Math.min(baselineRate, 0.98);
    const rates = { p0, p1: Math.min(0.99, Math.max(p0 * check.maxRatioToBaseline, p0 + options.minErrorRateIncrease)) };
    const state = stepTest(next.ratio, next, canary.requests, rates, options);
    next.ratio = state.decision;
    tests.push({ ...state, bound: rates.p1, text: `${check.maxRatioToBaseline}× the baseline's error rate (${percent(rates.p1)})` });
  }
  if (check.max !== undefined && check.max > 0) {
    const p1 = Math.min(check.max, 0.99);
    const rates = { p0: p1 / Math.max(check.maxRatioToBaseline, 1.5), p1 };
    const state = stepTest(next.ceiling, next, canary.requests, rates, options);
    next.ceiling = state.decision;
    tests.push({ ...state, bound: p1, text: `max ${percent(p1)}` });
  }
  const requestsPerMinute = windowSeconds !== undefined && windowSeconds > 0 ? (canary.requests / windowSeconds) * 60 : null;
  // The test that decides: a failed one, else the one furthest from its verdict.
  const deciding = tests.find((test) => test.decision === 'unhealthy') ?? [...tests].sort((a, b) => a.progress - b.progress)[0];
  const detail: CheckEvidenceDetail = {
    unit: 'share',
    measure: 'error rate over the stage so far',
    canary: { value: canaryRate, requests: next.requests, errors: next.errors },
    baseline: hasBaseline ? { value: baselineRate, requests: next.baselineRequests, errors: next.baselineErrors } : null,
    bound: deciding
      ? { text: deciding.text, value: deciding.bound, kind: 'ceiling', outcome: deciding.decision === 'unhealthy' ? 'crossed' : deciding.decision === 'healthy' ? 'held' : 'undecided' }
      : { text: 'no baseline to compare with and no max set', value: null, kind: 'ceiling', outcome: 'undecided' },
    ...(deciding ? { sequential: sequentialEvidence(deciding, next.requests, next.intervals, requestsPerMinute) } : {}),
  };

  const measured =
    `errors ${percent(canaryRate ?? 0)}` +
    (baselineRate !== null ? ` vs baseline ${percent(baselineRate)} (${(ratioToBaseline ?? 0).toFixed(1)}×)` : '') +
    (check.max !== undefined ? `, max ${percent(check.max)}` : '');
  if (tests.length === 0) {
    return {
      reading: reading(check.name, 'inconclusive', `${measured}: no baseline to compare with and no max set`, values, detail),
      evidence: next,
    };
  }
  const progress = Math.min(...tests.map((test) => test.progress));
  values.progress = progress;
  if (tests.some((test) => test.decision === 'unhealthy')) {
    return { reading: reading(check.name, 'fail', `${measured}: worse than allowed`, values, detail), evidence: next };
  }
  if (tests.every((test) => test.decision === 'healthy')) {
    return { reading: reading(check.name, 'pass', `${measured}: within bounds`, values, detail), evidence: next };
  }
  const share = Math.max(0, Math.min(99, Math.floor(progress * 100)));
  return { reading: stillDeciding(check.name, `${measured}, ${share}% of the way to a verdict`, values, detail), evidence: next };
}

// ---------------------------------------------------------------------------------------------
// Series checks: latency (threshold + nonparametric comparison), saturation, traffic.

export function judgeLatency(
  check: Extract<HealthCheckConfig, { kind: 'latency' }>,
  input: Extract<CheckInput, { kind: 'series' }>,
  previous: LatencyEvidence | undefined,
  options: JudgeOptions = defaultJudgeOptions,
): CheckJudgement {
  const before: LatencyEvidence = previous ?? { kind: 'latency', canary: [], baseline: [] };
  const label = check.percentile;
  if (input.canary.kind === 'error') return { reading: reading(check.name, 'error', `could not read the canary's ${label}: ${input.canary.reason}`, {}), evidence: before };
  if (input.baseline?.kind === 'error') {
    return { reading: reading(check.name, 'error', `could not read the baseline's ${label}: ${input.baseline.reason}`, {}), evidence: before };
  }
  const windowCanary = finiteValues(input.canary);
  const windowBaseline = input.baseline === null ? [] : finiteValues(input.baseline);
  const keep = (values: number[]) => values.slice(Math.max(0, values.length - options.maxLatencyPoints));
  const next: LatencyEvidence = {
    kind: 'latency',
    canary: keep([...before.canary, ...windowCanary]),
    baseline: keep([...before.baseline, ...windowBaseline]),
  };
  if (windowCanary.length < options.minPoints) {
    return {
      reading: reading(check.name, 'inconclusive', `not enough data: ${windowCanary.length} ${label} points in the window (needs ${options.minPoints})`, {}),
      evidence: next,
    };
  }
  const canaryMedian = median(windowCanary);
  const values: Record<string, number | null> = { [label]: canaryMedian };
  const parts: string[] = [`${label} ${Math.round(canaryMedian)}ms`];
  let failed = false;
  let judged = 0;
  let open = false;
  if (check.maxMs !== undefined) {
    judged += 1;
    parts.push(`max ${check.maxMs}ms`);
    if (canaryMedian > check.maxMs) failed = true;
  }
  // At 100% the baseline serves nothing (its input is null) and its latency from before the stage,
  // in the evidence, stands in; without any, only maxMs can judge.
  if (input.baseline !== null || next.baseline.length >= options.minPoints) {
    if (next.baseline.length >= options.minPoints) {
      judged += 1;
      const ratio = median(next.canary) / median(next.baseline);
      const scaled = next.baseline.map((value) => value * check.maxRatioToBaseline);
      const { pGreater } = mannWhitneyGreater(next.canary, scaled);
      values.baseline = median(next.baseline);
      values.ratio = ratio;
      values.pValue = pGreater;
      parts.push(`baseline ${Math.round(median(next.baseline))}ms (${ratio.toFixed(1)}×, max ${check.maxRatioToBaseline}×)`);
      if (pGreater < options.latencyAlpha) failed = true;
      else if (ratio > check.maxRatioToBaseline) open = true;
    } else {
      open = true;
      parts.push('not enough baseline data');
    }
  }
  const summary = parts.join(', ');
  const baselineMedian = values.baseline ?? null;
  const bounds = [
    ...(check.maxMs !== undefined ? [`max ${check.maxMs}ms`] : []),
    ...(baselineMedian !== null ? [`${check.maxRatioToBaseline}× the baseline (${Math.round(baselineMedian * check.maxRatioToBaseline)}ms; one-sided Mann–Whitney p=${(values.pValue ?? 1).toFixed(3)}, fails under ${options.latencyAlpha})`] : []),
  ];
  const limits = [check.maxMs ?? null, baselineMedian !== null ? baselineMedian * check.maxRatioToBaseline : null].filter((value): value is number => value !== null);
  const detail: CheckEvidenceDetail = {
    unit: 'ms',
    measure: `${label} latency, median of the window's points`,
    canary: { value: canaryMedian, points: windowCanary.length },
    baseline: baselineMedian !== null ? { value: baselineMedian, points: next.baseline.length } : null,
    bound: { text: bounds.join('; ') || 'no baseline to compare with and no maxMs set', value: limits.length > 0 ? Math.min(...limits) : null, kind: 'ceiling', outcome: failed ? 'crossed' : open || judged === 0 ? 'undecided' : 'held' },
  };
  if (failed) return { reading: reading(check.name, 'fail', `${summary}: worse than allowed`, values, detail), evidence: next };
  if (judged === 0 && !open) return { reading: reading(check.name, 'inconclusive', `${summary}: no baseline to compare with and no maxMs set`, values, detail), evidence: next };
  if (open) {
    // Above the ratio but not yet significant: more points decide. Without baseline data they cannot.
    const text = `${summary}: not yet significant`;
    return { reading: baselineMedian !== null ? stillDeciding(check.name, text, values, detail) : reading(check.name, 'inconclusive', text, values, detail), evidence: next };
  }
  return { reading: reading(check.name, 'pass', `${summary}: within bounds`, values, detail), evidence: next };
}

export function judgeSaturation(
  check: Extract<HealthCheckConfig, { kind: 'saturation' }>,
  sample: SeriesSample,
  options: JudgeOptions = defaultJudgeOptions,
): CheckJudgement {
  if (sample.kind === 'error') return { reading: reading(check.name, 'error', `could not read saturation: ${sample.reason}`, {}), evidence: undefined };
  const points = finiteValues(sample);
  if (points.length < options.minPoints) {
    return { reading: reading(check.name, 'inconclusive', `not enough data: ${points.length} points in the window (needs ${options.minPoints})`, {}), evidence: undefined };
  }
  const level = median(points);
  const summary = `saturation ${percent(level)} (max ${percent(check.max)})`;
  // The median, so one busy scrape does not roll a release back.
  const detail: CheckEvidenceDetail = {
    unit: 'share',
    measure: 'saturation, median of the window\'s points',
    canary: { value: level, points: points.length },
    baseline: null,
    bound: { text: `max ${percent(check.max)}`, value: check.max, kind: 'ceiling', outcome: level > check.max ? 'crossed' : 'held' },
  };
  if (level > check.max) return { reading: reading(check.name, 'fail', summary, { saturation: level }, detail), evidence: undefined };
  return { reading: reading(check.name, 'pass', summary, { saturation: level }, detail), evidence: undefined };
}

export function judgeTraffic(check: Extract<HealthCheckConfig, { kind: 'traffic' }>, sample: SeriesSample, windowSeconds: number): CheckJudgement {
  if (sample.kind === 'error') return { reading: reading(check.name, 'error', `could not read traffic: ${sample.reason}`, {}), evidence: undefined };
  if (finiteValues(sample).length === 0 || windowSeconds <= 0) {
    return { reading: reading(check.name, 'inconclusive', 'not enough data: no request counts in the window', {}), evidence: undefined };
  }
  // A bucket the source left empty counted nothing; NaN is a broken point and is left out.
  const points = sample.values.filter((value) => value === null || Number.isFinite(value)).map((value) => value ?? 0);
  const bucketSeconds = sample.bucketSeconds !== undefined && sample.bucketSeconds > 0 ? sample.bucketSeconds : windowSeconds / sample.values.length;
  const perMinute = requestsPerMinute(points, rateUnitOf(check.query), bucketSeconds);
  const summary = `${Math.round(perMinute)} requests/min (needs ${check.minPerMinute})`;
  // Too little traffic is never a failure of the canary: nothing can be judged.
  const detail: CheckEvidenceDetail = {
    unit: 'per_minute',
    measure: 'requests a minute over the window',
    canary: { value: perMinute, points: points.length },
    baseline: null,
    bound: { text: `at least ${check.minPerMinute} requests a minute`, value: check.minPerMinute, kind: 'floor', outcome: perMinute < check.minPerMinute ? 'crossed' : 'held' },
  };
  if (perMinute < check.minPerMinute) return { reading: reading(check.name, 'inconclusive', `not enough traffic: ${summary}`, { perMinute }, detail), evidence: undefined };
  return { reading: reading(check.name, 'pass', summary, { perMinute }, detail), evidence: undefined };
}
