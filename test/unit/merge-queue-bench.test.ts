import { describe, expect, it } from 'vitest';
import { formatMergeQueueBench, formatMergeQueueGitHubBench, runMergeQueueBench, runMergeQueueGitHubBench } from '../../bench/merge-queue.js';

describe('merge queue benchmark (virtual time)', () => {
  it('keeps the base green in every mode and ejects exactly the failing pull requests', async () => {
    const result = await runMergeQueueBench({ pullRequests: 40, seed: 7 });
    expect(result.modes.map((mode) => mode.mode)).toContain('serial FIFO');
    for (const mode of result.modes) {
      expect(mode.baseNeverRed).toBe(true);
      expect(mode.ejectedExactlyTheBadOnes).toBe(true);
      expect(mode.merged + mode.ejected).toBe(40);
    }
    // Batching with speculation out-merges serial FIFO on the same day.
    const serial = result.modes[0]!;
    const speculative = result.modes.find((mode) => mode.speculativeBatches > 1)!;
    expect(speculative.p95TimeToMergeMinutes).toBeLessThan(serial.p95TimeToMergeMinutes);
    expect(formatMergeQueueBench(result)).toContain('| serial FIFO |');
  });

  it('against the stateful GitHub fake, batches of 4 merge ≥ 3× serial per (virtual) hour with ≤ 0.5 CI runs per merged PR, never red', async () => {
    const modes = await runMergeQueueGitHubBench({ pullRequests: 8 });
    const serial = modes.find((mode) => mode.batchSize === 1)!;
    const batched = modes.find((mode) => mode.batchSize === 4)!;
    expect(serial.merged).toBe(8);
    expect(batched.merged).toBe(8);
    expect(batched.mergesPerHour).toBeGreaterThanOrEqual(3 * serial.mergesPerHour);
    expect(batched.ciRunsPerMergedPr).toBeLessThanOrEqual(0.5);
    expect(serial.ciRunsPerMergedPr).toBe(1);
    for (const mode of modes) {
      expect(mode.baseNeverRed).toBe(true);
      expect(mode.violations).toBe(0);
    }
    expect(formatMergeQueueGitHubBench(modes)).toContain('| batches of 4 |');
  }, 240_000);
});
