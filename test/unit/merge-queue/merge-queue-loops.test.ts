import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { MergeQueueLoops } from '../../../src/app/github/merge-queue-parts.js';
import { systemClock } from '../../../src/ports/clock.js';

/** Resolves when `ready()` holds, polling with a deadline (no guessed sleep). */
async function until(ready: () => boolean, deadlineMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!ready()) {
    if (Date.now() - started > deadlineMs) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('MergeQueueLoops', () => {
  it('keeps reconciling on its own timer while a tick is stuck, and a recorded delivery is processed without waiting for the next beat', async () => {
    const counts = { reconcile: 0, deliveries: 0, ticks: 0 };
    let releaseTick: () => void = () => {};
    let tickStuck = true;
    const queue = {
      reconcile: async () => void counts.reconcile++,
      processDeliveries: async () => (counts.deliveries++, 0),
      runEffects: async () => 0,
      tick: async () => {
        counts.ticks++;
        if (tickStuck) await new Promise<void>((resolve) => (releaseTick = resolve));
      },
    };
    const loops = new MergeQueueLoops(queue, systemClock, pino({ level: 'silent' }), { tickEveryMs: 3_600_000, reconcileEveryMs: 10 });
    const running = loops.start();
    // The first tick hangs (a slow GitHub); reconciles go on regardless.
    await until(() => counts.ticks === 1 && counts.reconcile >= 3);
    expect(counts.deliveries).toBe(1);

    tickStuck = false;
    releaseTick();
    // The work loop now waits an hour for its next beat; a recorded delivery wakes it at once.
    await until(() => counts.ticks === 1);
    loops.wake();
    await until(() => counts.deliveries === 2 && counts.ticks === 2);
    await running.stop();
  });
});
