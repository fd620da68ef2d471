import { sql } from 'drizzle-orm';
import { LogLevel, WebClient, type WebAPICallResult } from '@slack/web-api';
import { pino } from 'pino';
import { SlackChat } from '../src/adapters/slack/slack-chat.js';
import { ManualClock } from '../src/ports/clock.js';
import { SlackEmulator } from '../src/sandbox/slack-emulator/index.js';
import { createEngine } from '../src/app/create-engine.js';
import { queryRows } from '../src/store/db.js';
import { nextDue } from '../test/support/fakes/engine-harness.js';
import { FakeAnnotations, FakeInfra, FakeTraffic, ScriptedHealthProbe } from '../test/support/fakes/fake-ports.js';
import { BENCH_CHANNEL, BENCH_DEVELOPER, BENCH_ENVIRONMENT, benchConfig, benchServiceName } from './support/bench-config.js';
import { openBenchPglite } from './support/databases.js';
import { SEED_START } from './support/seed-releases.js';
import { table, verdict } from './support/stats.js';

/**
 * Slack budget: 100 releases started together and run for 10 minutes of virtual time (stages of
 * 2 minutes each, measured every minute), with the production Chat adapter (SlackChat: per-channel
 * pacing, chat.update budget) talking to the Slack emulator over HTTP. Every chat.postMessage and
 * chat.update is counted at the emulator and stamped with the virtual clock; the adapter's pacing
 * sleeps advance that clock, as real waiting would.
 */

export interface SlackBudgetOptions {
  releases?: number;
  virtualMinutes?: number;
}

export interface SlackBudgetResult {
  options: Required<SlackBudgetOptions>;
  updatesPerMinute: number[];
  maxPostsPerChannelSecond: number;
  busiestChannel: string;
  posts: number;
  updates: number;
  finished: number;
  violations: number;
  wallMs: number;
}

const silent = pino({ level: 'silent' });

/** A WebClient that reports each call as it is sent. */
class StampingWebClient extends WebClient {
  onCall: (method: string, args: Record<string, unknown>) => void = () => {};
  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    this.onCall(method, options);
    return super.apiCall(method, options);
  }
}

