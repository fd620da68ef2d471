import { randomBytes } from 'node:crypto';
import type { DeliveryConfig } from '../config/delivery-schema.js';
import type { HttpRoute } from '../app/http-routes.js';
import type { Logger } from '../app/logger.js';
import type { Database } from '../store/db.js';
import { AcceleratedClock } from './accelerated-clock.js';
import { consoleRoutes, type SandboxUser } from './console-routes.js';
import { SimulatedFleet } from '../adapters/fleet/simulated-fleet.js';
import { SimulatedInfra } from '../adapters/fleet/simulated-infra.js';
import { SimulatedMetrics } from '../adapters/fleet/simulated-metrics.js';
import { ClusterRoutedTraffic, SimulatedCluster } from '../adapters/fleet/simulated-cluster.js';
import { SimulatedTraffic } from '../adapters/fleet/simulated-traffic.js';
import type { Traffic } from '../ports/traffic.js';
import { GameDay, type RestartBot } from './gameday.js';
import { latestStoredInstant, seedSandboxStore } from './sandbox-seed.js';
import { syncFleetFromStore } from '../app/sync-fleet.js';
import { SlackEmulator } from './slack-emulator/index.js';

/**
 * `npm start` without a Slack workspace: everything the real app needs from the outside world, made
 * local — Slack's end (the emulator), the fleet (traffic, infra, metrics), a faster clock — plus the
 * web console to drive it. The app itself is the production one; the composition root builds it on
 * what this returns, then calls `connectApp` once it listens.
 */

export interface SandboxOptions {
  config: DeliveryConfig;
  /** The app's database: a new one is seeded with v1 serving everywhere; the fleet mirrors it. */
  database: Database;
  logger?: Logger;
  /** Sandbox time runs this many times faster than the wall (SANDBOX_SPEED); default 30. */
  speed?: number;
  /** Seed of the simulated traffic; the same seed replays the same numbers. */
  seed?: number;
  /** Port of the Slack emulator; 0 (any free port) by default. */
  emulatorPort?: number;
}

export interface Sandbox {
  /** The config the app must run in the sandbox: the given one with deploy windows and scheduled freezes lifted. */
  config: DeliveryConfig;
  clock: AcceleratedClock;
  /** What the app's WebClient and Bolt receiver must use. */
  slack: { apiUrl: string; botToken: string; signingSecret: string };
  fleet: SimulatedFleet;
  /** Where the sandbox's HTTPRoutes live: traffic moves through the real Gateway API router. */
  cluster: SimulatedCluster;
  traffic: Traffic;
  infra: SimulatedInfra;
  metrics: SimulatedMetrics;
  emulator: SlackEmulator;
  gameDay: GameDay;
  users: SandboxUser[];
  /** The console's routes (GET /, /sandbox/*), for Bolt's customRoutes or any node:http dispatcher. */
  routes: HttpRoute[];
  /**
   * Points Slack's end at the app (its POST /slack/events URL) and, when given, lets the console's
   * game day restart the bot: `restart` stops the running app instance and starts a new one on the
   * same database, resolving once the new one listens.
   */
  connectApp(options: { eventsUrl: string; restart?: RestartBot }): void;
  stop(): Promise<void>;
}

export const DEFAULT_SANDBOX_SPEED = 30;

/** Names for the example shop's people; any other user id of a custom config shows as itself. */
const KNOWN_PEOPLE: Record<string, string> = {
  U0ALICE: 'Alice',
  U0BOB: 'Bob',
  U0CAROL: 'Carol',
  U0DAVE: 'Dave',
  U0ERIN: 'Erin',
  U0FRANK: 'Frank',
};

