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
 * has its own task, so a slow Slack never holds up a traffic call; a beat that comes while a run
 * is still going is folded into one more run after it, never stacked.
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
  /**
   * Per task, when (clock time) its last run started if that run found nothing to do. A timer due
   * by then is one the run could not take — a row queued behind one still running, a release
   * another transaction holds — so it wakes nothing until this replica does something that may
   * free it (an input, a kicked lane) or the beat comes. Otherwise such a timer would wake its task
   * again at once, and again, for as long as it stays blocked.
   */
  const foundNothingAt = new Map<string, number>();
  /** Tasks running now: each looks again when its run ends, so its timers wake nothing meanwhile. */
  const running = new Set<string>();
  const wakes = (name: string, at: Date | null): at is Date => {
    if (at === null || running.has(name)) return false;
    const since = foundNothingAt.get(name);
    return since === undefined || at.getTime() > since;
  };

  /** Runs under way, which a stop waits for: each ends after the work it has begun. */
  const underWay = new Set<Promise<void>>();

  /** Runs `work` one at a time (a call while it runs runs it once more after); `work` answers how much it did. */
  const guard = (name: string, work: () => Promise<number>) => {
    let again = false;
    const tracked = (): Promise<void> => {
      const running = run();
      underWay.add(running);
      void running.finally(() => underWay.delete(running));
      return running;
    };
    const run = async (): Promise<void> => {
      if (stopped) return;
      if (running.has(name)) {
        again = true;
        return;
      }
      running.add(name);
      try {
        do {
          again = false;
          const startedAt = clock.now().getTime();
          if ((await work()) === 0) foundNothingAt.set(name, startedAt);
          else foundNothingAt.delete(name);
        } while (again && !stopped);
      } catch (error) {
        logger.error({ err: error, task: name }, 'scheduled run failed');
      } finally {
        running.delete(name);
      }
      wake.arm();
    };
    return tracked;
  };

  const tick = guard('tick', () => engine.tick());
  const lanes = Object.fromEntries(
    OUTBOX_LANES.map((lane: OutboxLane) => [
      lane,
      guard(`outbox-${lane}`, async () => {
        // Drain what is due now, in batches, before the next beat.
        let ran = 0;
        for (let round = 0; round < 10 && !stopped; round += 1) {
          const batch = await engine.runOutbox(lane);
          ran += batch;
          if (batch === 0) break;
        }
        return ran;
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
      if (wakes('tick', due.tick) && due.tick.getTime() <= now) void tick();
      for (const lane of OUTBOX_LANES) {
        const at = due.lanes[lane];
        if (wakes(`outbox-${lane}`, at) && at.getTime() <= now) void lanes[lane]();
      }
    };
    const arm = async () => {
      const due = await engine.nextDue();
      if (stopped) return;
      const now = clock.now().getTime();
      const times = [wakes('tick', due.tick) ? due.tick : null, ...OUTBOX_LANES.map((lane) => (wakes(`outbox-${lane}`, due.lanes[lane]) ? due.lanes[lane] : null))]
        .filter((at): at is Date => at !== null)
        .map((at) => at.getTime());
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

  // The beat only starts a run: `guard` keeps one run per task and folds a beat that comes during a
  // run into one more run after it. (node-cron's own noOverlap would drop that beat and print a
  // warning to stderr every time, which under load was every two seconds.)
  const tasks: ScheduledTask[] = [
    schedule(every, () => void tick(), { name: 'durable-delivery-tick' }),
    ...OUTBOX_LANES.map((lane) => schedule(every, () => void lanes[lane](), { name: `durable-delivery-outbox-${lane}` })),
  ];
  // Inputs handled here run their lanes at once; what they decided may be due before the beat, and
  // what the tasks found blocked may be free now.
  engine.onActivity(() => {
    foundNothingAt.clear();
    wake.arm();
  });
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
      // A run left going would write after the database has closed: an effect it ran would not be
      // marked done, and the next process would run it again.
      while (underWay.size > 0) await Promise.allSettled([...underWay]);
      await engine.stop();
    },
  };
}
