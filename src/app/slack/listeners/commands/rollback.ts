import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { HELP, parseRollback } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

/** `/rollback <service> [in <env>] [to <infra-set>]`: a traffic switch to a warm infra-set. */
export function rollbackCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseRollback(args.command.text, knownNames(deps.config));
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.rollback });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, {
      kind: 'work',
      run: async (actor) => {
        const outcome = await deps.releases.act({
          verb: 'manual_rollback',
          actor,
          service: parsed.service,
          environment: parsed.environment,
          ...(parsed.toInfraSetId ? { toInfraSetId: parsed.toInfraSetId } : {}),
        });
        if (outcome.kind === 'refused') return refusal(outcome);
        const { value } = outcome;
        if ('releaseId' in value) {
          const moves = value.moves.map((move) => `${move.service} in ${move.environment} → ${move.toVersion ?? 'no traffic'}`).join(', ');
          return renderNotice(`Rolling back release \`${value.releaseId}\`, which was moving \`${value.service}\` in ${value.environment}: ${moves || 'nothing had moved yet'}.`);
        }
        return renderNotice(`Rolling back: traffic for \`${value.service}\` in ${value.environment} goes to \`${value.toVersion}\` (infra-set \`${value.toInfraSetId}\`).`);
      },
    });
  };
}
