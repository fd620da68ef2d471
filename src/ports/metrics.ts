export interface MetricWindow {
  from: Date;
  to: Date;
}

export interface MetricPoint {
  at: Date;
  /** null where the source had no value for the bucket (Datadog and Prometheus both do this). */
  value: number | null;
}

/** One query's answer. A failure is a value, so the judge can turn it into an `error` verdict, never a pass. */
export type Measurement =
  | { kind: 'series'; points: MetricPoint[] }
  | { kind: 'error'; reason: string; retryAfterSeconds?: number };

/** A metrics source: Datadog, Prometheus or the sandbox's simulated fleet. */
export interface Metrics {
  measure(query: string, window: MetricWindow): Promise<Measurement>;
}
