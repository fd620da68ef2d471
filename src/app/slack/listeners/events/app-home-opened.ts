import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { renderAppHome, type HomeQueueEntry } from '../../../../adapters/slack/blocks/app-home.js';
import { isApproverOf, mayGovern } from '../../../../domain/release/authorization.js';
import type { Actor } from '../../../../domain/release/types.js';
import type { ReleaseView } from '../../../../domain/release/types.js';
import { describeWindow, windowStatus } from '../../../../domain/windows/window-status.js';
import type { SlackDeps } from '../../slack-deps.js';
import { slackView } from '../../slack-responses.js';

type HomeArgs = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

/** Windows per environment as one line each: open now (until when) or when it next opens. */
export function windowLines(deps: SlackDeps, now: Date): Array<{ environment: string; text: string }> {
  const lines: Array<{ environment: string; text: string }> = [];
  for (const [environment, config] of Object.entries(deps.config.environments)) {
    if (config.windows.length === 0) continue;
    const status = windowStatus(config.windows, now);
    const names = config.windows.map(describeWindow).join('; ');
    const text = status.open
      ? `open now${status.closesAt ? `, closes ${status.closesAt.toISOString()}` : ''} — ${names}`
      : `closed; next opens ${status.reopensAt ? status.reopensAt.toISOString() : 'never'} — ${names}`;
    lines.push({ environment, text });
  }
  return lines;
}

function awaitsApprovalFrom(deps: SlackDeps, view: ReleaseView, actor: { userId: string; userGroupIds: string[] }): boolean {
  if (!view.allowedActions.includes('approve')) return false;
  if (view.requester.userId === actor.userId) return false;
  return view.environments.some(
    (environment) =>
      environment.approvals.by.length < environment.approvals.required &&
      !environment.approvals.by.some((approval) => approval.userId === actor.userId) &&
      isApproverOf(deps.config, actor, environment.environment),
  );
}

/** Who may stop the line: whoever may freeze every environment. */
export function mayStopTheLine(deps: SlackDeps, actor: Actor): boolean {
  return Object.keys(deps.config.environments).every((environment) => mayGovern(deps.config, actor, environment, 'stop the line in').ok);
}

/** Renders and publishes one user's App Home (on opening it, and after a button on it changed something). */
export async function publishHome(deps: SlackDeps, client: WebClient, userId: string, known?: Actor): Promise<void> {
  const [actor, active, freezes, queueView, lineStop] = await Promise.all([
    known ? Promise.resolve(known) : deps.actors.resolve(userId),
    deps.releases.listActive(),
    deps.releases.listFreezes(),
    deps.mergeQueue ? deps.mergeQueue.list() : Promise.resolve(null),
    deps.releases.lineStop(),
  ]);
  const queue: HomeQueueEntry[] | null = queueView
    ? queueView.queues.flatMap((q) => q.entries)
    : null;
  const home = renderAppHome({
    userId,
    myReleases: active.filter((view) => view.requester.userId === userId),
    awaitingMyApproval: active.filter((view) => awaitsApprovalFrom(deps, view, actor)),
    queue,
    freezes,
    windows: windowLines(deps, deps.clock.now()),
    lineStop,
    mayStopTheLine: mayStopTheLine(deps, actor),
  });
  await client.views.publish({ user_id: userId, view: slackView(home) });
}

/** App Home: the viewer's releases, approvals waiting for them, the queue, freezes and windows. */
export function appHomeOpened(deps: SlackDeps) {
  return async ({ event, body, client }: HomeArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    const eventId = (body as { event_id?: string }).event_id;
    // Slack retries events it thinks were lost; publishing Home twice is harmless, so no claim here.
    const log = deps.logger.child({ user: event.user, eventId });
    try {
      await publishHome(deps, client, event.user);
    } catch (error) {
      log.error({ err: error }, 'could not publish App Home');
    }
  };
}
