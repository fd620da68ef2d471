import { schedule, type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../ports/clock.js';
import { OUTBOX_LANES, type Engine, type OutboxLane } from '../services/engine.js';

export interface SchedulerOptions {
  /** Six-field cron (with seconds) of the safety-net beat for release ticks and each outbox lane. */
  every?: string;
  /** The engine's clock, against which the persisted timers are compared. */
  clock?: Clock;
  /** The longest a wake-up timer sleeps before it looks again (a timer written by another replica). */
  maxSleepMs?: number;
}

/**
 * node-cron only ticks: every timer lives in the database (releases.next_tick_at,
 * outbox.next_attempt_at), so a restarted or extra replica picks up where the others are. Each lane
 * has its own task, so a slow Slack never holds up a traffic call; a tick still running when the
 * next fires is skipped rather than stacked.
 *
 * The beat is the safety net, not the trigger: accepted inputs run their lanes in the same turn,
 * and a wake-up timer sleeps exactly until the earliest persisted timer (a health reading every
 * 3 s is taken every 3 s, not at the next multiple of the beat; a lease that ran out is retried
 * as it runs out). At start, everything already due runs at once.
 */
export function startScheduler(engine: Engine, logger: Logger, options: SchedulerOptions = {}): { stop(): Promise<void> } {
  const every = options.every ?? '*/2 * * * * *';
  const clock = options.clock ?? systemClock;
  const maxSleepMs = options.maxSleepMs ?? 5_000;
  let stopped = false;

  const guard = (name: string, work: () => Promise<unknown>) => {
    let busy = false;
    let again = false;
    const run = async (): Promise<void> => {
      if (stopped) return;
      if (busy) {
        again = true;
        return;
      }
      busy = true;
      try {
        do {
          again = false;
          await work();
        } while (again && !stopped);
      } catch (error) {
        logger.error({ err: error, task: name }, 'scheduled run failed');
      } finally {
        busy = false;
      }
      wake.arm();
    };
    return run;
  };

  const tick = guard('tick', () => engine.tick());
  const lanes = Object.fromEntries(
    OUTBOX_LANES.map((lane: OutboxLane) => [
      lane,
      guard(`outbox-${lane}`, async () => {
        // Drain what is due now, in batches, before the next beat.
        for (let round = 0; round < 10; round += 1) if ((await engine.runOutbox(lane)) === 0) break;
      }),
    ]),
  ) as Record<OutboxLane, () => Promise<void>>;

  /** One timer for the earliest persisted due time; re-armed after every run. */
  const wake = (() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let arming: Promise<void> | null = null;
    let rearm = false;
    const fire = (due: { tick: Date | null; lanes: Record<OutboxLane, Date | null> }) => {
      const now = clock.now().getTime();
      if (due.tick && due.tick.getTime() <= now) void tick();
      for (const lane of OUTBOX_LANES) {
        const at = due.lanes[lane];
        if (at && at.getTime() <= now) void lanes[lane]();
      }
    };
    const arm = async () => {
      const due = await engine.nextDue();
      if (stopped) return;
      const now = clock.now().getTime();
      const times = [due.tick, ...OUTBOX_LANES.map((lane) => due.lanes[lane])].filter((at): at is Date => at !== null).map((at) => at.getTime());
      if (timer) clearTimeout(timer);
      timer = null;
      if (times.length === 0) return;
      const sleep = Math.min(maxSleepMs, Math.max(0, Math.min(...times) - now));
      timer = setTimeout(() => {
        timer = null;
        if (stopped) return;
        engine
          .nextDue()
          .then((latest) => {
            fire(latest);
            // Nothing was due after all (another replica took it): look again.
            wake.arm();
          })
          .catch((error: unknown) => logger.warn({ err: error }, 'could not read the next due time'));
      }, sleep);
      timer.unref?.();
    };
    return {
      arm(): void {
        if (stopped) return;
        if (arming) {
          rearm = true;
          return;
        }
        arming = arm()
          .catch((error: unknown) => logger.warn({ err: error }, 'could not read the next due time'))
          .finally(() => {
            arming = null;
            if (rearm) {
              rearm = false;
              wake.arm();
            }
          });
      },
      stop(): void {
        if (timer) clearTimeout(timer);
        timer = null;
      },
    };
  })();

  const tasks: ScheduledTask[] = [
    schedule(every, () => tick(), { name: 'durable-delivery-tick', noOverlap: true }),
    ...OUTBOX_LANES.map((lane) => schedule(every, () => lanes[lane](), { name: `durable-delivery-outbox-${lane}`, noOverlap: true })),
  ];
  // Inputs handled here run their lanes at once; what they decided may be due before the beat.
  engine.onActivity(() => wake.arm());
  // A restart resumes at once: what the previous process left due (or in flight under a lease
  // that ran out) runs now, not at the first beat.
  void tick();
  for (const lane of OUTBOX_LANES) void lanes[lane]();

  return {
    async stop() {
      stopped = true;
      wake.stop();
      await Promise.all(tasks.map((task) => task.stop()));
      await Promise.all(tasks.map((task) => task.destroy()));
      await engine.stop();
    },
  };
}
