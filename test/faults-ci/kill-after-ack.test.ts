import { expect, it } from 'vitest';
import { runKillAfterAckTrials } from '../faults/support/kill-after-ack-trials.js';

/**
 * Issue 16.3: nothing acknowledged is lost. A real app process is killed 0–30 ms after it
 * acknowledged `/deploy`, then restarted: the deploy happens exactly once and the user hears of it.
 */
it('kill -9 right after the /deploy ack: the deploy still happens, exactly once, and the user hears', async () => {
  const trials = await runKillAfterAckTrials({ trials: 4, log: (line) => console.log(line) });
  expect(trials.flatMap((trial) => trial.problems.map((problem) => `${trial.service} (killed ${trial.killAfterAckMs} ms after the ack): ${problem}`))).toEqual([]);
  expect(trials.map((trial) => trial.releases)).toEqual([1, 1, 1, 1]);
}, 420_000);
