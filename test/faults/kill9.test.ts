import { expect, it } from 'vitest';
import { percentile } from '../../bench/support/stats.js';
import { runKill9Trials } from './support/kill9-trials.js';

/**
 * The full kill -9 trial of issue #7: 100 times, a real app process on real Postgres is killed at a
 * random moment of a release and restarted; 0 lost or doubled transitions and effects.
 * FAULTS_KILL9_TRIALS and FAULTS_SEED change the count and the draw.
 */
const trials = Number(process.env.FAULTS_KILL9_TRIALS ?? '100');
const seed = process.env.FAULTS_SEED ? Number(process.env.FAULTS_SEED) : undefined;

it(`kill -9 at a random moment of a release, ${trials} times: every transition and effect exactly once`, async () => {
  const report = await runKill9Trials({ trials, ...(seed === undefined ? {} : { seed }), log: (line) => console.log(line) });
  const resumes = report.trials.map((trial) => trial.restartToProgressMs).filter((value): value is number => value !== null);
  const ready = report.trials.map((trial) => trial.restartToReadyMs);
  console.log(
    `kill -9 summary (seed ${report.seed}): ${report.trials.length} trials, ${report.trials.filter((trial) => trial.problems.length === 0).length} exactly once; ` +
      `restart→ready p50 ${percentile(ready, 50)} ms, max ${Math.max(...ready)} ms; restart→next transition p50 ${percentile(resumes, 50)} ms, max ${Math.max(...resumes)} ms; ` +
      `${report.trials.reduce((sum, trial) => sum + trial.redeliveries, 0)} webhook redeliveries (same key)`,
  );
  expect(report.trials.flatMap((trial) => trial.problems.map((problem) => `${trial.service}: ${problem}`))).toEqual([]);
}, 120_000 + trials * 90_000);
