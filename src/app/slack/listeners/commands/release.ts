import { renderProblem } from '../../../../adapters/slack/blocks/ephemeral.js';
import { renderReleaseCard } from '../../../../adapters/slack/blocks/release-card.js';
import { renderReleaseList } from '../../../../adapters/slack/blocks/release-list.js';
import { HELP, USAGE, didYouMean, parseRelease } from '../../command-text.js';
import type { SlackDeps } from '../../slack-deps.js';
import { runCommand, type CommandArgs } from './run-command.js';

/** `/release [id | list]`: the card of one release, or the active ones. */
export function releaseCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseRelease(args.command.text);
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.release });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, {
      kind: 'work',
      run: async () => {
        if (parsed.kind === 'list') return renderReleaseList(await deps.releases.listActive());
        const view = await deps.releases.status(parsed.releaseId);
        if (view) return renderReleaseCard(view);
        const active = await deps.releases.listActive();
        const suggestion = didYouMean(parsed.releaseId, active.map((candidate) => candidate.id));
        return renderProblem({
          code: 'unknown_release',
          message: `There is no release \`${parsed.releaseId}\`.`,
          usage: USAGE.release,
          ...(suggestion ? { suggestion: `/release ${suggestion}` } : {}),
        });
      },
    });
  };
}
