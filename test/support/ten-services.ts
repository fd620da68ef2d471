import { renderReleaseCard } from '../../src/adapters/slack/blocks/release-card.js';
import { deliveryConfigSchema, type DeliveryConfig } from '../../src/config/delivery-schema.js';
import type { ReleaseView } from '../../src/domain/release/types.js';
import type { ApiCall, SlackEmulator } from '../../src/sandbox/slack-emulator/index.js';

/** Ten independent services owned by one team: ten releases can run at once in one environment. */
export const TEN_SERVICES = Array.from({ length: 10 }, (_, index) => `svc-${index}`);

export const DEPLOYER = 'U0ALICE';

/** One environment (#deploys, no approvals, no windows), two short stages, simulated fleet. */
export function tenServiceConfig(bake: string): DeliveryConfig {
  return deliveryConfigSchema.parse({
    approverGroups: { 'release-managers': ['U0BOB'] },
    teams: { fleet: { channel: '#team-fleet', members: [DEPLOYER] } },
    services: Object.fromEntries(TEN_SERVICES.map((name) => [name, { repo: `acme/${name}`, team: 'fleet', traffic: { kind: 'simulated' }, infra: { kind: 'simulated' }, keepWarm: 1 }])),
    environments: {
      production: {
        channel: '#deploys',
        stages: [
          { name: 'canary', weight: 10, bake },
          { name: 'full', weight: 100, bake },
        ],
        health: { interval: '1m', failAfter: 2, holdAfter: 3 },
      },
    },
    metrics: { provider: 'simulated' },
  });
}

/** The most chat.update calls that went through in any 60 s of wall time. */
export function worstMinuteOfUpdates(calls: readonly ApiCall[]): number {
  const times = calls.filter((call) => call.method === 'chat.update' && call.ok).map((call) => call.at);
  return Math.max(0, ...times.map((at) => times.filter((other) => other >= at && other < at + 60_000).length));
}

/**
 * What is wrong with the cards as the emulator shows them: each must be drawn from its release's
 * latest state, exactly as the renderer draws that state now.
 */
export function staleCards(slack: SlackEmulator, cards: ReadonlyArray<{ view: ReleaseView; channel: string; ts: string }>): string[] {
  const problems: string[] = [];
  for (const { view, channel, ts } of cards) {
    const shown = slack.message(channel, ts);
    if (!shown) {
      problems.push(`${view.id}: no card`);
      continue;
    }
    const expected = renderReleaseCard(view);
    if (JSON.stringify(shown.blocks) !== JSON.stringify(expected.blocks) || shown.text !== expected.text) problems.push(`${view.id}: the card shows an older state than ${view.status} (v${view.version})`);
  }
  return problems;
}
