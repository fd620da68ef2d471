/** Where traffic for one service in one environment is routed. */
export interface TrafficTarget {
  service: string;
  environment: string;
}

/** Percent of traffic per infra-set id; the values add up to 100. */
export type Weights = Record<string, number>;

export interface TrafficChange {
  target: TrafficTarget;
  weights: Weights;
  releaseId: string | null;
  /** The same key for a retried call: the router must apply it once. */
  idempotencyKey: string;
}

export type TrafficOutcome =
  | { kind: 'applied'; verified: boolean; detail?: string }
  | { kind: 'failed'; retryable: boolean; reason: string };

/** Moves traffic between infra-sets (a webhook, nginx, a command, a simulated fleet…). */
export interface Traffic {
  setWeights(change: TrafficChange): Promise<TrafficOutcome>;
}
