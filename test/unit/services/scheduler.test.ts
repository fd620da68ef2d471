import { expect, it } from 'vitest';
import { startScheduler } from '../../../src/app/scheduler.js';
import type { Engine, OutboxLane } from '../../../src/services/engine.js';
import { silentLogger } from '../../support/fakes/engine-harness.js';

it('only ticks: each beat advances releases and drains every outbox lane, until stopped', async () => {
  const ticks: number[] = [];
  const lanes: OutboxLane[] = [];
  let stopped = false;
  const engine = {
    tick: async () => ticks.push(1),
    runOutbox: async (lane: OutboxLane) => {
      lanes.push(lane);
      return 0;
    },
    stop: async () => {
      stopped = true;
    },
  } as unknown as Engine;
  const scheduler = startScheduler(engine, silentLogger, { every: '* * * * * *' });
  while (ticks.length === 0 || new Set(lanes).size < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  await scheduler.stop();
  expect(new Set(lanes)).toEqual(new Set(['critical', 'health', 'chat']));
  expect(stopped).toBe(true);
  const seen = ticks.length;
  await new Promise((resolve) => setTimeout(resolve, 1_100));
  expect(ticks.length).toBe(seen);
}, 30_000);
