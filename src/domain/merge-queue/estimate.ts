/**
 * Estimated merge times for the queue view. A cycle is one validation round (update or batch build,
 * CI, merge); an entry at position p (1-based) merges after ceil(p / batchSize) cycles, less the part
 * of the current cycle already spent.
 */
export interface EstimateInput {
  positions: number;
  batchSize: number;
  /** Typical length of a cycle, from recent merges or the configured default. */
  cycleMs: number;
  /** When the cycle at the front started, if one is running. */
  frontStartedAt: Date | null;
  now: Date;
}

export function estimateMergeTimes(input: EstimateInput): Date[] {
  const spent = input.frontStartedAt ? Math.max(0, input.now.getTime() - input.frontStartedAt.getTime()) : 0;
  const firstCycleLeft = Math.max(input.cycleMs - spent, Math.min(60_000, input.cycleMs));
  const times: Date[] = [];
  for (let position = 1; position <= input.positions; position++) {
    const cycles = Math.ceil(position / Math.max(1, input.batchSize));
    times.push(new Date(input.now.getTime() + firstCycleLeft + (cycles - 1) * input.cycleMs));
  }
  return times;
}

/** The median of recent cycle durations, or the default when there is no history yet. */
export function typicalCycleMs(recentDurationsMs: readonly number[], defaultMs: number): number {
  if (recentDurationsMs.length === 0) return defaultMs;
  const sorted = [...recentDurationsMs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
