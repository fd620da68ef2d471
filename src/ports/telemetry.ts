import type { Verdict } from './health.js';

/**
 * What the app tells operators (/metrics), said in the domain's words: a release started, a stage
 * passed, a verdict came, traffic was restored. Services and adapters record facts through this
 * narrow port and never see prom-client; how each fact becomes a counter or a histogram (names, help
 * text, labels, buckets) lives in one module, src/adapters/prometheus/delivery-telemetry.ts, and the
 * README lists the series. Every field here becomes a label only when it is a short, bounded name
 * (environment, stage, verdict, effect kind, HTTP status), never an id.
 */
export type TelemetryFact =
  | { kind: 'release_started'; environment: string }
  | { kind: 'release_finished'; environment: string; outcome: 'succeeded' | 'rolled_back' | 'aborted' }
  /** Held for a human: inconclusive or erroring readings in a row. */
  | { kind: 'release_held'; environment: string }
  /** A stage baked to its end (or was promoted past), `seconds` after it started. */
  | { kind: 'stage_passed'; environment: string; stage: string; seconds: number }
  | { kind: 'health_verdict'; verdict: Verdict }
  /** A rollback put every moved service back on what served before, `seconds` after it started (the failing verdict, or the press). */
  | { kind: 'traffic_restored'; environment: string; seconds: number }
  | { kind: 'slack_acked'; surface: SlackSurface; seconds: number }
  | { kind: 'slack_request_refused'; status: number }
  /** One attempt at an outbox effect: done, to be retried, or given up on (dead). */
  | { kind: 'effect_attempted'; effect: string; outcome: 'done' | 'retry' | 'dead' }
  /** `status` is the HTTP status, or 'error' when no answer came. */
  | { kind: 'api_called'; api: 'github' | 'datadog'; status: number | 'error' }
  | { kind: 'process_fault'; fault: 'unhandled_rejection' | 'uncaught_exception' };

export type SlackSurface = 'command' | 'action' | 'view' | 'event' | 'other';

export interface Telemetry {
  record(fact: TelemetryFact): void;
}

/** Records nothing: the default wherever no /metrics is served (unit tests, the CLI). */
export const noTelemetry: Telemetry = { record() {} };
