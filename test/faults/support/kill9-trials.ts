import { sql } from 'drizzle-orm';
import { queryRows } from '../../../src/store/db.js';
import { benchServiceName, exactlyOnceProblems, openAppWorld, releaseOf, waitUntil, type AppProcess } from './app-world.js';
import { mulberry32 } from '../../../src/adapters/fleet/prng.js';

/**
 * kill -9 of a real app process at a random moment of a release, then a restart: the release must
 * finish with every transition and every effect exactly once (see exactlyOnceProblems). The moment
 * is drawn uniformly over the first `windowMs` after the release exists (a release here takes
 * ~6–10 s: 2 s bakes, 2 s cron beats), so kills land in provisioning, shifting, baking and finishing.
 */

export interface Kill9Trial {
  service: string;
  releaseId: string;
  killAfterMs: number;
  /** What the release was doing when the process died. */
  statusAtKill: string;
  transitionsAtKill: number;
  restartToReadyMs: number;
  /** Restart → the first transition after it (null when the release had already finished). */
  restartToProgressMs: number | null;
  finalStatus: string;
  problems: string[];
  redeliveries: number;
}

export interface Kill9Report {
  seed: number;
  trials: Kill9Trial[];
}

async function transitionCount(world: Awaited<ReturnType<typeof openAppWorld>>, releaseId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(world.database.db, sql`SELECT count(*)::int AS n FROM release_events WHERE release_id = ${releaseId} AND kind = 'transition'`);
  return Number(row?.n ?? 0);
}

const FINISHED = ['succeeded', 'rolled_back', 'aborted'];

export async function runKill9Trials(options: { trials: number; seed?: number; windowMs?: number; log?: (line: string) => void }): Promise<Kill9Report> {
  const seed = options.seed ?? Date.now() % 1_000_000;
  const random = mulberry32(seed);
  const windowMs = options.windowMs ?? 9_000;
  const world = await openAppWorld({ services: options.trials });
  const trials: Kill9Trial[] = [];
  let app: AppProcess | undefined;
  try {
    app = await world.spawnApp();
    for (let index = 0; index < options.trials; index += 1) {
      const service = benchServiceName(index);
      await world.deploy(app, service);
      const release = await waitUntil(() => releaseOf(world.database, service), 15_000);
      if (!release) throw new Error(`the release of ${service} was never created`);
      const killAfterMs = Math.floor(random() * windowMs);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      await app.kill9();
      const atKill = (await releaseOf(world.database, service))!;
      const transitionsAtKill = await transitionCount(world, release.id);

      const restartedAt = Date.now();
      app = await world.spawnApp();
      const restartToReadyMs = Date.now() - restartedAt;
      let restartToProgressMs: number | null = null;
      if (!FINISHED.includes(atKill.status)) {
        const progressed = await waitUntil(async () => ((await transitionCount(world, release.id)) > transitionsAtKill ? true : undefined), 60_000, 50);
        restartToProgressMs = progressed ? Date.now() - restartedAt : null;
      }
      const finished = await waitUntil(async () => {
        const current = await releaseOf(world.database, service);
        return current && FINISHED.includes(current.status) ? current : undefined;
      }, 90_000);
      // Effects still in flight after the last transition (retiring the old set) settle shortly after.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { problems, redeliveries } = await exactlyOnceProblems(world, release.id);
      if (!finished) problems.push(`not finished 90 s after the restart (status ${(await releaseOf(world.database, service))?.status ?? '?'})`);
      else if (finished.status !== 'succeeded') problems.push(`finished ${finished.status}, expected succeeded`);
      const trial: Kill9Trial = {
        service,
        releaseId: release.id,
        killAfterMs,
        statusAtKill: atKill.status,
        transitionsAtKill,
        restartToReadyMs,
        restartToProgressMs,
        finalStatus: finished?.status ?? 'unfinished',
        problems,
        redeliveries,
      };
      trials.push(trial);
      options.log?.(`kill -9 trial ${index + 1}/${options.trials}: killed after ${killAfterMs} ms (${atKill.status}, ${transitionsAtKill} transitions); ready in ${restartToReadyMs} ms; progress after ${restartToProgressMs ?? '-'} ms; ${trial.finalStatus}; ${problems.length === 0 ? 'exactly once' : problems.join('; ')}`);
    }
    return { seed, trials };
  } finally {
    await app?.kill9();
    await world.close();
  }
}