export async function runSlackBudget(input: SlackBudgetOptions = {}): Promise<SlackBudgetResult> {
  const options: Required<SlackBudgetOptions> = { releases: input.releases ?? 100, virtualMinutes: input.virtualMinutes ?? 10 };
  const wallStart = Date.now();
  const config = benchConfig({
    services: options.releases,
    stages: [
      { name: 'canary', weight: 10, bake: '2m' },
      { name: 'half', weight: 50, bake: '2m' },
      { name: 'full', weight: 100, bake: '2m' },
    ],
    healthInterval: '1m',
  });
  const emulator = new SlackEmulator({ signingSecret: 'unused', strict: false, autoCreateChannels: true, channels: [{ name: BENCH_CHANNEL.slice(1), id: 'C0DEPLOYS' }, { name: 'team-platform', id: 'C0PLATFORM' }] });
  await emulator.start();
  const database = await openBenchPglite();
  const clock = new ManualClock(SEED_START);
  const start = clock.now().getTime();
  const posts: Array<{ at: number; channel: string }> = [];
  const sleepers: Array<{ at: number; resolve: () => void }> = [];
  const updates: number[] = [];
  // Calls are stamped with the virtual time the adapter sends them (a loopback round trip may land
  // after the driver moved the clock on); the emulator's own counts are the check on the totals.
  const client = new StampingWebClient('xoxb-bench', {
    slackApiUrl: emulator.apiUrl,
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
    retryConfig: { retries: 0 },
  });
  client.onCall = (method, args) => {
    const at = clock.now().getTime() - start;
    const channel = emulator.channel(String(args.channel ?? ''))?.id ?? String(args.channel);
    if (method === 'chat.postMessage') posts.push({ at, channel });
    if (method === 'chat.update') updates.push(at);
  };
  const chat = new SlackChat({
    client,
    cardChannel: () => BENCH_CHANNEL,
    now: () => clock.now().getTime(),
    // Waiting for a channel's pace is a virtual timer, fired by the driver below.
    sleep: (ms) => new Promise<void>((resolve) => sleepers.push({ at: clock.now().getTime() + ms, resolve })),
  });
  /**
   * Runs engine work while firing the adapter's pacing timers in virtual time: whenever the work is
   * waiting (a few real milliseconds without progress on loopback), the clock moves to the earliest
   * timer and only that one fires, so each paced post reaches the emulator at its own virtual time.
   */
  const withVirtualTimers = async <T>(work: Promise<T>): Promise<T> => {
    let done = false;
    void work.finally(() => {
      done = true;
    });
    let seen = emulator.calls.length;
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      // Calls still arriving: what is in flight lands at the current virtual time first.
      if (emulator.calls.length !== seen) {
        seen = emulator.calls.length;
        continue;
      }
      if (done || sleepers.length === 0) continue;
      sleepers.sort((a, b) => a.at - b.at);
      const next = sleepers.shift()!;
      if (next.at > clock.now().getTime()) clock.set(new Date(next.at));
      // The paced call follows at once: let it reach the emulator before time moves on.
      const before = emulator.calls.length;
      next.resolve();
      for (let waited = 0; waited < 500 && emulator.calls.length === before; waited += 2) await new Promise((resolve) => setTimeout(resolve, 2));
      seen = emulator.calls.length;
    }
    return work;
  };
  const engine = createEngine({
    db: database.db,
    config,
    clock,
    logger: silent,
    ports: { traffic: new FakeTraffic(), infra: new FakeInfra(), health: new ScriptedHealthProbe(), annotations: new FakeAnnotations(), chat },
  });
  try {
    await engine.syncCatalog();
    await database.db.execute(sql`
      INSERT INTO infra_sets (id, service, environment, version, release_id, state, weight, created_at)
      SELECT 'is-seed-svc-' || lpad(g::text, 5, '0'), 'svc-' || lpad(g::text, 5, '0'), ${BENCH_ENVIRONMENT}, 'v1', NULL, 'serving', 100, ${new Date(start - 86_400_000).toISOString()}::timestamptz
      FROM generate_series(0, ${options.releases - 1}) g`);
    for (let index = 0; index < options.releases; index += 1) {
      const outcome = await engine.releases.act({
        verb: 'deploy',
        actor: { userId: BENCH_DEVELOPER, userGroupIds: [] },
        target: { kind: 'service', service: benchServiceName(index), version: 'v2' },
        environment: BENCH_ENVIRONMENT,
      });
      if (outcome.kind !== 'accepted') throw new Error(`deploy ${index} refused: ${outcome.code} ${outcome.message}`);
    }
    const end = start + options.virtualMinutes * 60_000;
    while (clock.now().getTime() < end) {
      await withVirtualTimers(engine.runUntilIdle());
      await withVirtualTimers(engine.settle());
      const due = await nextDue(database.db);
      const now = clock.now().getTime();
      // Step to the next timer, a second at most, so the pacing is seen at one-second resolution; a
      // timer already due that nothing could run (a row waiting behind another of its release) must
      // not pin the clock, so each step moves at least 250 ms.
      const target = due ? Math.min(Math.max(due.getTime(), now + 250), now + 1_000) : now + 1_000;
      clock.set(new Date(Math.min(target, end)));
      if (target >= end) break;
    }
    const finishedRows = await queryRows<{ n: number }>(database.db, sql`SELECT count(*)::int AS n FROM releases WHERE status = 'succeeded'`);
    const updatesPerMinute = Array.from({ length: options.virtualMinutes }, (_, minute) => updates.filter((at) => at >= minute * 60_000 && at < (minute + 1) * 60_000).length);
    // Posts per channel in any sliding one-second window.
    let maxPosts = 0;
    let busiest = '';
    const byChannel = new Map<string, number[]>();
    for (const post of posts) byChannel.set(post.channel, [...(byChannel.get(post.channel) ?? []), post.at]);
    for (const [channel, times] of byChannel) {
      times.sort((a, b) => a - b);
      let from = 0;
      for (let to = 0; to < times.length; to += 1) {
        while (times[to]! - times[from]! >= 1_000) from += 1;
        if (to - from + 1 > maxPosts) {
          maxPosts = to - from + 1;
          busiest = emulator.channel(channel)?.name ?? channel;
        }
      }
    }
    return {
      options,
      updatesPerMinute,
      maxPostsPerChannelSecond: maxPosts,
      busiestChannel: busiest,
      posts: emulator.callsTo('chat.postMessage').filter((call) => call.ok).length,
      updates: emulator.callsTo('chat.update').filter((call) => call.ok).length,
      finished: Number(finishedRows[0]?.n ?? 0),
      violations: emulator.violations.length,
      wallMs: Date.now() - wallStart,
    };
  } finally {
    await engine.stop();
    await database.close();
    await emulator.stop();
  }
}

export function formatSlackBudget(result: SlackBudgetResult): string {
  const maxUpdates = Math.max(...result.updatesPerMinute);
  return [
    `${result.options.releases} releases started together (3 stages of 2 min, measured every minute), ${result.options.virtualMinutes} virtual minutes; ${result.finished} finished in that time; ${result.wallMs / 1000} s of wall time. Counted at the Slack emulator: ${result.posts} chat.postMessage (cards, thread lines, notices), ${result.updates} chat.update; ${result.violations} Block Kit/argument violations.`,
    '',
    table(['minute', ...result.updatesPerMinute.map((_, index) => String(index + 1))], [['chat.update', ...result.updatesPerMinute]]),
    '',
    `- chat.update per minute, workspace-wide: max ${maxUpdates} ≤ 40 → ${verdict(maxUpdates <= 40)}.`,
    `- Posts per channel per second (any sliding second): max ${result.maxPostsPerChannelSecond} (in ${result.busiestChannel || 'n/a'}) ≤ 1 → ${verdict(result.maxPostsPerChannelSecond <= 1)}.`,
  ].join('\n');
}
