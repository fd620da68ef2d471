import { describe, expect, it } from 'vitest';
import { formatMergeQueueBench, runMergeQueueBench } from '../../bench/merge-queue.js';

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
});
