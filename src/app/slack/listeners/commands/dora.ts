import { renderDoraReport } from '../../../../adapters/slack/blocks/dora-report.js';
import { HELP, parseDora } from '../../command-text.js';
import { knownNames, knownTeams, type SlackDeps } from '../../slack-deps.js';
import { runCommand, type CommandArgs } from './run-command.js';

/** `/dora [service | team <team>] [7d|30d|90d]`: the four DORA figures, their trend and a small chart. */
export function doraCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseDora(args.command.text, { ...knownNames(deps.config), teams: knownTeams(deps.config) });
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.dora });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, { kind: 'work', run: async () => renderDoraReport(await deps.dora.report(parsed.scope, parsed.days)) });
  };
}
