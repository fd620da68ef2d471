import type { Logger } from 'pino';
import { assertNever } from '../../domain/assert-never.js';
import type { MergeQueueNotice } from '../../domain/merge-queue/effects.js';
import type { SlackPeople } from '../../ports/slack-people.js';
import type { MergeQueueNotifier } from './ports.js';

/** The one Chat method this needs (structurally the Chat port's `notify`). */
export interface NotifyChannel {
  notify(channelOrUserId: string, text: string): Promise<void>;
}

/** Where a GitHub login's public e-mail is found (GitHub's users API). */
export interface PublicEmails {
  publicEmailOf(githubLogin: string): Promise<string | null>;
}

export interface ChatMergeQueueNotifierOptions {
  /** Queue channel per repository (owner/name, case-insensitive); "*" for every other one. */
  channels?: Record<string, string>;
  /** GitHub login → Slack user id, for entries that came in by label. */
  slackUsers?: Record<string, string>;
  /** Fallback for unmapped logins: their public GitHub e-mail, looked up in Slack (users.lookupByEmail). */
  emailLookup?: { emails: PublicEmails; people: SlackPeople };
  /** Called when a queue's content or pause changed: refresh a queue card or App Home. */
  onQueueChanged?: (queue: { repo: string; baseBranch: string }) => Promise<void>;
  logger?: Logger;
}

/**
 * Turns queue notices into Slack text: a line in the repository's queue channel, and a direct
 * message to whoever must act (the Slack user who queued it, or the PR's author found by the
 * login map or by e-mail). Runs from the queue's outbox, so a failure here is retried.
 */
export class ChatMergeQueueNotifier implements MergeQueueNotifier {
  private readonly found = new Map<string, string | null>();

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
        const text = `:x: ${link(notice)} _${notice.title}_ left the merge queue (\`${notice.reason.code}\`): ${notice.reason.message}.`;
        await this.toPersonAndChannel(notice, text);
        return;
      }
      case 'merged': {
        const sets = notice.versionSetIds.length > 0 ? ` — version set ${notice.versionSetIds.map((id) => `#${id}`).join(', ')}` : '';
        await this.toPersonAndChannel(notice, `:white_check_mark: ${link(notice)} _${notice.title}_ merged as \`${notice.mergeCommitSha.slice(0, 7)}\`${sets}.`);
        return;
      }
      case 'paused':
        await this.toChannel(notice.repo, `:double_vertical_bar: The merge queue of ${notice.repo} → \`${notice.baseBranch}\` is paused (\`${notice.code}\`): ${notice.message}. Nothing merges until it resumes.`);
        return;
      case 'resumed':
        await this.toChannel(notice.repo, `:arrow_forward: The merge queue of ${notice.repo} → \`${notice.baseBranch}\` resumed merging.`);
        return;
      case 'deploy': {
        const outcome = notice.outcome;
        switch (outcome.kind) {
          case 'started':
            await this.toChannel(notice.repo, `:rocket: Version set #${notice.versionSetId} is deploying to ${notice.environment} (release ${outcome.releaseId}).`);
            return;
          case 'waiting': {
            const superseded = outcome.superseded !== null ? ` It supersedes set #${outcome.superseded}, which was waiting.` : '';
            await this.toChannel(notice.repo, `:hourglass: Version set #${notice.versionSetId} waits for ${notice.environment}, which is busy: ${outcome.reason}. It deploys as soon as the environment frees up.${superseded}`);
            return;
          }
          case 'refused':
            await this.toChannel(notice.repo, `:warning: Version set #${notice.versionSetId} was not deployed to ${notice.environment} (\`${outcome.code}\`): ${outcome.message}.`);
            return;
          default:
            assertNever(outcome, 'deploy outcome');
        }
        return;
      }
      default:
        assertNever(notice, 'merge queue notice');
    }
  }

  /** The queue channel of a repository: its own, else "*", else none. */
  channelOf(repo: string): string | undefined {
    const channels = this.options.channels ?? {};
    const own = Object.entries(channels).find(([name]) => name.toLowerCase() === repo.toLowerCase());
    return own?.[1] ?? channels['*'];
  }

  private async toChannel(repo: string, text: string): Promise<void> {
    const channel = this.channelOf(repo);
    if (channel) await this.chat.notify(channel, text);
  }

  private async toPersonAndChannel(notice: Extract<MergeQueueNotice, { kind: 'ejected' | 'merged' }>, text: string): Promise<void> {
    const person = notice.source === 'slack' ? notice.requestedBy : await this.slackUserOf(notice.author);
    const channel = this.channelOf(notice.repo);
    if (person) await this.chat.notify(person, text);
    if (channel) await this.chat.notify(channel, person ? `${text} <@${person}>` : `${text} (${notice.author} on GitHub has no known Slack user)`);
  }

  /** The configured map first, then the login's public e-mail looked up in Slack (remembered either way). */
  async slackUserOf(githubLogin: string): Promise<string | null> {
    const mapped = Object.entries(this.options.slackUsers ?? {}).find(([login]) => login.toLowerCase() === githubLogin.toLowerCase());
    if (mapped) return mapped[1];
    if (this.found.has(githubLogin)) return this.found.get(githubLogin) ?? null;
    const lookup = this.options.emailLookup;
    if (!lookup) return null;
    const email = await lookup.emails.publicEmailOf(githubLogin);
    let userId: string | null = null;
    if (email) {
      const answer = await lookup.people.userIdByEmail(email);
      if (answer.kind === 'found') userId = answer.userId;
      if (answer.kind === 'not_permitted') this.options.logger?.warn({ reason: answer.reason }, 'merge queue: cannot look Slack users up by e-mail');
    }
    this.found.set(githubLogin, userId);
    return userId;
  }
}

function link(notice: { url: string; repo: string; pullNumber: number }): string {
  return `<${notice.url}|${notice.repo}#${notice.pullNumber}>`;
}
