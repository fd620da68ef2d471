import type { Logger } from 'pino';
import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../../domain/assert-never.js';
import { resumeEvidence, type HealthEvidence } from '../../domain/health/evidence.js';
import { judgeStage, type CheckInput, type SeriesSample } from '../../domain/health/judge.js';
import { defaultJudgeOptions, type JudgeOptions } from '../../domain/health/judge-options.js';
import type { CheckEvidenceDetail, CheckReading, HealthProbe, HealthProbeRequest, HealthReading, InfraSetRef } from '../../ports/health.js';
import type { MetricPoint, MetricWindow, Metrics } from '../../ports/metrics.js';
import type { MonitorGate } from './monitor-gate.js';
import { renderQuery, type QueryRole } from './query-template.js';

/** Ten minutes: the length of a typical canary stage, and well over a million requests at the example's load. */
const DEFAULT_BASELINE_LOOKBACK_SECONDS = 600;

export interface MetricsHealthProbeOptions {
  metrics: Metrics;
  /** Optional veto: a monitor in alert for the service and environment fails the canary. */
  monitors?: MonitorGate;
  /** Used when a request's window is empty: the last `intervalSeconds` before its end. */
  intervalSeconds?: number;
  /**
   * At 100% the baseline serves nothing, so the canary is compared with how the baseline did in this
   * long a stretch before the stage began (unless the evidence already holds baseline measurements).
   */
  baselineLookbackSeconds?: number;
  logger?: Logger;
  judge?: JudgeOptions;
}

/**
 * The HealthProbe on top of any Metrics source: renders each check's queries for the canary and the
 * baseline, asks for the window, and lets the pure judge decide. Never throws for an outage: a source
 * that fails becomes an `error` reading, which holds the release rather than passing it.
 */
export class MetricsHealthProbe implements HealthProbe {
  readonly #options: MetricsHealthProbeOptions;

  constructor(options: MetricsHealthProbeOptions) {
    this.#options = options;
  }

