import type { TrafficChange, TrafficOutcome, Weights } from '../../ports/traffic.js';

/** The JSON a webhook receiver or a command gets for a traffic change (docs/webhooks.md). */
export function trafficPayload(change: TrafficChange) {
  return {
    type: 'traffic.set_weights' as const,
    service: change.target.service,
    environment: change.target.environment,
    weights: change.weights,
    releaseId: change.releaseId,
    idempotencyKey: change.idempotencyKey,
  };
}

/**
 * Checks the weights a receiver says are now in effect against the ones asked for. A receiver that
 * says nothing leaves the change applied but unverified.
 */
export function verifyReportedWeights(requested: Weights, answer: unknown): TrafficOutcome {
  const reported = typeof answer === 'object' && answer !== null && 'weights' in answer ? (answer as { weights: unknown }).weights : undefined;
  if (typeof reported !== 'object' || reported === null) {
    return { kind: 'applied', verified: false, detail: 'the receiver did not report the weights in effect' };
  }
  const actual = reported as Record<string, unknown>;
  const ids = new Set([...Object.keys(requested), ...Object.keys(actual)]);
  for (const id of ids) {
    const want = requested[id] ?? 0;
    const got = typeof actual[id] === 'number' ? (actual[id] as number) : 0;
    // Routers round (nginx to integer weights); half a percent is the same split.
    if (Math.abs(want - got) > 0.5) {
      return { kind: 'failed', retryable: false, reason: `the receiver reports ${formatWeights(actual)} instead of ${formatWeights(requested)}` };
    }
  }
  return { kind: 'applied', verified: true, detail: `the receiver confirmed ${formatWeights(requested)}` };
}

export function formatWeights(weights: Record<string, unknown>): string {
  return Object.entries(weights)
    .map(([id, pct]) => `${id} ${String(pct)}%`)
    .join(', ');
}
