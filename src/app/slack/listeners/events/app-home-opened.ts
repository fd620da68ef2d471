import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { renderAppHome, type HomeQueueEntry } from '../../../../adapters/slack/blocks/app-home.js';
import { isApproverOf, mayGovern } from '../../../../domain/release/authorization.js';
import type { Actor } from '../../../../domain/release/types.js';
import type { ReleaseView } from '../../../../domain/release/types.js';
import { describeWindow, windowStatus } from '../../../../domain/windows/window-status.js';
import type { AppHomes, AppHomeViewers } from '../../../../ports/app-homes.js';
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

/** The window of the team figures on App Home. */
const HOME_DORA_DAYS = 30;

function isMemberOf(deps: SlackDeps, team: string, actor: Actor): boolean {
  const members = deps.config.teams[team]?.members ?? [];
  return members.includes(actor.userId) || actor.userGroupIds.some((group) => members.includes(group));
}

/** Who may stop the line: whoever may freeze every environment. */
export function mayStopTheLine(deps: SlackDeps, actor: Actor): boolean {
  return Object.keys(deps.config.environments).every((environment) => mayGovern(deps.config, actor, environment, 'stop the line in').ok);
}

/** What every App Home shows, read once however many Homes are published from it. */
async function homeFacts(deps: SlackDeps) {
  const teams = Object.keys(deps.config.teams).sort();
  const [active, freezes, queueView, lineStop, teamFigures] = await Promise.all([
    deps.releases.listActive(),
    deps.releases.listFreezes(),
    deps.mergeQueue ? deps.mergeQueue.list() : Promise.resolve(null),
    deps.releases.lineStop(),
    // A Home still shows everything else when the history cannot be read.
    deps.dora.reports(teams.map((name) => ({ kind: 'team', name })), HOME_DORA_DAYS).catch((error: unknown) => {
      deps.logger.warn({ err: error }, 'App Home shows no DORA figures: the history could not be read');
      return [];
    }),
  ]);
  const queue: HomeQueueEntry[] | null = queueView ? queueView.queues.flatMap((q) => q.entries) : null;
  return { active, freezes, queue, lineStop, teamFigures, windows: windowLines(deps, deps.clock.now()) };
}

async function publishFor(deps: SlackDeps, client: WebClient, facts: Awaited<ReturnType<typeof homeFacts>>, userId: string, known?: Actor): Promise<void> {
  const actor = known ?? (await deps.actors.resolve(userId));
  const home = renderAppHome({
    userId,
    myReleases: facts.active.filter((view) => view.requester.userId === userId),
    awaitingMyApproval: facts.active.filter((view) => awaitsApprovalFrom(deps, view, actor)),
    queue: facts.queue,
    freezes: facts.freezes,
    windows: facts.windows,
    lineStop: facts.lineStop,
    mayStopTheLine: mayStopTheLine(deps, actor),
    teams: facts.teamFigures.filter((report) => report.scope.kind === 'team' && isMemberOf(deps, report.scope.name, actor)),
  });
  await client.views.publish({ user_id: userId, view: slackView(home) });
}

/** Renders and publishes one user's App Home (on opening it, and after a button on it changed something). */
export async function publishHome(deps: SlackDeps, client: WebClient, userId: string, known?: Actor): Promise<void> {
  await publishFor(deps, client, await homeFacts(deps), userId, known);
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
    const facts = await homeFacts(this.deps);
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
