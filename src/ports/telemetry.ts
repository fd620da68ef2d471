/**
 * What the app counts and times for operators (/metrics). Services and adapters record through this
 * narrow port and never see prom-client; the definitions (help text, labels, buckets) live in one
 * module, src/adapters/prometheus/delivery-telemetry.ts. Label values are short, bounded names
 * (environment, stage, verdict kind, effect kind, HTTP status), never ids.
 */
export type TelemetryCounter =
  | 'releases_started'
  | 'releases_succeeded'
  | 'releases_rolled_back'
  | 'releases_held'
  | 'health_verdicts'
  | 'outbox_effect_attempts'
  | 'outbox_effect_failures'
  | 'outbox_effects_dead'
  | 'github_api_calls'
  | 'datadog_api_calls'
  | 'merge_queue_merges'
  | 'process_faults'
  | 'slack_requests_refused';

export type TelemetryHistogram = 'stage_duration_seconds' | 'traffic_restore_seconds' | 'slack_ack_seconds';

export type TelemetryGauge = 'merge_queue_length';

export type TelemetryLabels = Readonly<Record<string, string>>;

export interface Telemetry {
  count(counter: TelemetryCounter, labels?: TelemetryLabels, by?: number): void;
  observe(histogram: TelemetryHistogram, value: number, labels?: TelemetryLabels): void;
  set(gauge: TelemetryGauge, value: number, labels?: TelemetryLabels): void;
}

/** Records nothing: the default wherever no /metrics is served (unit tests, the CLI). */
export const noTelemetry: Telemetry = { count() {}, observe() {}, set() {} };
