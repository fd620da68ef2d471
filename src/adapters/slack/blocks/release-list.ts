import type { ReleaseView } from '../../../domain/release/types.js';
import { LIMITS, escapeMrkdwn, escapeMrkdwnKeepingMentions, fitLines, header, mention, section, type Block, type MessageContent } from './block-kit.js';
import { statusLabel } from './release-card.js';

/** `/release list`: one line per active release, newest first. */
export function renderReleaseList(views: ReleaseView[]): MessageContent {
  if (views.length === 0) return { text: 'No active releases.', blocks: [section('No active releases.')] };
  const blocks: Block[] = [header(`${views.length} active release${views.length === 1 ? '' : 's'}`)];
  const lines = views.map(
    (view) =>
      `• \`${escapeMrkdwn(view.id)}\` ${statusLabel(view.status)} — ${view.changes.map((change) => `${escapeMrkdwn(change.service)}@${escapeMrkdwn(change.to)}`).join(', ')} → ${escapeMrkdwn(view.targetEnvironment)} · ${escapeMrkdwnKeepingMentions(view.summary)} · ${mention(view.requester.userId)}`,
  );
  // One section per 20 releases keeps each within the section text limit.
  for (let start = 0; start < lines.length && blocks.length < LIMITS.messageBlocks; start += 20) {
    blocks.push(section(fitLines(lines.slice(start, start + 20))));
  }
  return { text: `${views.length} active releases`, blocks };
}
