import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import type { CheckReading, Verdict } from '../../ports/health.js';
import { assertNever } from '../assert-never.js';

/**
 * What a stage's chart shows, as data: for each check, the canary against the baseline at every
 * reading of the stage, the bound it is judged against, and the moment of the verdict. The domain
 * decides it; an adapter draws it (and a text fallback says the same in words).
 */

/** How a check's values read: a share (error rate, saturation), milliseconds, or requests a minute. */
export type ChartUnit = 'share' | 'ms' | 'per_minute';

/** One reading of one check, reduced to what the chart draws. */
export interface ChartSample {
  check: string;
  verdict: Verdict;
  canary: number | null;
  baseline: number | null;
  /** The bound at this reading: a ceiling (error rate, latency, saturation) or a floor (traffic). */
  limit: number | null;
}

/** One reading of a stage: when, and each check's sample. */
export interface StageReadingSamples {
  at: string;
  verdict: Verdict;
  samples: ChartSample[];
}

export interface ChartSeries {
  check: string;
  kind: HealthCheckConfig['kind'];
  unit: ChartUnit;
  /** What the canary line measures ("error rate", "p99 latency"). */
  measure: string;
  /** Whether the bound is a ceiling (the canary must stay under) or a floor (traffic must reach). */
  bound: 'ceiling' | 'floor';
  verdict: Verdict;
  points: Array<{ at: string; canary: number | null; baseline: number | null; limit: number | null }>;
}

export type StageChartOutcome = 'passed' | 'promoted' | 'failed' | 'held';

export interface StageChart {
  releaseId: string;
  environment: string;
  service: string;
  version: string;
  stage: string;
  weight: number;
  startedAt: string;
  /** The moment of the verdict the chart marks. */
  verdictAt: string;
  outcome: StageChartOutcome;
  series: ChartSeries[];
}

/** The most readings a stage keeps for its chart (a long bake at a short interval keeps its latest). */
export const MAX_CHART_READINGS = 120;

function finite(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function lowest(...values: Array<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length > 0 ? Math.min(...known) : null;
}

/** One check's reading as a chart sample: which of the judge's values are the canary, the baseline and the bound. */
export function chartSampleOf(check: HealthCheckConfig, reading: CheckReading): ChartSample {
  const values = reading.values;
  const base = { check: check.name, verdict: reading.verdict };
  switch (check.kind) {
    case 'error_rate': {
      const baseline = finite(values.baselineErrorRate);
      return { ...base, canary: finite(values.errorRate), baseline, limit: lowest(check.max ?? null, baseline !== null ? baseline * check.maxRatioToBaseline : null) };
    }
    case 'latency': {
      const baseline = finite(values.baseline);
      return { ...base, canary: finite(values[check.percentile]), baseline, limit: lowest(check.maxMs ?? null, baseline !== null ? baseline * check.maxRatioToBaseline : null) };
    }
    case 'saturation':
      return { ...base, canary: finite(values.saturation), baseline: null, limit: check.max };
    case 'traffic':
      return { ...base, canary: finite(values.perMinute), baseline: null, limit: check.minPerMinute };
    default:
      return assertNever(check, 'health check');
  }
}

/** A stage reading's samples, for the checks the config names (monitor vetoes have no series to draw). */
export function stageReadingSamples(at: string, verdict: Verdict, checks: readonly HealthCheckConfig[], readings: readonly CheckReading[]): StageReadingSamples {
  const samples: ChartSample[] = [];
  for (const check of checks) {
    const reading = readings.find((candidate) => candidate.check === check.name);
    if (reading) samples.push(chartSampleOf(check, reading));
  }
  return { at, verdict, samples };
}

function unitOf(check: HealthCheckConfig): ChartUnit {
  switch (check.kind) {
    case 'error_rate':
    case 'saturation':
      return 'share';
    case 'latency':
      return 'ms';
    case 'traffic':
      return 'per_minute';
    default:
      return assertNever(check, 'health check');
  }
}

function measureOf(check: HealthCheckConfig): string {
  switch (check.kind) {
    case 'error_rate':
      return 'error rate';
    case 'latency':
      return `${check.percentile} latency`;
    case 'saturation':
      return 'saturation';
    case 'traffic':
      return 'requests/min';
    default:
      return assertNever(check, 'health check');
  }
}

/** The chart of a stage from its readings; null when nothing was measured (nothing to draw). */
export function stageChart(args: Omit<StageChart, 'series'> & { checks: readonly HealthCheckConfig[]; readings: readonly StageReadingSamples[] }): StageChart | null {
  const { checks, readings, ...head } = args;
  if (readings.length === 0) return null;
  const series: ChartSeries[] = checks.map((check) => {
    const points = readings.flatMap((reading) => {
      const sample = reading.samples.find((candidate) => candidate.check === check.name);
      return sample ? [{ at: reading.at, canary: sample.canary, baseline: sample.baseline, limit: sample.limit }] : [];
    });
    const last = [...readings].reverse().find((reading) => reading.samples.some((sample) => sample.check === check.name));
    const verdict = last?.samples.find((sample) => sample.check === check.name)?.verdict ?? 'inconclusive';
    return { check: check.name, kind: check.kind, unit: unitOf(check), measure: measureOf(check), bound: check.kind === 'traffic' ? 'floor' : 'ceiling', verdict, points };
  });
  return { ...head, series };
}

/** Formats a value in its unit, the way the card and the chart's alt text say it. */
export function formatChartValue(value: number | null, unit: ChartUnit): string {
  if (value === null) return 'n/a';
  switch (unit) {
    case 'share': {
      const pct = value * 100;
      return `${pct >= 10 ? pct.toFixed(1) : pct.toFixed(2)}%`;
    }
    case 'ms':
      return `${Math.round(value)}ms`;
    case 'per_minute':
      return `${Math.round(value)}/min`;
    default:
      return assertNever(unit, 'chart unit');
  }
}

const OUTCOME_WORDS: Record<StageChartOutcome, string> = { passed: 'passed', promoted: 'promoted by hand', failed: 'failed', held: 'held for a human' };

/** The chart in words: the image's alt text and the fallback where images are not shown. */
export function stageChartText(chart: StageChart): string {
  const head = `${chart.service}@${chart.version} ${chart.stage} (${chart.weight}%) in ${chart.environment}: ${OUTCOME_WORDS[chart.outcome]} at ${chart.verdictAt.slice(11, 16)} UTC`;
  const lines = chart.series.map((series) => {
    const last = series.points.at(-1);
    if (!last) return `${series.check}: no reading`;
    const parts = [`${series.measure} ${formatChartValue(last.canary, series.unit)}`];
    if (last.baseline !== null) parts.push(`baseline ${formatChartValue(last.baseline, series.unit)}`);
    if (last.limit !== null) parts.push(`${series.bound === 'floor' ? 'needs' : 'limit'} ${formatChartValue(last.limit, series.unit)}`);
    return `${series.check} (${series.verdict}): ${parts.join(', ')} over ${series.points.length} reading${series.points.length === 1 ? '' : 's'}`;
  });
  return [head, ...lines].join('. ');
}
