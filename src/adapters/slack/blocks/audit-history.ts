import { ACTION_LABELS, type AuditEntry } from '../../../domain/audit/audit-entry.js';
import type { AuditHistoryPage } from '../../../ports/audit-log.js';
import { ActionIds } from '../action-ids.js';
import { button, clip, context, escapeMrkdwn, escapeMrkdwnKeepingMentions, header, mention, section, type Block, type MessageContent } from './block-kit.js';

export interface HistoryScope {
  service?: string;
  environment?: string;
}

/** What the "Older" button carries back: the scope and the cursor of the next page. */
export interface HistoryPageValue extends HistoryScope {
  before: number;
}

/** Slack shows a date token in the reader's own time zone; the fallback is UTC. */
function when(at: string): string {
  const seconds = Math.floor(new Date(at).getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${at.replace('T', ' ').slice(0, 16)} UTC>`;
}

function scopeLabel(scope: HistoryScope): string {
  const parts = [scope.service, scope.environment].filter((part): part is string => part !== undefined);
  return parts.length > 0 ? parts.join(' · ') : 'all services';
}

function entryLine(entry: AuditEntry): string {
  const who = entry.actor ? mention(entry.actor) : 'Durable Delivery';
  const where = [entry.services.join(', '), entry.environment].filter((part) => part && part.length > 0).map((part) => escapeMrkdwn(part!)).join(' in ');
  const release = entry.releaseId ? ` · release \`${escapeMrkdwn(entry.releaseId)}\`` : '';
  const refused = entry.code ? ` (\`${escapeMrkdwn(entry.code)}\`)` : '';
  const detail = clip(escapeMrkdwnKeepingMentions(entry.message.split('\n')[0] ?? ''), 400);
  return `*${when(entry.at)}* · ${who} ${ACTION_LABELS[entry.action]}${where ? ` ${where}` : ''}${release}${refused}\n${detail}`;
}

/** `/release history`: one page of who did what and when, newest first, with a button to page back. */
export function renderAuditHistory(scope: HistoryScope, page: AuditHistoryPage, pageNumber: number): MessageContent {
  const title = `History · ${scopeLabel(scope)}`;
  if (page.entries.length === 0) {
    const text = pageNumber === 1 ? `Nothing recorded yet for ${scopeLabel(scope)}.` : 'No older entries.';
    return { text, blocks: [section(text)] };
  }
  const blocks: Block[] = [header(pageNumber === 1 ? title : `${title} · page ${pageNumber}`)];
  for (const entry of page.entries) blocks.push(section(entryLine(entry)));
  if (page.nextBefore !== null) {
    const value: HistoryPageValue & { page: number } = { ...scope, before: page.nextBefore, page: pageNumber + 1 };
    blocks.push({ type: 'actions', elements: [button({ actionId: ActionIds.historyOlder, text: 'Older entries', value: JSON.stringify(value) })] });
  } else {
    blocks.push(context('That is everything recorded.'));
  }
  return { text: `${title}: ${page.entries.length} entries`, blocks };
}
