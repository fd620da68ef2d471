import { sql } from 'drizzle-orm';
import { BENCH_DEVELOPER, BENCH_ENVIRONMENT } from '../../../bench/support/bench-config.js';
import { signedCommand } from '../../../bench/support/slack-requests.js';
import { queryRows } from '../../../src/store/db.js';
import { benchServiceName, exactlyOnceProblems, openAppWorld, releaseOf, waitUntil, type AppProcess } from './app-world.js';

/**
 * kill -9 of a real app process right after it acknowledged `/deploy` (0–30 ms after the 200),
 * then a restart: the acknowledged deploy must still happen, exactly once, and the user must hear
 * of it through the command's response_url (before the crash, or from the restarted process).
 */

export interface KillAfterAckTrial {
  service: string;
  killAfterAckMs: number;
  releases: number;
  finalStatus: string;
  /** What the user was told through the response_url, in order. */
  told: string[];
  problems: string[];
}

const FINISHED = ['succeeded', 'rolled_back', 'aborted'];

export async function runKillAfterAckTrials(options: { trials: number; log?: (line: string) => void }): Promise<KillAfterAckTrial[]> {
  const world = await openAppWorld({ services: options.trials, bakeSeconds: 1 });
  const trials: KillAfterAckTrial[] = [];
  let app: AppProcess | undefined;
  try {
    app = await world.spawnApp();
    for (let index = 0; index < options.trials; index += 1) {
      const service = benchServiceName(index);
      const killAfterAckMs = Math.round((30 * index) / Math.max(1, options.trials - 1));
      const trigger = `after-ack.${process.pid}.${Date.now()}.${index}`;
      const responsePath = `/response/${trigger}`;
      const command = signedCommand({ command: '/deploy', text: `${service}@v2 to ${BENCH_ENVIRONMENT}`, user: BENCH_DEVELOPER, triggerId: trigger, responseUrl: `${world.slack.url}${responsePath}` });
      const response = await fetch(`${app.ready.url}/slack/events`, { method: 'POST', headers: command.headers, body: command.body });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`/deploy answered ${response.status}`);
      if (killAfterAckMs > 0) await new Promise((resolve) => setTimeout(resolve, killAfterAckMs));
      await app.kill9();
      app = await world.spawnApp();

      const problems: string[] = [];
      const finished = await waitUntil(async () => {
        const current = await releaseOf(world.database, service);
        return current && FINISHED.includes(current.status) ? current : undefined;
      }, 60_000);
      const told = () => world.slack.responses.filter((entry) => entry.path === responsePath).map((entry) => (JSON.parse(entry.body) as { text?: string }).text ?? '');
      const heard = await waitUntil(async () => (told().some((text) => /Release `r\w+` planned|Already deploying/.test(text)) ? true : undefined), 30_000);
      const [count] = await queryRows<{ n: number }>(
        world.database.db,
        sql`SELECT count(*)::int AS n FROM releases WHERE state->'plan'->'environments'->0->'changes'->0->>'service' = ${service}`,
      );
      const releases = Number(count?.n ?? 0);
      if (releases !== 1) problems.push(`${releases} releases of ${service}, expected exactly 1`);
      if (!finished) problems.push('the acknowledged deploy never finished');
      else if (finished.status !== 'succeeded') problems.push(`finished ${finished.status}`);
      if (!heard) problems.push(`the user never heard of the release (told: ${JSON.stringify(told())})`);
      if (finished) problems.push(...(await exactlyOnceProblems(world, finished.id)).problems);
      const trial: KillAfterAckTrial = { service, killAfterAckMs, releases, finalStatus: finished?.status ?? 'unfinished', told: told(), problems };
      trials.push(trial);
      options.log?.(`kill ${killAfterAckMs} ms after the /deploy ack ${index + 1}/${options.trials}: ${releases} release(s), ${trial.finalStatus}; told ${JSON.stringify(trial.told)}; ${problems.length === 0 ? 'ok' : problems.join('; ')}`);
    }
    return trials;
  } finally {
    await app?.kill9();
    await world.close();
  }
}
