import { expect, it } from 'vitest';
import { runKillMidCallTrials } from '../faults/support/kill-mid-call-trials.js';

/**
 * The bounded CI part of the mid-call kill trials (the full run is test/faults/kill-mid-call.test.ts):
 * a real app process killed while its provision, traffic and rollback calls are in flight, then
 * restarted; the new process sends each held call again and the release finishes, each step once.
 */
it('kill -9 during an infra call, a traffic call and a rollback call: resumed after the restart, each step once', async () => {
  const report = await runKillMidCallTrials({ trials: 4, rollbackEvery: 4 });
  expect(report.map((trial) => trial.held)).toEqual(['provision', 'traffic 10%', 'traffic 100%', 'rollback traffic']);
  expect(report.flatMap((trial) => trial.problems.map((problem) => `${trial.service} (${trial.held}): ${problem}`))).toEqual([]);
  expect(report.map((trial) => trial.finalStatus)).toEqual(['succeeded', 'succeeded', 'succeeded', 'rolled_back']);
}, 420_000);
