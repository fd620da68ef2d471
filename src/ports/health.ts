import type { HealthCheckConfig } from '../config/delivery-schema.js';

/** The outcome of judging one check, or a whole stage. Inconclusive and error never promote (STYLE.md §3). */
export type Verdict = 'pass' | 'fail' | 'inconclusive' | 'error';

export interface CheckReading {
  check: string;
  verdict: Verdict;
  /** Human-readable numbers for the card: "errors 0.62% vs baseline 0.48% (1.3×), 41% of the way to a verdict". */
  summary: string;
  /** The measured values, for the card and the audit log. */
  values: Record<string, number | null>;
  /** How the verdict was reached, for the card's Details (absent where nothing was measured). */
  detail?: CheckEvidenceDetail;
  /**
   * On an inconclusive reading: it measured, and more of the same data decides it (a sequential test
   * on its way to a boundary). Absent where nothing usable was measured or no verdict can come.
   */
  deciding?: true;
}

/** One side (canary or baseline) of a check's reading. */
export interface EvidenceSide {
  /** The measured value: error rate, latency in ms, saturation, requests a minute. */
  value: number | null;
  /** Requests and errors counted so far this stage (error rate), or points read (series checks). */
  requests?: number;
  errors?: number;
  points?: number;
  /** The queries as sent and the window they covered (filled in by the probe that ran them). */
  queries?: string[];
  window?: { from: string; to: string };
}

/** The evidence behind one check's verdict, complete enough to check it by hand. */
export interface CheckEvidenceDetail {
  unit: 'share' | 'ms' | 'per_minute';
  /** What the value measures ("error rate over the stage so far", "p99 latency, median of the window"). */
  measure: string;
  canary: EvidenceSide;
  baseline: EvidenceSide | null;
  /** The bound judged against: a ceiling the canary must stay under, or a floor traffic must reach. */
  bound: { text: string; value: number | null; kind: 'ceiling' | 'floor'; outcome: 'crossed' | 'held' | 'undecided' };
  /** The sequential test's evidence against its decision thresholds (error-rate checks). */
  sequential?: SequentialEvidence;
}

export interface SequentialEvidence {
  /** The log-likelihood ratio so far, and the thresholds: at or over `upper` fails, at or under `lower` passes. */
  llr: number;
  upper: number;
  lower: number;
  /** 0..1 toward the threshold the evidence leans to. */
  progress: number;
  leaning: 'unhealthy' | 'healthy' | 'neither';
  intervals: number;
  /** At the traffic of the last interval, about how many more minutes the test needs to decide (null: decided, or no trend yet). */
  minutesToDecide: number | null;
}

export interface HealthReading {
  /** The stage's verdict: fail if any check failed, else error, else inconclusive, else pass. */
  verdict: Verdict;
  checks: CheckReading[];
  /**
   * The sequential judge's accumulated evidence, opaque to the engine: persisted with the stage
   * and handed back on the next reading, so a restart loses none of it.
   */
  evidence: unknown;
}

export interface InfraSetRef {
  infraSetId: string;
  version: string;
}

export interface HealthProbeRequest {
  service: string;
  environment: string;
  /** The new infra-set taking a share of traffic, and the one serving the rest (none for a first deploy). */
  canary: InfraSetRef;
  baseline: InfraSetRef | null;
  /** The canary's share of traffic, in percent. */
  weight: number;
  checks: HealthCheckConfig[];
  window: { from: Date; to: Date };
  evidence: unknown;
}

/**
 * Reads the health of a canary: queries a Metrics source and judges the answer. Never throws for an
 * outage: an unreachable source is an `error` verdict.
 */
export interface HealthProbe {
  read(request: HealthProbeRequest): Promise<HealthReading>;
}
