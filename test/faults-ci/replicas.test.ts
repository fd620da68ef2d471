import { expect, it } from 'vitest';
import { runReplicaTrial } from '../faults/support/replica-trials.js';

/** Bounded CI part of the replica trial (full run: 3 replicas × 200 releases in test/faults). */
const replicas = Number(process.env.FAULTS_REPLICAS ?? '2');
const releases = Number(process.env.FAULTS_REPLICA_RELEASES ?? '20');

it(`${replicas} real replicas on one Postgres run ${releases} releases, each step exactly once`, async () => {
  const report = await runReplicaTrial({ replicas, releases });
  console.log(`replicas: ${report.replicas} × ${report.releases} releases, ${report.finished} succeeded in ${report.wallMs} ms, ${report.redeliveries} redeliveries, ${report.problems.length} problems`);
  expect(report.problems).toEqual([]);
  expect(report.finished).toBe(releases);
}, 420_000);
