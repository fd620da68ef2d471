import { expect, it } from 'vitest';
import { runReplicaTrial } from './support/replica-trials.js';

/** The full replica trial of issue #7: 3 real app processes, 200 releases, exactly once from the event log. */
const replicas = Number(process.env.FAULTS_REPLICAS ?? '3');
const releases = Number(process.env.FAULTS_REPLICA_RELEASES ?? '200');

it(`${replicas} real replicas on one Postgres run ${releases} releases, each step exactly once`, async () => {
  const report = await runReplicaTrial({ replicas, releases, timeoutMs: 900_000 });
  console.log(`replicas: ${report.replicas} × ${report.releases} releases, ${report.finished} succeeded in ${report.wallMs} ms, ${report.redeliveries} redeliveries, ${report.problems.length} problems`);
  expect(report.problems).toEqual([]);
  expect(report.finished).toBe(releases);
}, 1_200_000);
