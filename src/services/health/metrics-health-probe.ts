import type { Logger } from 'pino';
import type { HealthCheckConfig } from '../../config/delivery-schema.js';
import { assertNever } from '../../domain/assert-never.js';
import { judgeStage, type CheckInput, type SeriesSample } from '../../domain/health/judge.js';
import { defaultJudgeOptions, type JudgeOptions } from '../../domain/health/judge-options.js';
import type { CheckReading, HealthProbe, HealthProbeRequest, HealthReading, InfraSetRef } from '../../ports/health.js';
import type { MetricWindow, Metrics } from '../../ports/metrics.js';
import type { MonitorGate } from './monitor-gate.js';
import { renderQuery, type QueryRole } from './query-template.js';

export interface MetricsHealthProbeOptions {
  metrics: Metrics;
  /** Optional veto: a monitor in alert for the service and environment fails the canary. */
  monitors?: MonitorGate;
  /** Used when a request's window is empty: the last `intervalSeconds` before its end. */
  intervalSeconds?: number;
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
    const window = this.#window(request);
    const windowSeconds = (window.to.getTime() - window.from.getTime()) / 1000;
    const [checks, extraReadings] = await Promise.all([
      Promise.all(request.checks.map(async (check) => ({ check, input: await this.#inputFor(check, request, window) }))),
      this.#monitorReadings(request),
    ]);
    const judged = judgeStage(
      {
        canary: request.canary.infraSetId,
        baseline: request.baseline?.infraSetId ?? null,
        weight: request.weight,
        windowSeconds,
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
    return { verdict: judged.verdict, checks: judged.checks, evidence: judged.evidence };
  }

  #window(request: HealthProbeRequest): MetricWindow {
    if (request.window.to.getTime() > request.window.from.getTime()) return request.window;
    const seconds = this.#options.intervalSeconds ?? 60;
    return { from: new Date(request.window.to.getTime() - seconds * 1000), to: request.window.to };
  }

  async #inputFor(check: HealthCheckConfig, request: HealthProbeRequest, window: MetricWindow): Promise<CheckInput> {
    const sample = (template: string, side: InfraSetRef, role: QueryRole) =>
      this.#sample(renderQuery(template, { service: request.service, environment: request.environment, infraSet: side.infraSetId, version: side.version, role }), window);
    const baseline = request.baseline;
    switch (check.kind) {
      case 'error_rate': {
        const counts = async (side: InfraSetRef, role: QueryRole) => {
          const [requests, errors] = await Promise.all([sample(check.requests, side, role), sample(check.errors, side, role)]);
          return { requests, errors };
        };
        const [canary, base] = await Promise.all([counts(request.canary, 'canary'), baseline ? counts(baseline, 'baseline') : null]);
        return { kind: 'counts', canary, baseline: base };
      }
      case 'latency': {
        const [canary, base] = await Promise.all([sample(check.query, request.canary, 'canary'), baseline ? sample(check.query, baseline, 'baseline') : null]);
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
        case 'series':
          return { kind: 'values', values: measurement.points.map((point) => point.value) };
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
