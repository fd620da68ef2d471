import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { OUTBOX_LANES, type Engine, type OutboxLane } from '../services/engine.js';

export interface SchedulerOptions {
  /** Six-field cron (with seconds) for release ticks and each outbox lane. */
  every?: string;
}

/**
 * node-cron only ticks: every timer lives in the database (releases.next_tick_at,
 * outbox.next_attempt_at), so a restarted or extra replica picks up where the others are. Each lane
 * has its own task, so a slow Slack never holds up a traffic call; a tick still running when the
 * next fires is skipped rather than stacked.
 */
export function startScheduler(engine: Engine, logger: Logger, options: SchedulerOptions = {}): { stop(): Promise<void> } {
  const every = options.every ?? '*/2 * * * * *';
  const guarded = (name: string, work: () => Promise<unknown>) => {
    let busy = false;
    return schedule(
      every,
      async () => {
        if (busy) return;
        busy = true;
        try {
          await work();
        } catch (error) {
          logger.error({ err: error, task: name }, 'scheduled run failed');
        } finally {
          busy = false;
        }
      },
      { name: `durable-delivery-${name}`, noOverlap: true },
    );
  };
  const tasks: ScheduledTask[] = [
    guarded('tick', () => engine.tick()),
    ...OUTBOX_LANES.map((lane: OutboxLane) =>
      guarded(`outbox-${lane}`, async () => {
        // Drain what is due now, in batches, before the next beat.
        for (let round = 0; round < 10; round += 1) if ((await engine.runOutbox(lane)) === 0) break;
      }),
    ),
  ];
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.all(tasks.map((task) => task.destroy()));
      await engine.stop();
    },
  };
}
