import { escapeMrkdwn } from './block-kit.js';

/** What a queue line shows (structurally the merge queue's view entry). */
export interface QueueLineEntry {
  position: number;
  repo: string;
  pullNumber: number;
  title: string;
  url: string;
  /** The state word: queued, updating, validating, batched. */
  state: string;
  lane: 'normal' | 'hotfix';
  prioritisedBy: string | null;
  detail: string;
  estimatedMergeAt: Date | null;
}

export interface QueueLineQueue {
  repo: string;
  baseBranch: string;
  paused: { code: string; message: string } | null;
  unreachable: { reason: string; since: Date } | null;
  entries: QueueLineEntry[];
}

/** Slack renders the time in each reader's own time zone; the fallback is UTC. */
function slackTime(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{time}|${at.toISOString().slice(11, 16)} UTC>`;
}

/** "3. acme/api#12 Add cache — *validating* (waiting for ci/test) · merges ≈ 10:42" */
export function queueEntryLine(entry: QueueLineEntry): string {
  const hotfix = entry.lane === 'hotfix' ? ` :ambulance: hotfix${entry.prioritisedBy ? ` (labelled by ${escapeMrkdwn(entry.prioritisedBy)})` : ''}` : '';
  const eta = entry.estimatedMergeAt ? ` · merges ≈ ${slackTime(entry.estimatedMergeAt)}` : '';
  return `${entry.position}. <${entry.url}|${escapeMrkdwn(entry.repo)}#${entry.pullNumber}> ${escapeMrkdwn(entry.title)} — *${entry.state}*${hotfix} (${escapeMrkdwn(entry.detail)})${eta}`;
}

/** The queue's heading line: where it merges, and why it is paused or cannot be read. */
export function queueHeadingLine(queue: QueueLineQueue): string {
  const paused = queue.paused ? ` — paused: ${escapeMrkdwn(queue.paused.message)}` : '';
  const unreachable = queue.unreachable ? ` — :warning: unreachable: ${escapeMrkdwn(queue.unreachable.reason)}` : '';
  return `*${escapeMrkdwn(queue.repo)}* → ${escapeMrkdwn(queue.baseBranch)}${paused}${unreachable}`;
}

export function queueLines(queues: readonly QueueLineQueue[]): string[] {
  return queues.flatMap((queue) => [queueHeadingLine(queue), ...(queue.entries.length === 0 ? ['  (empty)'] : queue.entries.map((entry) => `  ${queueEntryLine(entry)}`))]);
}
