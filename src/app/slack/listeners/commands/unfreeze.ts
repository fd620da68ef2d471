import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { HELP, parseUnfreeze } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

/** `/unfreeze <env>`, or `/unfreeze all` to restart a stopped line. */
export function unfreezeCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseUnfreeze(args.command.text, knownNames(deps.config));
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.unfreeze });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, {
      kind: 'work',
      run: async (actor) => {
        if (parsed.kind === 'unfreeze_all') {
          const restarted = await deps.releases.act({ verb: 'unfreeze_all', actor });
          if (restarted.kind === 'refused') return refusal(restarted);
          const resumed = restarted.value.resumedReleaseIds;
          return renderNotice(`:large_green_circle: The line runs again. ${resumed.length} release${resumed.length === 1 ? '' : 's'} resumed${resumed.length > 0 ? ` (${resumed.map((id) => `\`${id}\``).join(', ')})` : ''}.`);
        }
        const outcome = await deps.releases.act({ verb: 'unfreeze', actor, environment: parsed.environment });
        if (outcome.kind === 'refused') return refusal(outcome);
        return renderNotice(`${parsed.environment} is no longer frozen (${outcome.value.lifted} freeze${outcome.value.lifted === 1 ? '' : 's'} lifted).`);
      },
    });
  };
}
