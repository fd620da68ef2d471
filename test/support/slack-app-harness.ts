import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { createSlackApp, type SlackApp } from '../../src/app/slack/create-slack-app.js';
import type { HomePages, MergeQueueCommands } from '../../src/app/slack/slack-deps.js';
import type { DeliveryConfig } from '../../src/config/delivery-schema.js';
import { loadDeliveryConfig, SHIPPED_DELIVERY_CONFIG } from '../../src/config/load-delivery-config.js';
import { SlackChat } from '../../src/adapters/slack/slack-chat.js';
import type { Chat } from '../../src/ports/chat.js';
import type { Clock } from '../../src/ports/clock.js';
import type { ReleaseService } from '../../src/services/release-service-api.js';
import type { Database } from '../../src/store/db.js';
import type { Actor } from '../../src/domain/release/types.js';
import { AppHomeService, type AppHomeView, type HomeFacts } from '../../src/services/app-home-service.js';
import { DoraService } from '../../src/services/dora-service.js';
import { DEFAULT_CYCLE_MS } from '../../src/services/merge-queue/view.js';
import { DrizzleAppHomeViewers } from '../../src/store/repos/drizzle-app-home-viewers.js';
import { DrizzleAuditLog } from '../../src/store/repos/drizzle-audit-log.js';
import { DrizzleDeliveryHistory } from '../../src/store/repos/drizzle-delivery-history.js';
import { DrizzleHomeReadModel } from '../../src/store/repos/drizzle-home-read-model.js';
import { DrizzleProcessedRequests } from '../../src/store/repos/processed-requests-repo.js';
import { SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';
import { FakeReleaseService } from './slack-fake-releases.js';

export const SIGNING_SECRET = 'e2e-signing-secret';
export const BOT_TOKEN = 'xoxb-e2e-token';

/**
 * App Home over a FakeReleaseService: its releases and freezes live in memory, not in the database
 * the read model reads, so they are laid over what is read there (the DORA history, the windows).
 */
class FakeReleasesOnHome implements HomePages {
  constructor(
    private readonly homes: AppHomeService,
    private readonly releases: FakeReleaseService,
  ) {}

  async facts(): Promise<HomeFacts> {
    const [stored, active, freezes, lineStop] = await Promise.all([this.homes.facts(), this.releases.listActive(), this.releases.listFreezes(), this.releases.lineStop()]);
    return { ...stored, active, freezes, lineStop };
  }

  homeFor(facts: HomeFacts, viewer: Actor): AppHomeView {
    return this.homes.homeFor(facts, viewer);
  }
}

/** The people of examples/delivery.yaml, plus one nobody trusts. */
export const PEOPLE = {
  alice: 'U0ALICE', // requester (web, checkout teams)
  bob: 'U0BOB', // release manager
  carol: 'U0CAROL', // release manager
  mallory: 'U0MALLORY', // on no team, in no group
} as const;

/** The bot scopes manifest.json asks for: the emulator grants exactly these, so a call needing another fails. */
export function manifestBotScopes(): string[] {
  const manifest = JSON.parse(readFileSync(new URL('../../manifest.json', import.meta.url), 'utf8')) as { oauth_config: { scopes: { bot: string[] } } };
  return manifest.oauth_config.scopes.bot;
}

export function exampleConfig(): DeliveryConfig {
  const loaded = loadDeliveryConfig(SHIPPED_DELIVERY_CONFIG);
  if (!loaded.ok) throw new Error('examples/delivery.yaml does not load');
  return loaded.config;
}

export interface SlackHarness {
  slack: SlackEmulator;
  app: SlackApp;
  chat: SlackChat;
  stop(): Promise<void>;
}

/**
 * The Slack surface on loopback: the emulator in strict mode, the real Bolt app from
 * createSlackApp (HTTP mode, signatures on), the processed-requests store on `database`, and a
 * SlackChat pointed at the emulator for whatever release service the test builds.
 */
export async function startSlackHarness(options: {
  database: Database;
  clock: Clock;
  config?: DeliveryConfig;
  releases: (chat: Chat) => ReleaseService;
  /** The merge queue behind /queue, built (when a function) after the releases, on the same chat. */
  mergeQueue?: MergeQueueCommands | null | ((chat: SlackChat) => MergeQueueCommands | null);
  /** Slash commands and clicks in flight before "busy" (the app's default when not given). */
  maxInFlight?: number;
}): Promise<SlackHarness> {
  const config = options.config ?? exampleConfig();
  const slack = new SlackEmulator({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    botScopes: manifestBotScopes(),
    strict: true,
    users: [
      { id: PEOPLE.alice, name: 'alice' },
      { id: PEOPLE.bob, name: 'bob' },
      { id: PEOPLE.carol, name: 'carol' },
      { id: PEOPLE.mallory, name: 'mallory' },
    ],
    channels: [{ name: 'deploys' }, { name: 'team-checkout' }, { name: 'team-web' }],
  });
  await slack.start();
  const chat = new SlackChat({
    token: BOT_TOKEN,
    apiUrl: slack.apiUrl,
    cardChannel: (view) => config.environments[view.targetEnvironment]?.channel ?? '#deploys',
    minPostIntervalMs: 0,
    // The update budget counts in the engine's time, so a test walking virtual hours stays within it.
    now: () => options.clock.now().getTime(),
  });
  const releases = options.releases(chat);
  const mergeQueue = typeof options.mergeQueue === 'function' ? options.mergeQueue(chat) : (options.mergeQueue ?? null);
  const homes = new AppHomeService({ readModel: new DrizzleHomeReadModel(options.database.db), config, clock: options.clock, mergeQueue: mergeQueue ? { defaultCycleMs: DEFAULT_CYCLE_MS } : null });
  const app = createSlackApp(
    { botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, apiUrl: slack.apiUrl, port: 0, host: '127.0.0.1', logger: pino({ level: 'silent' }), ...(options.maxInFlight ? { maxInFlight: options.maxInFlight } : {}) },
    {
      releases,
      config,
      audit: new DrizzleAuditLog(options.database.db),
      dora: new DoraService(new DrizzleDeliveryHistory(options.database.db), config, options.clock),
      homePages: releases instanceof FakeReleaseService ? new FakeReleasesOnHome(homes, releases) : homes,
      requests: new DrizzleProcessedRequests(options.database.db),
      clock: options.clock,
      mergeQueue,
      homeViewers: new DrizzleAppHomeViewers(options.database.db),
    },
  );
  const { url } = await app.start();
  slack.setAppUrl(`${url}/slack/events`);
  return {
    slack,
    app,
    chat,
    async stop() {
      await app.stop();
      await slack.stop();
    },
  };
}
