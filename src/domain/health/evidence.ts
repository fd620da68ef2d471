import { z } from 'zod';

/**
 * The judge's accumulated evidence for one stage. Plain JSON: the engine persists it with the stage and
 * hands it back on the next reading, so a restart resumes the sequential test where it stopped.
 */

const decision = z.enum(['open', 'healthy', 'unhealthy']);
export type Decision = z.infer<typeof decision>;

const errorRateEvidence = z.object({
  kind: z.literal('error_rate'),
  requests: z.number().nonnegative(),
  errors: z.number().nonnegative(),
  baselineRequests: z.number().nonnegative(),
  baselineErrors: z.number().nonnegative(),
  intervals: z.number().int().nonnegative(),
  /** Canary against the baseline's error rate. */
  ratio: decision,
  /** Canary against the check's absolute `max`. */
  ceiling: decision,
});

const latencyEvidence = z.object({
  kind: z.literal('latency'),
  canary: z.array(z.number()),
  baseline: z.array(z.number()),
});

const checkEvidence = z.discriminatedUnion('kind', [errorRateEvidence, latencyEvidence]);

export const healthEvidenceSchema = z.object({
  v: z.literal(1),
  canary: z.string(),
  baseline: z.string().nullable(),
  weight: z.number(),
  /** The end of the last window counted (ISO 8601): a later reading starts no earlier, so nothing counts twice. */
  until: z.string().optional(),
  /** Where this stage's first window began (ISO 8601): at 100% the baseline is measured up to there. */
  stageFrom: z.string().optional(),
  checks: z.record(z.string(), checkEvidence),
});

export type ErrorRateEvidence = z.infer<typeof errorRateEvidence>;
export type LatencyEvidence = z.infer<typeof latencyEvidence>;
export type CheckEvidence = z.infer<typeof checkEvidence>;
export type HealthEvidence = z.infer<typeof healthEvidenceSchema>;

export interface EvidenceScope {
  canary: string;
  baseline: string | null;
  weight: number;
}

/**
 * The evidence to continue from: the stored one when it was gathered for the same canary, baseline and
 * weight; a fresh start for another canary or baseline.
 */
export function resumeEvidence(stored: unknown, scope: EvidenceScope): HealthEvidence {
  const parsed = healthEvidenceSchema.safeParse(stored);
  if (!parsed.success || parsed.data.canary !== scope.canary || parsed.data.baseline !== scope.baseline) return { v: 1, ...scope, checks: {} };
  if (parsed.data.weight === scope.weight) return parsed.data;
  return restartedEvidence(parsed.data, scope) ?? { v: 1, ...scope, checks: {} };
}

/**
 * Evidence for a new test of the same canary: what was measured of the canary starts afresh (and so
 * does every decision), what was measured of the baseline carries over. A new stage starts so, and so
 * does the watch after 100%, where the baseline serves nothing and its earlier measurement is all
 * there is to compare with.
 */
export function restartedEvidence(stored: unknown, scope?: EvidenceScope): HealthEvidence | null {
  const parsed = healthEvidenceSchema.safeParse(stored);
  if (!parsed.success) return null;
  const { canary, baseline, weight } = scope ?? parsed.data;
  const checks: Record<string, CheckEvidence> = {};
  for (const [name, evidence] of Object.entries(parsed.data.checks)) {
    if (evidence.kind === 'latency') {
      checks[name] = { kind: 'latency', canary: [], baseline: evidence.baseline };
      continue;
    }
    checks[name] = {
      kind: 'error_rate',
      requests: 0,
      errors: 0,
      baselineRequests: evidence.baselineRequests,
      baselineErrors: evidence.baselineErrors,
      intervals: 0,
      ratio: 'open',
      ceiling: 'open',
    };
  }
  return {
    v: 1,
    canary,
    baseline,
    weight,
    ...(parsed.data.until !== undefined ? { until: parsed.data.until } : {}),
    ...(scope === undefined && parsed.data.stageFrom !== undefined ? { stageFrom: parsed.data.stageFrom } : {}),
    checks,
  };
}
