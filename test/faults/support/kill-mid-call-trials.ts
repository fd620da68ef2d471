import { sql } from 'drizzle-orm';
import { BENCH_DEVELOPER, BENCH_ENVIRONMENT } from '../../../bench/support/bench-config.js';
import { signedCommand } from '../../../bench/support/slack-requests.js';
import type { RecordedWebhook } from '../../../bench/support/webhook-recorder.js';
import { queryRows } from '../../../src/store/db.js';
import { benchServiceName, exactlyOnceProblems, openAppWorld, releaseOf, waitUntil, type AppProcess, type AppWorld } from './app-world.js';

/**
 * kill -9 of a real app process while a traffic or infra call is in flight (the receiver holds the
 * request unanswered), then a restart. The dead process's claim on the call must pass to the new
 * one within seconds (a short lease its heartbeat renewed, now unrenewed), not after a long lease:
 * the call is sent again under the same idempotency key and the release goes on, each step once.
 * Every `rollbackEvery`-th trial kills during the rollback's traffic call instead.
 */

export type HeldCall = 'provision' | 'traffic 10%' | 'traffic 100%' | 'rollback traffic';

export interface MidCallTrial {
  service: string;
  releaseId: string;
  held: HeldCall;
  restartToReadyMs: number;
  /** Restart → the held call sent again by the new process (the in-flight effect resumed). */
  restartToResumedCallMs: number | null;
  /** Restart → the next transition of the release (its next step). */
  restartToNextStepMs: number | null;
  finalStatus: string;
  problems: string[];
}

const FINISHED = ['succeeded', 'rolled_back', 'aborted'];
const FORWARD: HeldCall[] = ['provision', 'traffic 10%', 'traffic 100%'];

function matchesHeld(held: HeldCall, service: string, call: RecordedWebhook): boolean {
  if (call.body.service !== service) return false;
  const weights = Object.entries((call.body.weights as Record<string, number> | undefined) ?? {});
  // The seeded set (v1) serves before the release; the release's own set is the other one.
  const seed = weights.find(([id]) => id.startsWith('is-seed-'))?.[1] ?? 0;
  const fresh = weights.find(([id]) => !id.startsWith('is-seed-'))?.[1] ?? 0;
  switch (held) {
    case 'provision':
      return call.path === '/infra' && call.body.type === 'infra.provision';
    case 'traffic 10%':
      return call.path === '/traffic' && fresh === 10;
    case 'traffic 100%':
      return call.path === '/traffic' && fresh === 100;
    case 'rollback traffic':
      return call.path === '/traffic' && seed === 100;
  }
}

async function transitionCount(world: AppWorld, releaseId: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(world.database.db, sql`SELECT count(*)::int AS n FROM release_events WHERE release_id = ${releaseId} AND kind = 'transition'`);
  return Number(row?.n ?? 0);
}

async function sendCommand(world: AppWorld, app: AppProcess, command: string, text: string, trigger: string): Promise<void> {
  const signed = signedCommand({ command, text, user: BENCH_DEVELOPER, triggerId: trigger, responseUrl: world.slack.responseUrl });
  const response = await fetch(`${app.ready.url}/slack/events`, { method: 'POST', headers: signed.headers, body: signed.body });
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`${command} answered ${response.status}`);
}

export async function runKillMidCallTrials(options: { trials: number; rollbackEvery?: number; log?: (line: string) => void }): Promise<MidCallTrial[]> {
  const rollbackEvery = options.rollbackEvery ?? 4;
  const world = await openAppWorld({ services: options.trials, bakeSeconds: 2 });
  const trials: MidCallTrial[] = [];
  let app: AppProcess | undefined;
  try {
    app = await world.spawnApp();
    for (let index = 0; index < options.trials; index += 1) {
      const service = benchServiceName(index);
      const rollback = index % rollbackEvery === rollbackEvery - 1;
      const held: HeldCall = rollback ? 'rollback traffic' : FORWARD[index % FORWARD.length]!;
      // Hold the first arrival of that call; the resent one (same key) is answered.
      let heldCall: RecordedWebhook | null = null;
      world.recorder.hold = (call) => {
        if (heldCall || !matchesHeld(held, service, call)) return false;
        heldCall = call;
        return true;
      };
      const arrived = world.recorder.waitFor((call) => call === heldCall, 60_000);
      await world.deploy(app, service);
      if (rollback) {
        // Roll back once the canary serves: the rollback's traffic call is the one held.
        const canary = await world.recorder.waitFor((call) => call.body.service === service && call.path === '/traffic', 30_000);
        if (!canary) throw new Error(`no canary traffic for ${service}`);
        await sendCommand(world, app, '/rollback', `${service} in ${BENCH_ENVIRONMENT}`, `mid-call.${process.pid}.${Date.now()}.${index}`);
      }
      const call = await arrived;
      if (!call) throw new Error(`the ${held} call of ${service} never came`);
      await app.kill9();
      world.recorder.hold = null;
      const release = (await releaseOf(world.database, service))!;
      const transitionsAtKill = await transitionCount(world, release.id);

      const restartedAt = Date.now();
      app = await world.spawnApp();
      const restartToReadyMs = Date.now() - restartedAt;
      const resent = await world.recorder.waitFor((other) => other !== call && other.idempotencyKey === call.idempotencyKey, 60_000);
      const restartToResumedCallMs = resent ? Date.now() - restartedAt : null;
      const progressed = await waitUntil(async () => ((await transitionCount(world, release.id)) > transitionsAtKill ? true : undefined), 60_000, 20);
      const restartToNextStepMs = progressed ? Date.now() - restartedAt : null;
      const finished = await waitUntil(async () => {
        const current = await releaseOf(world.database, service);
        return current && FINISHED.includes(current.status) ? current : undefined;
      }, 90_000);
      // Effects after the last transition (retiring the old set) settle shortly after.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { problems } = await exactlyOnceProblems(world, release.id);
      const expected = rollback ? 'rolled_back' : 'succeeded';
      if (!finished) problems.push('not finished 90 s after the restart');
      else if (finished.status !== expected) problems.push(`finished ${finished.status}, expected ${expected}`);
      if (!resent) problems.push(`the held ${held} call was never sent again`);
      const trial: MidCallTrial = { service, releaseId: release.id, held, restartToReadyMs, restartToResumedCallMs, restartToNextStepMs, finalStatus: finished?.status ?? 'unfinished', problems };
      trials.push(trial);
      options.log?.(
        `kill mid-call ${index + 1}/${options.trials} (${held}): ready in ${restartToReadyMs} ms; call resent after ${restartToResumedCallMs ?? '-'} ms; next step after ${restartToNextStepMs ?? '-'} ms; ${trial.finalStatus}; ${problems.length === 0 ? 'exactly once' : problems.join('; ')}`,
      );
    }
    return trials;
  } finally {
    world.recorder.hold = null;
    await app?.kill9();
    await world.close();
  }
}
