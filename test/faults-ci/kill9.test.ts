import { expect, it } from 'vitest';
import { runKill9Trials } from '../faults/support/kill9-trials.js';

/**
 * The bounded CI part of the kill -9 fault trials (the full run, 100 trials, is test/faults):
 * real app processes on real Postgres, killed at a random moment of a release and restarted.
 */
const trials = Number(process.env.FAULTS_KILL9_TRIALS ?? '3');

it(`kill -9 at a random moment of a release, ${trials} times: every transition and effect exactly once`, async () => {
  const report = await runKill9Trials({ trials, log: (line) => console.log(line) });
  expect(report.trials).toHaveLength(trials);
  expect(report.trials.flatMap((trial) => trial.problems.map((problem) => `${trial.service} (seed ${report.seed}): ${problem}`))).toEqual([]);
  expect(report.trials.every((trial) => trial.finalStatus === 'succeeded')).toBe(true);
}, 60_000 + trials * 60_000);
