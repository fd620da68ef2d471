import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import { renderAppHome, type HomeQueueEntry } from '../../../../adapters/slack/blocks/app-home.js';
import { isApproverOf } from '../../../../domain/release/authorization.js';
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

/** App Home: the viewer's releases, approvals waiting for them, the queue, freezes and windows. */
export function appHomeOpened(deps: SlackDeps) {
  return async ({ event, body, client }: HomeArgs): Promise<void> => {
    if (event.tab !== 'home') return;
    const eventId = (body as { event_id?: string }).event_id;
    // Slack retries events it thinks were lost; publishing Home twice is harmless, so no claim here.
    const log = deps.logger.child({ user: event.user, eventId });
    try {
      const [actor, active, freezes, queueView] = await Promise.all([
        deps.actors.resolve(event.user),
        deps.releases.listActive(),
        deps.releases.listFreezes(),
        deps.mergeQueue ? deps.mergeQueue.list() : Promise.resolve(null),
      ]);
      const queue: HomeQueueEntry[] | null = queueView
        ? queueView.queues.flatMap((q) => q.entries)
        : null;
      const home = renderAppHome({
        userId: event.user,
        myReleases: active.filter((view) => view.requester.userId === event.user),
        awaitingMyApproval: active.filter((view) => awaitsApprovalFrom(deps, view, actor)),
        queue,
        freezes,
        windows: windowLines(deps, deps.clock.now()),
      });
      await client.views.publish({ user_id: event.user, view: slackView(home) });
    } catch (error) {
      log.error({ err: error }, 'could not publish App Home');
    }
  };
}
