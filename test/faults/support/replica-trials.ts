import { benchServiceName, exactlyOnceProblems, openAppWorld, releaseOf, waitUntil, type AppProcess } from './app-world.js';

/**
 * Several real app processes on one Postgres, each deploying a share of the releases and all of
 * them ticking and draining the outbox: every release must finish with each transition and effect
 * exactly once, read from the event log, the outbox and the receiver's record.
 */

export interface ReplicaReport {
  replicas: number;
  releases: number;
  finished: number;
  wallMs: number;
  problems: string[];
  redeliveries: number;
}

const FINISHED = ['succeeded', 'rolled_back', 'aborted'];

export async function runReplicaTrial(options: { replicas: number; releases: number; timeoutMs?: number }): Promise<ReplicaReport> {
  const world = await openAppWorld({ services: options.releases });
  const apps: AppProcess[] = [];
  const started = Date.now();
  try {
    for (let index = 0; index < options.replicas; index += 1) apps.push(await world.spawnApp());
    for (let index = 0; index < options.releases; index += 1) await world.deploy(apps[index % apps.length]!, benchServiceName(index));
    const services = Array.from({ length: options.releases }, (_, index) => benchServiceName(index));
    const done = await waitUntil(async () => {
      for (const service of services) {
        const release = await releaseOf(world.database, service);
        if (!release || !FINISHED.includes(release.status)) return undefined;
      }
      return true;
    }, options.timeoutMs ?? 300_000, 500);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const problems: string[] = [];
    let redeliveries = 0;
    let finished = 0;
    for (const service of services) {
      const release = await releaseOf(world.database, service);
      if (!release) {
        problems.push(`${service}: no release was created`);
        continue;
      }
      if (release.status === 'succeeded') finished += 1;
      else problems.push(`${service}: ${release.status}`);
      const checked = await exactlyOnceProblems(world, release.id);
      redeliveries += checked.redeliveries;
      problems.push(...checked.problems.map((problem) => `${service}: ${problem}`));
    }
    if (!done) problems.push(`not every release finished within ${(options.timeoutMs ?? 300_000) / 1000} s`);
    return { replicas: options.replicas, releases: options.releases, finished, wallMs: Date.now() - started, problems, redeliveries };
  } finally {
    await Promise.allSettled(apps.map((app) => app.kill9()));
    await world.close();
  }
}
