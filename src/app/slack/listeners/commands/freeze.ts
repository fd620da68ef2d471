import { formatDuration } from '../../../../config/duration.js';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { HELP, parseFreeze } from '../../command-text.js';
import { knownNames, type SlackDeps } from '../../slack-deps.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

/** `/freeze <env> [duration] [reason]`, or `/freeze all [reason]` to stop the line. */
export function freezeCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseFreeze(args.command.text, knownNames(deps.config));
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.freeze });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    return runCommand(deps, args, {
      kind: 'work',
      run: async (actor) => {
        if (parsed.kind === 'freeze_all') {
          const stopped = await deps.releases.act({ verb: 'freeze_all', actor, reason: parsed.reason });
          if (stopped.kind === 'refused') return refusal(stopped);
          const paused = stopped.value.pausedReleaseIds;
          return renderNotice(
            `:octagonal_sign: The line is stopped: every environment is frozen and every merge queue holds. ${paused.length} release${paused.length === 1 ? '' : 's'} paused${paused.length > 0 ? ` (${paused.map((id) => `\`${id}\``).join(', ')})` : ''}. \`/unfreeze all\` restarts the line.`,
          );
        }
        const outcome = await deps.releases.act({ verb: 'freeze', actor, environment: parsed.environment, durationSeconds: parsed.durationSeconds, reason: parsed.reason });
        if (outcome.kind === 'refused') return refusal(outcome);
        return renderNotice(
          `:snowflake: ${parsed.environment} is frozen for ${formatDuration(parsed.durationSeconds)}${outcome.value.until ? ` (until ${outcome.value.until})` : ''}: ${parsed.reason}.`,
        );
      },
    });
  };
}
