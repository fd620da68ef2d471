import { expect, it } from 'vitest';
import { startScheduler } from '../../../src/app/scheduler.js';
import type { Engine, OutboxLane } from '../../../src/services/engine.js';
import { silentLogger } from '../../support/fakes/engine-harness.js';

/** A beat that never comes within a test: whatever runs, runs because a timer or a start asked. */
const ONCE_A_YEAR = '0 0 0 1 1 *';

function fakeEngine(due: () => { tick: Date | null; lanes: Record<OutboxLane, Date | null> }, runLane: (lane: OutboxLane) => Promise<number> = async () => 0) {
  const ticks: number[] = [];
  const lanes: OutboxLane[] = [];
  const activityListeners: Array<() => void> = [];
  let stopped = false;
  let looks = 0;
  const engine = {
    tick: async () => ticks.push(Date.now()),
    runOutbox: async (lane: OutboxLane) => {
      lanes.push(lane);
      return runLane(lane);
    },
    nextDue: async () => {
      looks += 1;
      return due();
    },
    onActivity: (listener: () => void) => activityListeners.push(listener),
    stop: async () => {
      stopped = true;
    },
  } as unknown as Engine;
  /** What an input handled here does after its lanes ran (engine.kick). */
  const activity = () => activityListeners.forEach((listener) => listener());
  return { engine, ticks, lanes, activity, looks: () => looks, stopped: () => stopped };
}

const nothingDue = () => ({ tick: null, lanes: { critical: null, health: null, chat: null } });

it('only ticks: each beat advances releases and drains every outbox lane, until stopped', async () => {
  const fake = fakeEngine(nothingDue);
  const scheduler = startScheduler(fake.engine, silentLogger, { every: '* * * * * *' });
  // The start-up run plus at least one beat.
  while (fake.ticks.length < 2 || new Set(fake.lanes).size < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  await scheduler.stop();
  expect(new Set(fake.lanes)).toEqual(new Set(['critical', 'health', 'chat']));
  expect(fake.stopped()).toBe(true);
  const seen = fake.ticks.length;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect(fake.ticks.length).toBe(seen);
}, 30_000);

it('runs what is due at start at once, and wakes for a persisted timer between beats', async () => {
  // A release timer 300 ms from now and a chat retry 400 ms from now; no beat within the test.
  const start = Date.now();
  const tickAt = new Date(start + 300);
  const chatAt = new Date(start + 400);
  const chatRunsAt: number[] = [];
  // Each timer stays due until its work has run at or after it, as the engine's own timers do (not
  // for a guessed while: on a busy machine the look after the tick can come late).
  const fake = fakeEngine(
    () => ({
      tick: fake.ticks.some((at) => at >= tickAt.getTime()) ? null : tickAt,
      lanes: { critical: null, health: null, chat: chatRunsAt.some((at) => at >= chatAt.getTime()) ? null : chatAt },
    }),
    async (lane) => {
      if (lane === 'chat') chatRunsAt.push(Date.now());
      return 0;
    },
  );
  const scheduler = startScheduler(fake.engine, silentLogger, { every: ONCE_A_YEAR });
  try {
    // The start-up run: one tick and one run of each lane, without any beat.
    while (fake.ticks.length < 1 || new Set(fake.lanes).size < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    const chatRunsAtStart = fake.lanes.filter((lane) => lane === 'chat').length;
    // The wake-up for the release timer and for the chat retry: again without a beat.
    while (fake.ticks.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    while (fake.lanes.filter((lane) => lane === 'chat').length <= chatRunsAtStart) await new Promise((resolve) => setTimeout(resolve, 10));
    // Woken for a timer, not before it.
    expect(fake.ticks[1]).toBeGreaterThanOrEqual(tickAt.getTime());
  } finally {
    await scheduler.stop();
  }
}, 30_000);

it('a timer its lane cannot take (a row queued behind one still running) wakes the lane once, not over and over, until something happens here', async () => {
  // A chat row due a second ago that no claim takes: the fake lane runs nothing.
  const blocked = new Date(Date.now() - 1_000);
  const fake = fakeEngine(() => ({ tick: null, lanes: { critical: null, health: null, chat: blocked } }));
  const chatRuns = () => fake.lanes.filter((lane) => lane === 'chat').length;
  const scheduler = startScheduler(fake.engine, silentLogger, { every: ONCE_A_YEAR });
  try {
    while (chatRuns() < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    // Left alone for a second, with no beat: the row that stays due makes no further runs (before,
    // the wake-up timer fired at once after each empty run, hundreds of times a second).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const runs = chatRuns();
    expect(runs).toBeLessThanOrEqual(2);
    // An input handled here ran its lanes: what was blocked may be free, so the lane looks again.
    fake.activity();
    while (chatRuns() <= runs) await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    await scheduler.stop();
  }
}, 30_000);

it('a lane still running is not woken for the rows due behind its run: it looks again when the run ends', async () => {
  // A chat row due now, and a chat run that takes as long as the test says (a post paced by Slack).
  const due = new Date(Date.now() - 1_000);
  let finishRun: (ran: number) => void = () => {};
  const fake = fakeEngine(
    () => ({ tick: null, lanes: { critical: null, health: null, chat: due } }),
    (lane) => (lane === 'chat' ? new Promise<number>((resolve) => (finishRun = resolve)) : Promise.resolve(0)),
  );
  const chatRuns = () => fake.lanes.filter((lane) => lane === 'chat').length;
  const scheduler = startScheduler(fake.engine, silentLogger, { every: ONCE_A_YEAR });
  try {
    while (chatRuns() < 1) await new Promise((resolve) => setTimeout(resolve, 10));
    const looks = fake.looks();
    // For a second the run goes on: the due row wakes no new run, and the store is read only as the
    // other start-up runs end (before, the wake-up timer read it hundreds of times a second).
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(fake.looks() - looks).toBeLessThanOrEqual(5);
    expect(chatRuns()).toBe(1);
    // The run ends having done something: the lane runs again for what is still due.
    finishRun(1);
    while (chatRuns() < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  } finally {
    finishRun(0);
    await scheduler.stop();
  }
}, 30_000);
