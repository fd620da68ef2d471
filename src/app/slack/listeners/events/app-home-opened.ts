import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { renderAppHome } from '../../../../adapters/slack/blocks/app-home.js';
import type { Actor } from '../../../../domain/release/types.js';
import type { AppHomes, AppHomeViewers } from '../../../../ports/app-homes.js';
import type { HomeFacts } from '../../../../services/app-home-service.js';
import type { SlackDeps } from '../../slack-deps.js';
import { slackView } from '../../slack-responses.js';

type HomeArgs = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

async function publishFor(deps: SlackDeps, client: WebClient, facts: HomeFacts, userId: string, known?: Actor): Promise<void> {
  const viewer = known ?? (await deps.actors.resolve(userId));
  await client.views.publish({ user_id: userId, view: slackView(renderAppHome(deps.homePages.homeFor(facts, viewer))) });
}

/** Renders and publishes one user's App Home (on opening it, and after a button on it changed something). */
export async function publishHome(deps: SlackDeps, client: WebClient, userId: string, known?: Actor): Promise<void> {
  await publishFor(deps, client, await deps.homePages.facts(), userId, known);
}

/** How long after opening App Home a user's Home keeps up with what it shows. */
export const HOME_FOLLOW_MS = 3600_000;

/**
 * App Home re-published for everyone who opened it within the last hour, from one read of what it
 * shows. Run by the outbox when a release's state changed (coalesced: one pending refresh at a
 * time); a failed publish throws after the others went, so the outbox tries again.
 */
export class SlackAppHomes implements AppHomes {
  constructor(
    private readonly deps: SlackDeps,
    private readonly client: WebClient,
    private readonly viewers: AppHomeViewers,
  ) {}

  async refresh(now: Date): Promise<void> {
    const users = await this.viewers.openedSince(new Date(now.getTime() - HOME_FOLLOW_MS));
    if (users.length === 0) return;
    const facts = await this.deps.homePages.facts();
    let failure: unknown = null;
    for (const user of users) {
      try {
        await publishFor(this.deps, this.client, facts, user);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
  }
}

/** App Home: the viewer's releases, approvals waiting for them, the queue, freezes and windows. */
export function appHomeOpened(deps: SlackDeps) {
  return async ({ event, body, client }: HomeArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    const eventId = (body as { event_id?: string }).event_id;
    // Slack retries events it thinks were lost; publishing Home twice is harmless, so no claim here.
    const log = deps.logger.child({ user: event.user, eventId });
    try {
      await Promise.all([publishHome(deps, client, event.user), deps.homeViewers?.opened(event.user, deps.clock.now())]);
    } catch (error) {
      log.error({ err: error }, 'could not publish App Home');
    }
  };
}