  async read(request: HealthProbeRequest): Promise<HealthReading> {
    const known = resumeEvidence(request.evidence, { canary: request.canary.infraSetId, baseline: request.baseline?.infraSetId ?? null, weight: request.weight });
    const window = this.#window(request, known);
    if (window.to.getTime() <= window.from.getTime()) {
      // Everything up to the window's end is already in the evidence: measuring it again would count it twice.
      const summary = `nothing new to measure: already measured until ${known.until ?? window.to.toISOString()}`;
      return { verdict: 'inconclusive', checks: request.checks.map((check) => ({ check: check.name, verdict: 'inconclusive', summary, values: {} })), evidence: known };
    }
    const windowSeconds = (window.to.getTime() - window.from.getTime()) / 1000;
    const baselineWindows = new Map(request.checks.map((check) => [check.name, this.#baselineWindow(check, request, window, known)]));
    const [checks, extraReadings] = await Promise.all([
      Promise.all(request.checks.map(async (check) => ({ check, input: await this.#inputFor(check, request, window, baselineWindows.get(check.name) ?? null) }))),
      this.#monitorReadings(request),
    ]);
    const judged = judgeStage(
      {
        canary: request.canary.infraSetId,
        baseline: request.baseline?.infraSetId ?? null,
        weight: request.weight,
        windowSeconds,
        measuredUntil: window.to.toISOString(),
        stageFrom: window.from.toISOString(),
        checks,
        extraReadings,
        evidence: request.evidence,
      },
      this.#options.judge ?? defaultJudgeOptions,
    );
    this.#options.logger?.debug(
      { service: request.service, environment: request.environment, canary: request.canary.infraSetId, verdict: judged.verdict },
      'health read',
    );
    const readings = judged.checks.map((reading) => {
      const check = request.checks.find((candidate) => candidate.name === reading.check);
      return check && reading.detail ? { ...reading, detail: this.#withQueries(reading.detail, check, request, window, baselineWindows.get(check.name) ?? null) } : reading;
    });
    return { verdict: judged.verdict, checks: readings, evidence: judged.evidence };
  }

  /** The evidence with the queries as sent and the windows they covered, side by side. */
  #withQueries(detail: CheckEvidenceDetail, check: HealthCheckConfig, request: HealthProbeRequest, window: MetricWindow, baselineWindow: MetricWindow | null): CheckEvidenceDetail {
    const span = (over: MetricWindow) => ({ from: over.from.toISOString(), to: over.to.toISOString() });
    const canary = { ...detail.canary, queries: this.#queries(check, request, request.canary, 'canary'), window: span(window) };
    const baselineSide = request.baseline;
    const baseline =
      detail.baseline && baselineSide
        ? { ...detail.baseline, queries: this.#queries(check, request, baselineSide, 'baseline'), ...(baselineWindow ? { window: span(baselineWindow) } : {}) }
        : detail.baseline;
    return { ...detail, canary, baseline };
  }

  #queries(check: HealthCheckConfig, request: HealthProbeRequest, side: InfraSetRef, role: QueryRole): string[] {
    const render = (template: string) => renderQuery(template, { service: request.service, environment: request.environment, infraSet: side.infraSetId, version: side.version, role });
    return check.kind === 'error_rate' ? [render(check.requests), render(check.errors)] : [render(check.query)];
  }

  /** The request's window, starting no earlier than the end of what the evidence already counted. */
  #window(request: HealthProbeRequest, known: HealthEvidence): MetricWindow {
    const to = request.window.to;
    const from =
      request.window.to.getTime() > request.window.from.getTime() ? request.window.from : new Date(to.getTime() - (this.#options.intervalSeconds ?? 60) * 1000);
    const until = known.until !== undefined ? Date.parse(known.until) : Number.NaN;
    return { from: Number.isFinite(until) && until > from.getTime() ? new Date(until) : from, to };
  }

  /**
   * Where the baseline is measured for a check: in the window while it serves alongside the canary;
   * at 100%, where it serves nothing, in the stretch before the stage began, once, and after that
   * not at all (null), the evidence keeping what was measured.
   */
  #baselineWindow(check: HealthCheckConfig, request: HealthProbeRequest, window: MetricWindow, known: HealthEvidence): MetricWindow | null {
    if (request.baseline === null) return null;
    if (request.weight < 100) return window;
    const evidence = known.checks[check.name];
    const measured = evidence?.kind === 'error_rate' ? evidence.baselineRequests > 0 : evidence?.kind === 'latency' ? evidence.baseline.length > 0 : false;
    if (measured) return null;
    const seconds = this.#options.baselineLookbackSeconds ?? DEFAULT_BASELINE_LOOKBACK_SECONDS;
    // Up to the stage's start even on a later reading (the first one found the source down, say):
    // after it the baseline served nothing.
    const stageFrom = known.stageFrom !== undefined ? Date.parse(known.stageFrom) : Number.NaN;
    const to = Number.isFinite(stageFrom) && stageFrom < window.from.getTime() ? new Date(stageFrom) : window.from;
    return { from: new Date(to.getTime() - seconds * 1000), to };
  }

  async #inputFor(check: HealthCheckConfig, request: HealthProbeRequest, window: MetricWindow, baselineWindow: MetricWindow | null): Promise<CheckInput> {
    const sample = (template: string, side: InfraSetRef, role: QueryRole, over: MetricWindow = window) =>
      this.#sample(renderQuery(template, { service: request.service, environment: request.environment, infraSet: side.infraSetId, version: side.version, role }), over);
    const baseline = request.baseline;
    switch (check.kind) {
      case 'error_rate': {
        const counts = async (side: InfraSetRef, role: QueryRole, over: MetricWindow) => {
          const [requests, errors] = await Promise.all([sample(check.requests, side, role, over), sample(check.errors, side, role, over)]);
          return { requests, errors };
        };
        const [canary, base] = await Promise.all([
          counts(request.canary, 'canary', window),
          baseline && baselineWindow ? counts(baseline, 'baseline', baselineWindow) : null,
        ]);
        return { kind: 'counts', canary, baseline: base };
      }
      case 'latency': {
        const [canary, base] = await Promise.all([
          sample(check.query, request.canary, 'canary'),
          baseline && baselineWindow ? sample(check.query, baseline, 'baseline', baselineWindow) : null,
        ]);
        return { kind: 'series', canary, baseline: base };
      }
      case 'saturation':
      case 'traffic':
        return { kind: 'series', canary: await sample(check.query, request.canary, 'canary'), baseline: null };
      default:
        return assertNever(check, 'health check');
    }
  }

  async #sample(query: string, window: MetricWindow): Promise<SeriesSample> {
    try {
      const measurement = await this.#options.metrics.measure(query, window);
      switch (measurement.kind) {
        case 'series': {
          const bucketSeconds = spacingSeconds(measurement.points);
          return { kind: 'values', values: measurement.points.map((point) => point.value), ...(bucketSeconds !== undefined ? { bucketSeconds } : {}) };
        }
        case 'error':
          return { kind: 'error', reason: measurement.reason };
        default:
          return assertNever(measurement, 'measurement');
      }
    } catch (error) {
      // A Metrics implementation should not throw; if one does, it is still only an error verdict.
      this.#options.logger?.warn({ err: error, query }, 'metrics source threw');
      return { kind: 'error', reason: error instanceof Error ? error.message : String(error) };
    }
  }

  async #monitorReadings(request: HealthProbeRequest): Promise<CheckReading[]> {
    const gate = this.#options.monitors;
    if (!gate) return [];
    try {
      const result = await gate.alerting({ service: request.service, environment: request.environment });
      if (result.kind === 'error') return [{ check: 'monitors', verdict: 'error', summary: `could not read monitors: ${result.reason}`, values: {} }];
      if (result.alerting.length === 0) return [{ check: 'monitors', verdict: 'pass', summary: 'no monitor in alert', values: { alerting: 0 } }];
      const names = result.alerting.map((monitor) => monitor.name || `#${monitor.id}`).join(', ');
      return [{ check: 'monitors', verdict: 'fail', summary: `in alert: ${names}`, values: { alerting: result.alerting.length } }];
    } catch (error) {
      return [{ check: 'monitors', verdict: 'error', summary: `could not read monitors: ${error instanceof Error ? error.message : String(error)}`, values: {} }];
    }
  }
}

/** The usual spacing of the points (the median gap), or undefined with fewer than two. */
function spacingSeconds(points: ReadonlyArray<MetricPoint>): number | undefined {
  const times = points.map((point) => point.at.getTime()).sort((a, b) => a - b);
  const gaps = times.slice(1).map((time, index) => time - times[index]!).filter((gap) => gap > 0).sort((a, b) => a - b);
  if (gaps.length === 0) return undefined;
  return gaps[Math.floor(gaps.length / 2)]! / 1000;
}
