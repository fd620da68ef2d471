import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { HELP, parseUnfreeze } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

/** `/unfreeze <env>`. */
export function unfreezeCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseUnfreeze(args.command.text, knownNames(deps.config));
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.unfreeze });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, {
      kind: 'work',
      run: async (actor) => {
        const outcome = await deps.releases.unfreeze({ actor, environment: parsed.environment });
        if (outcome.kind === 'refused') return refusal(outcome);
        return renderNotice(`${parsed.environment} is no longer frozen (${outcome.value.lifted} freeze${outcome.value.lifted === 1 ? '' : 's'} lifted).`);
      },
    });
  };
}
