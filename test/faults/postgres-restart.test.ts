import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect, it } from 'vitest';
import { benchServiceName, exactlyOnceProblems, openAppWorld, releaseOf, waitUntil } from './support/app-world.js';

/**
 * Postgres restarted in the middle of a release (issue #7): the app's pool loses every connection,
 * reconnects, and the release carries on to the end with each transition and effect once. It
 * restarts the machine's local cluster, so it belongs to the full fault run, not to `npm test`.
 */
function restartLocalPostgres(): void {
  const [version] = readdirSync('/etc/postgresql');
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version!, 'main', 'restart'], { stdio: 'ignore' });
  execFileSync('pg_isready', ['-h', '127.0.0.1', '-p', '5432', '-t', '30'], { stdio: 'ignore' });
}

it('carries a release to the end, exactly once, across a Postgres restart', async () => {
  const world = await openAppWorld({ services: 2, bakeSeconds: 4 });
  try {
    const app = await world.spawnApp();
    const service = benchServiceName(0);
    await world.deploy(app, service);
    const release = await waitUntil(async () => {
      const current = await releaseOf(world.database, service);
      return current && current.status === 'running' ? current : undefined;
    }, 30_000);
    expect(release).toBeDefined();

    restartLocalPostgres();

    const finished = await waitUntil(async () => {
      const current = await releaseOf(world.database, service).catch(() => undefined);
      return current && ['succeeded', 'rolled_back', 'aborted'].includes(current.status) ? current : undefined;
    }, 120_000, 250);
    expect(finished?.status).toBe('succeeded');
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const { problems } = await exactlyOnceProblems(world, release!.id);
    expect(problems).toEqual([]);
    // The same process carried on: it reconnected rather than crashing and being replaced.
    const stillRunning = await Promise.race([app.exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 200))]);
    expect(stillRunning).toBe(true);
  } finally {
    await world.close();
  }
}, 300_000);
