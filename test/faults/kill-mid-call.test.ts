import { expect, it } from 'vitest';
import { percentile } from '../../bench/support/stats.js';
import { runKillMidCallTrials } from './support/kill-mid-call-trials.js';

/**
 * Issue 16.2, the full run: kill -9 while a traffic or infra call is in flight, FAULTS_MID_CALL_TRIALS
 * times (default 32, a quarter of them during a rollback's traffic call), then a restart. Every
 * step exactly once; the figures (restart → the held call resent → the next step) go to
 * BENCHMARKS.md, "Resume after a crash mid-call".
 */
const trials = Number(process.env.FAULTS_MID_CALL_TRIALS ?? '32');

it(`kill -9 mid-call, ${trials} times: the restarted process resumes the call within seconds, each step once`, async () => {
  const report = await runKillMidCallTrials({ trials, log: (line) => console.log(line) });
  const nextStep = report.map((trial) => trial.restartToNextStepMs).filter((value): value is number => value !== null);
  const resumed = report.map((trial) => trial.restartToResumedCallMs).filter((value): value is number => value !== null);
  const ready = report.map((trial) => trial.restartToReadyMs);
  const rollbacks = report.filter((trial) => trial.held === 'rollback traffic').map((trial) => trial.restartToResumedCallMs).filter((value): value is number => value !== null);
  console.log(
    `kill mid-call summary: ${report.length} trials, ${report.filter((trial) => trial.problems.length === 0).length} exactly once; ` +
      `restart→ready p50 ${percentile(ready, 50)} ms, p99 ${percentile(ready, 99)} ms; restart→call resent p50 ${percentile(resumed, 50)} ms, p99 ${percentile(resumed, 99)} ms, max ${Math.max(...resumed)} ms; ` +
      `restart→next step p50 ${percentile(nextStep, 50)} ms, p99 ${percentile(nextStep, 99)} ms, max ${Math.max(...nextStep)} ms; ` +
      `rollback traffic restored after restart: ${rollbacks.length} trials, max ${Math.max(...rollbacks)} ms`,
  );
  expect(report.flatMap((trial) => trial.problems.map((problem) => `${trial.service} (${trial.held}): ${problem}`))).toEqual([]);
}, 120_000 + trials * 90_000);
