import { expect, it } from 'vitest';
import { startScheduler } from '../../../src/app/scheduler.js';
import type { Engine, OutboxLane } from '../../../src/services/engine.js';
import { silentLogger } from '../../support/fakes/engine-harness.js';

/** A beat that never comes within a test: whatever runs, runs because a timer or a start asked. */
const ONCE_A_YEAR = '0 0 0 1 1 *';

function fakeEngine(due: () => { tick: Date | null; lanes: Record<OutboxLane, Date | null> }) {
  const ticks: number[] = [];
  const lanes: OutboxLane[] = [];
  let stopped = false;
  const engine = {
    tick: async () => ticks.push(Date.now()),
    runOutbox: async (lane: OutboxLane) => {
      lanes.push(lane);
      return 0;
    },
    nextDue: async () => due(),
    onActivity: () => {},
    stop: async () => {
      stopped = true;
    },
  } as unknown as Engine;
  return { engine, ticks, lanes, stopped: () => stopped };
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
  const fake = fakeEngine(() => {
    const now = Date.now();
    return {
      tick: now < tickAt.getTime() + 50 ? tickAt : null,
      lanes: { critical: null, health: null, chat: now < chatAt.getTime() + 50 ? chatAt : null },
    };
  });
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
