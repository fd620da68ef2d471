import { assertNever } from '../../domain/assert-never.js';
import type { MergeQueueNotice, MergeQueueNotifier } from './ports.js';

/** The one Chat method this needs (structurally the Chat port's `notify`). */
export interface NotifyChannel {
  notify(channelOrUserId: string, text: string): Promise<void>;
}

export interface ChatMergeQueueNotifierOptions {
  /** Where merges and ejections are announced; none = direct messages only. */
  queueChannel?: string;
  /** Slack user id of a GitHub login, for entries that came in by label; unknown = no direct message. */
  slackUserOf?: (githubLogin: string) => string | undefined;
  /** Called when a queue's content or pause changed: refresh a queue card or App Home. */
  onQueueChanged?: (queue: { repo: string; baseBranch: string }) => Promise<void>;
}

/** Turns queue notices into Slack text: a direct message to whoever queued the PR (or its author), a line in the queue channel. */
export class ChatMergeQueueNotifier implements MergeQueueNotifier {
  constructor(
    private readonly chat: NotifyChannel,
    private readonly options: ChatMergeQueueNotifierOptions = {},
  ) {}

  async notify(notice: MergeQueueNotice): Promise<void> {
    switch (notice.kind) {
      case 'queue_changed':
        await this.options.onQueueChanged?.({ repo: notice.repo, baseBranch: notice.baseBranch });
        return;
      case 'ejected': {
        const link = `<${notice.url}|${notice.repo}#${notice.pullNumber}>`;
        const text = `:x: ${link} _${notice.title}_ left the merge queue (\`${notice.reason.code}\`): ${notice.reason.message}.`;
        await this.send(notice, text);
        return;
      }
      case 'merged': {
        const link = `<${notice.url}|${notice.repo}#${notice.pullNumber}>`;
        const sets = notice.versionSetIds.length > 0 ? ` — version set ${notice.versionSetIds.map((id) => `#${id}`).join(', ')}` : '';
        await this.send(notice, `:white_check_mark: ${link} _${notice.title}_ merged as \`${notice.mergeCommitSha.slice(0, 7)}\`${sets}.`);
        return;
      }
      default:
        assertNever(notice, 'merge queue notice');
    }
  }

  private async send(notice: Extract<MergeQueueNotice, { kind: 'ejected' | 'merged' }>, text: string): Promise<void> {
    const person = notice.source === 'slack' ? notice.requestedBy : this.options.slackUserOf?.(notice.author);
    if (person) await this.chat.notify(person, text);
    if (this.options.queueChannel) await this.chat.notify(this.options.queueChannel, text);
  }
}
