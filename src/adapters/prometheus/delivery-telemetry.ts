import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Telemetry, TelemetryCounter, TelemetryGauge, TelemetryHistogram, TelemetryLabels } from '../../ports/telemetry.js';

/**
 * Every metric the app defines, in one place (README "Metrics" lists them). Counters are exported
 * as durable_delivery_<name>_total, histograms and gauges as durable_delivery_<name>.
 */
export const COUNTERS: Record<TelemetryCounter, { help: string; labels: readonly string[] }> = {
  releases_started: { help: 'Releases accepted and started, by target environment', labels: ['environment'] },
  releases_succeeded: { help: 'Releases that reached 100% and finished', labels: ['environment'] },
  releases_rolled_back: { help: 'Releases rolled back (automatically or by a person)', labels: ['environment'] },
  releases_held: { help: 'Times a release was held (gate closed, approval awaited, paused)', labels: ['environment'] },
  health_verdicts: { help: 'Health verdicts of the judge, by kind (pass, fail, inconclusive, error)', labels: ['kind'] },
  outbox_effect_attempts: { help: 'Outbox effects attempted, by effect kind', labels: ['effect'] },
  outbox_effect_failures: { help: 'Outbox effect attempts that failed (and will be retried or dead-lettered)', labels: ['effect'] },
  outbox_effects_dead: { help: 'Outbox effects given up on after their last attempt', labels: ['effect'] },
  github_api_calls: { help: 'GitHub API calls, by HTTP status (or "error" without an answer)', labels: ['status'] },
  datadog_api_calls: { help: 'Datadog API calls, by HTTP status (or "error" without an answer)', labels: ['status'] },
  merge_queue_merges: { help: 'Pull requests merged by the merge queue', labels: [] },
  process_faults: { help: 'Unhandled rejections and uncaught exceptions the process logged and survived', labels: ['kind'] },
  slack_requests_refused: { help: 'Signed Slack requests refused before Bolt for their shape, by HTTP status', labels: ['status'] },
};

export const HISTOGRAMS: Record<TelemetryHistogram, { help: string; labels: readonly string[]; buckets: number[] }> = {
  stage_duration_seconds: {
    help: 'Time a release spent in one stage, from entering it to leaving it',
    labels: ['environment', 'stage'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
  },
  traffic_restore_seconds: {
    help: 'Time from a failing health verdict to traffic restored on the last-known-good version',
    labels: ['environment'],
    buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300],
  },
  slack_ack_seconds: {
    help: 'Time from receiving a Slack request to acknowledging it, by kind (command, action, view)',
    labels: ['kind'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
  },
};

export const GAUGES: Record<TelemetryGauge, { help: string; labels: readonly string[] }> = {
  merge_queue_length: { help: 'Pull requests waiting or validating in the merge queue', labels: [] },
};

export function counterName(counter: TelemetryCounter): string {
  return `durable_delivery_${counter}_total`;
}

/** The Telemetry port over prom-client, registering every metric above on `registry`. */
export class PrometheusTelemetry implements Telemetry {
  readonly #counters = new Map<TelemetryCounter, Counter>();
  readonly #histograms = new Map<TelemetryHistogram, Histogram>();
  readonly #gauges = new Map<TelemetryGauge, Gauge>();

  constructor(readonly registry: Registry) {
    for (const [name, spec] of Object.entries(COUNTERS) as [TelemetryCounter, (typeof COUNTERS)[TelemetryCounter]][]) {
      this.#counters.set(name, new Counter({ name: counterName(name), help: spec.help, labelNames: [...spec.labels], registers: [registry] }));
    }
    for (const [name, spec] of Object.entries(HISTOGRAMS) as [TelemetryHistogram, (typeof HISTOGRAMS)[TelemetryHistogram]][]) {
      this.#histograms.set(name, new Histogram({ name: `durable_delivery_${name}`, help: spec.help, labelNames: [...spec.labels], buckets: spec.buckets, registers: [registry] }));
    }
    for (const [name, spec] of Object.entries(GAUGES) as [TelemetryGauge, (typeof GAUGES)[TelemetryGauge]][]) {
      this.#gauges.set(name, new Gauge({ name: `durable_delivery_${name}`, help: spec.help, labelNames: [...spec.labels], registers: [registry] }));
    }
  }

  count(counter: TelemetryCounter, labels: TelemetryLabels = {}, by = 1): void {
    this.#counters.get(counter)!.inc(only(labels, COUNTERS[counter].labels), by);
  }

  observe(histogram: TelemetryHistogram, value: number, labels: TelemetryLabels = {}): void {
    if (!Number.isFinite(value) || value < 0) return;
    this.#histograms.get(histogram)!.observe(only(labels, HISTOGRAMS[histogram].labels), value);
  }

  set(gauge: TelemetryGauge, value: number, labels: TelemetryLabels = {}): void {
    this.#gauges.get(gauge)!.set(only(labels, GAUGES[gauge].labels), value);
  }
}

/** prom-client throws on a label it was not told of; a caller's extra label is dropped instead. */
function only(labels: TelemetryLabels, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) picked[name] = labels[name] ?? 'unknown';
  return picked;
}