/** Everyone the config names, with the part they play: approvers and team members. */
export function sandboxUsers(config: DeliveryConfig): SandboxUser[] {
  const roles = new Map<string, string[]>();
  const add = (id: string, role: string) => {
    if (!/^[UW]/.test(id)) return; // user groups (S…) are not people to act as
    roles.set(id, [...(roles.get(id) ?? []), role]);
  };
  for (const [group, members] of Object.entries(config.approverGroups)) for (const id of members) add(id, group.replace(/s$/, '').replace(/-/g, ' '));
  for (const [team, settings] of Object.entries(config.teams)) for (const id of settings.members) add(id, `${team} team`);
  const users = [...roles.entries()].map(([id, parts]) => ({ id, name: KNOWN_PEOPLE[id] ?? id, role: parts.join(', ') }));
  // Requesters first: the story starts with someone asking for a deploy, then someone else approving.
  return users.sort((a, b) => Number(a.role.includes('release manager')) - Number(b.role.includes('release manager')) || a.name.localeCompare(b.name));
}

/**
 * The config the sandbox runs: the given one, with deploy windows and scheduled freezes lifted, so
 * the sandbox runs at any hour. Stages at 100% bake as configured: the judge compares the canary
 * with the baseline as it was before the stage.
 */
export function sandboxConfig(config: DeliveryConfig): DeliveryConfig {
  const environments = Object.fromEntries(
    Object.entries(config.environments).map(([name, environment]) => [
      name,
      { ...environment, windows: [], freezes: [] },
    ]),
  );
  return { ...config, environments, metrics: { provider: 'simulated' } };
}

export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
  const speed = options.speed ?? DEFAULT_SANDBOX_SPEED;
  const clock = new AcceleratedClock(speed, { resumeFrom: await latestStoredInstant(options.database.db) });
  const config = sandboxConfig(options.config);
  const users = sandboxUsers(config);
  const signingSecret = randomBytes(16).toString('hex');
  const botToken = 'xoxb-sandbox-local';

  // Channels the config names as #name exist from the start, so the console lists them before any post.
  const channelNames = new Set(
    ['#general', ...Object.values(config.environments).map((env) => env.channel), ...Object.values(config.teams).map((team) => team.channel)]
      .filter((channel) => channel.startsWith('#'))
      .map((channel) => channel.slice(1)),
  );
  const emulator = new SlackEmulator({
    signingSecret,
    botToken,
    users: users.map((user) => ({ id: user.id, name: user.name.toLowerCase(), realName: user.name })),
    userGroups: Object.fromEntries(
      Object.values(config.approverGroups)
        .flat()
        .filter((id) => id.startsWith('S'))
        .map((group) => [group, []]),
    ),
    channels: [...channelNames].map((name) => ({ name })),
    autoCreateChannels: true,
  });
  const { apiUrl } = await emulator.start(options.emulatorPort ?? 0);

  const fleet = SimulatedFleet.fromConfig(config, { clock, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  const now = clock.now();
  const { seeded } = await seedSandboxStore(options.database.db, config, now);
  const mirrored = await syncFleetFromStore(options.database.db, fleet, now);
  options.logger?.info({ seeded, infraSets: mirrored, speed }, 'sandbox fleet ready');

  const cluster = new SimulatedCluster();
  cluster.seedRoutes(fleet);

  const gameDay = new GameDay(fleet, clock);
  const firstEnvironment = Object.values(config.environments)[0];
  const routes = consoleRoutes({
    emulator,
    fleet,
    cluster,
    gameDay,
    users,
    clock,
    speed,
    ...(firstEnvironment ? { defaultChannel: firstEnvironment.channel.replace(/^#/, '') } : {}),
  });

  return {
    config,
    clock,
    slack: { apiUrl, botToken, signingSecret },
    fleet,
    cluster,
    traffic: new ClusterRoutedTraffic(new SimulatedTraffic(fleet), cluster),
    infra: new SimulatedInfra(fleet),
    metrics: new SimulatedMetrics(fleet),
    emulator,
    gameDay,
    users,
    routes,
    connectApp({ eventsUrl, restart: restartApp }) {
      emulator.setAppUrl(eventsUrl);
      gameDay.setRestart(restartApp);
    },
    stop: () => emulator.stop(),
  };
}
