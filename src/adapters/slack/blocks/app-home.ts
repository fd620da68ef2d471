import { doraLines, scopeName } from './dora-report.js';
import type { DoraReport } from '../../../ports/dora-report.js';
import type { ReleaseView } from '../../../domain/release/types.js';
import { LINE_STOP_ENVIRONMENT } from '../../../domain/release/line-stop.js';
import type { FreezeView, LineStopView } from '../../../ports/freeze-views.js';
import { ActionIds } from '../action-ids.js';
import { LIMITS, button, confirmDialog, divider, escapeMrkdwn, escapeMrkdwnKeepingMentions, fitLines, header, mention, section, slackDate, type Block } from './block-kit.js';
import { queueEntryLine, type QueueLineEntry } from './queue-lines.js';
import { statusLabel } from './release-card.js';

/** The App Home tab: what the viewer shipped, what waits for them, the queue, freezes, windows. */

/** One merge queue entry: its state word, what it waits for and its estimated merge time. */
export type HomeQueueEntry = QueueLineEntry;

export interface AppHomeInput {
  userId: string;
  myReleases: ReleaseView[];
  awaitingMyApproval: ReleaseView[];
  /** null when the merge queue is not enabled. */
  queue: HomeQueueEntry[] | null;
  freezes: FreezeView[];
  /** Per environment, a line about its next deploy window ("opens Tue 09:00 UTC for 2h"). */
  windows: Array<{ environment: string; text: string }>;
  lineStop: LineStopView | null;
  /** Whether the viewer may freeze every environment: only then the stop/restart button shows. */
  mayStopTheLine: boolean;
  /** DORA figures of the teams the viewer is a member of (left out when none). */
  teams?: DoraReport[];
}

export interface HomeView {
  type: 'home';
  blocks: Block[];
}

function releaseLine(view: ReleaseView): string {
  const ships = view.changes.map((change) => `${escapeMrkdwn(change.service)}@${escapeMrkdwn(change.to)}`).join(', ');
  return `• \`${escapeMrkdwn(view.id)}\` ${statusLabel(view.status)} — ${ships} → ${escapeMrkdwn(view.targetEnvironment)} · ${escapeMrkdwnKeepingMentions(view.summary)}`;
}

export function renderAppHome(input: AppHomeInput): HomeView {
  const blocks: Block[] = [header('Durable Delivery'), section(`Hello ${mention(input.userId)}. Use \`/deploy\`, \`/release list\`, \`/rollback\`, \`/freeze\` and \`/queue\` from any channel.`)];

  if (input.lineStop) {
    const stop = input.lineStop;
    blocks.push(section(`:octagonal_sign: *The line is stopped* since ${stop.at} — ${escapeMrkdwnKeepingMentions(stop.reason)}. ${stop.pausedReleaseIds.length} release(s) paused; every merge queue holds.`));
  }
  if (input.mayStopTheLine) {
    blocks.push({
      type: 'actions',
      elements: [
        input.lineStop
          ? button({ actionId: ActionIds.restartTheLine, text: 'Restart the line', style: 'primary', confirm: confirmDialog({ title: 'Restart the line?', text: 'Every environment unfreezes, the merge queues move again and the releases the stop paused resume.', confirm: 'Restart' }) })
          : button({
              actionId: ActionIds.stopTheLine,
              text: 'Stop the line',
              style: 'danger',
              confirm: confirmDialog({ title: 'Stop the line?', text: 'Every release in every environment pauses, every environment freezes and every merge queue holds until someone restarts the line.', confirm: 'Stop everything', danger: true }),
            }),
      ],
    });
  }

  blocks.push(divider(), header('Waiting for your approval'));
  blocks.push(section(input.awaitingMyApproval.length > 0 ? fitLines(input.awaitingMyApproval.map((view) => `${releaseLine(view)} · requested by ${mention(view.requester.userId)}`)) : 'Nothing waits for you.'));

  blocks.push(divider(), header('Your releases'));
  blocks.push(section(input.myReleases.length > 0 ? fitLines(input.myReleases.map(releaseLine)) : 'You have no active releases.'));

  blocks.push(divider(), header('Merge queue'));
  if (input.queue === null) blocks.push(section('The merge queue is not enabled.'));
  else blocks.push(section(input.queue.length > 0 ? fitLines(input.queue.map((entry) => queueEntryLine(entry))) : 'The queue is empty.'));

  blocks.push(divider(), header('Freezes'));
  blocks.push(
    section(
      input.freezes.length > 0
        ? fitLines(input.freezes.map((freeze) => `• :snowflake: *${freeze.environment === LINE_STOP_ENVIRONMENT ? 'every environment' : escapeMrkdwn(freeze.environment)}* until ${freeze.until ? slackDate(freeze.until) : 'lifted'} — ${escapeMrkdwn(freeze.reason)}${freeze.by ? ` (${mention(freeze.by)})` : ''}`))
        : 'No freezes in force.',
    ),
  );

  if (input.teams && input.teams.length > 0) {
    blocks.push(divider(), header(`Your teams · last ${input.teams[0]!.days} days`));
    for (const report of input.teams) {
      const lines = doraLines(report.current, report.previous);
      blocks.push(section(fitLines([`*${escapeMrkdwn(scopeName(report.scope))}* (${escapeMrkdwn(report.services.join(', ') || 'no services')})`, `• ${lines.frequency}`, `• ${lines.leadTime}`, `• ${lines.failureRate}`, `• ${lines.restore}`])));
    }
  }

  blocks.push(divider(), header('Deploy windows'));
  blocks.push(section(input.windows.length > 0 ? fitLines(input.windows.map((window) => `• *${escapeMrkdwn(window.environment)}*: ${escapeMrkdwnKeepingMentions(window.text)}`)) : 'Every environment is always open.'));

  return { type: 'home', blocks: blocks.slice(0, LIMITS.viewBlocks) };
}
