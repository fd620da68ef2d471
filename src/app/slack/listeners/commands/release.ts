import { renderProblem } from '../../../../adapters/slack/blocks/ephemeral.js';
import { renderAuditHistory } from '../../../../adapters/slack/blocks/audit-history.js';
import { renderReleaseCard } from '../../../../adapters/slack/blocks/release-card.js';
import { renderReleaseList } from '../../../../adapters/slack/blocks/release-list.js';
import { HELP, USAGE, didYouMean, parseRelease, releaseSubcommandLike } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { supersedeAndAnswer } from '../supersede-answer.js';
import { runCommand, type CommandArgs } from './run-command.js';

/** A page of history: enough to read on a phone, within Slack's block limit. */
export const HISTORY_PAGE_SIZE = 15;

/**
 * `/release [id | list | history [service] [env] | supersede <id> <service>@<version>]`: one release's
 * card, the active ones, who did what, or a fix rolling a release forward.
 */
export function releaseCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseRelease(args.command.text, knownNames(deps.config));
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.release });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    if (parsed.kind === 'supersede') {
      // A change, not a read: stored with its claim before the ack, so a retried request acts once.
      return runCommand(deps, args, { kind: 'work', run: (actor) => supersedeAndAnswer(deps, actor, parsed) });
    }
    return runCommand(deps, args, {
      kind: 'work',
      readOnly: true,
      run: async () => {
        if (parsed.kind === 'list') return renderReleaseList(await deps.releases.listActive());
        if (parsed.kind === 'history') {
          const scope = { ...(parsed.service ? { service: parsed.service } : {}), ...(parsed.environment ? { environment: parsed.environment } : {}) };
          return renderAuditHistory(scope, await deps.audit.history({ ...scope, limit: HISTORY_PAGE_SIZE }), 1);
        }
        const view = await deps.releases.status(parsed.releaseId);
        if (view) return renderReleaseCard(view);
        const active = await deps.releases.listActive();
        const release = didYouMean(parsed.releaseId, active.map((candidate) => candidate.id));
        const suggestion = release ? `/release ${release}` : releaseSubcommandLike(parsed.releaseId);
        return renderProblem({
          code: 'unknown_release',
          message: `There is no release \`${parsed.releaseId}\`.`,
          usage: USAGE.release,
          ...(suggestion ? { suggestion } : {}),
        });
      },
    });
  };
}
