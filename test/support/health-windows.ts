import type { ManualClock } from '../../src/ports/clock.js';
import type { HealthProbe, HealthProbeRequest, HealthReading } from '../../src/ports/health.js';

/**
 * Reads a health probe as the engine does: one window per interval, each starting where the last
 * ended, and the evidence carried from one reading to the next as the store keeps it (JSON). Each
 * call advances `clock` by the interval and answers that window's reading.
 */
export function readEachInterval(probe: HealthProbe, clock: ManualClock, intervalSeconds: number): (request: Omit<HealthProbeRequest, 'window' | 'evidence'>) => Promise<HealthReading> {
  let from = clock.now();
  let evidence: unknown = null;
  return async (request) => {
    const to = clock.advance(intervalSeconds * 1000);
    const reading = await probe.read({ ...request, window: { from, to }, evidence });
    from = to;
    evidence = JSON.parse(JSON.stringify(reading.evidence));
    return reading;
  };
}
