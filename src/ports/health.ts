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
