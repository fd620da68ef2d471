import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import { queueLines } from '../../../../adapters/slack/blocks/queue-lines.js';
import { HELP, parseQueue } from '../../command-text.js';
import type { SlackDeps } from '../../slack-deps.js';
import { refusal, runCommand, type CommandArgs } from './run-command.js';

const NOT_ENABLED = 'The merge queue is not enabled on this workspace (add a `mergeQueue` section to delivery.yaml).';

/** `/queue`, `/queue add owner/repo#N`, `/queue remove owner/repo#N`. */
export function queueCommand(deps: SlackDeps) {
  return async (args: CommandArgs): Promise<void> => {
    const parsed = parseQueue(args.command.text);
    if (parsed.kind === 'help') return runCommand(deps, args, { kind: 'help', help: HELP.queue });
    if (parsed.kind === 'problem') return runCommand(deps, args, parsed);
    const queue = deps.mergeQueue;
    if (!queue) return runCommand(deps, args, { kind: 'reply', content: renderNotice(NOT_ENABLED) });
    return runCommand(deps, args, {
      kind: 'work',
      run: async (actor) => {
        switch (parsed.kind) {
          case 'list': {
            const view = await queue.list();
            const lines = queueLines(view.queues);
            return renderNotice(lines.length > 0 ? 'The merge queue:' : 'The merge queue is empty.', lines);
          }
          case 'add': {
            const outcome = await queue.enqueue({ repo: parsed.repo, pullNumber: parsed.pullNumber, requestedBy: actor.userId, source: 'slack' });
            if (outcome.kind === 'refused') return refusal(outcome);
            return renderNotice(`${parsed.repo}#${parsed.pullNumber} is in the merge queue${outcome.position ? `, position ${outcome.position}` : ''}.`);
          }
          case 'remove': {
            const outcome = await queue.remove({ repo: parsed.repo, pullNumber: parsed.pullNumber, actor: actor.userId });
            return outcome.kind === 'refused' ? refusal(outcome) : renderNotice(`${parsed.repo}#${parsed.pullNumber} left the merge queue.`);
          }
        }
      },
    });
  };
}
