import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { MessageContent } from '../../../../adapters/slack/blocks/block-kit.js';
import { renderHelp, renderNotice, renderProblem, type CommandHelp } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { Actor } from '../../../../domain/release/types.js';
import type { CommandProblem } from '../../command-text.js';
import { ephemeral } from '../../slack-responses.js';
import type { SlackDeps } from '../../slack-deps.js';
import { COMMAND_LEASE_MS, isRecovered, STORE_BEFORE_ACK_MS, storedCommand } from './durable-command.js';

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** What a command listener decided from the text alone, before any I/O. */
export type CommandStep =
  | { kind: 'help'; help: CommandHelp }
  | CommandProblem
  | { kind: 'reply'; content: MessageContent }
  | {
      kind: 'work';
      run: (actor: Actor, args: CommandArgs) => Promise<MessageContent | null>;
      /**
       * Reads only (/release): nothing to do twice and nothing lost in a crash, so no claim is stored
       * and no lock taken — a retried request simply reads again.
       */
      readOnly?: boolean;
    };

/**
 * The shape of every slash command: answer help and bad arguments in the acknowledgement itself
 * (pure, instant); otherwise store the command with its claim, acknowledge, then do the work and
 * reply ephemerally through the response_url. A retried or replayed request is acknowledged and
 * does nothing; one left unhandled by a crash is handled after the restart (durable-command.ts).
 */
export async function runCommand(deps: SlackDeps, args: CommandArgs, step: CommandStep): Promise<void> {
  const { command, ack } = args;
  const respond = answerTo(deps, command);
  switch (step.kind) {
    case 'help':
      return ack(ephemeral(renderHelp(step.help)));
    case 'problem':
      return ack(ephemeral(renderProblem(step)));
    case 'reply':
      return ack(ephemeral(step.content));
    case 'work':
      break;
  }
  if (step.readOnly) {
    await ack();
    await answer(deps, args, step);
    return;
  }
  // The command is stored with its idempotency claim before the ack, so an acknowledged command
  // survives a crash (a restarted process handles it and tells the user). The ack waits for that
  // at most STORE_BEFORE_ACK_MS: a stuck store must not push the ack past Slack's 3 s.
  const key = `command:${command.trigger_id}`;
  let claimed: Promise<boolean | 'unreachable'> = Promise.resolve(true);
  if (!isRecovered(command)) {
    const now = deps.clock.now();
    claimed = deps.requests.claimCommand(key, 'slack_command', now, storedCommand(command), new Date(now.getTime() + COMMAND_LEASE_MS)).catch((error: unknown) => {
      deps.logger.error({ err: error, key }, 'could not record a Slack request');
      return 'unreachable' as const;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([claimed, new Promise((resolve) => (timer = setTimeout(resolve, STORE_BEFORE_ACK_MS)))]);
    clearTimeout(timer);
  }
  await ack();
  const first = await claimed;
  if (first === 'unreachable') {
    await respond(ephemeral(renderNotice('Durable Delivery cannot reach its database right now; nothing was done. Try again in a minute.'))).catch(() => {});
    return;
  }
  if (!first) return;
  const log = await answer(deps, args, step);
  // Not awaited: the listener is done once the user has the answer (a busy store must not keep it
  // in flight); were this write lost, the restart's recovery would answer the command again.
  void deps.requests.markHandled(key, deps.clock.now()).catch((error: unknown) => log.warn({ err: error, key }, 'could not mark a command handled'));
}

/** Does the work and answers through the response_url (a failure too); answers the command's logger. */
async function answer(deps: SlackDeps, args: CommandArgs, step: Extract<CommandStep, { kind: 'work' }>) {
  const { command } = args;
  const respond = answerTo(deps, command);
  const log = deps.logger.child({ command: command.command, user: command.user_id });
  try {
    const actor = await deps.actors.resolve(command.user_id);
    const content = await step.run(actor, args);
    if (content) await respond(ephemeral(content));
  } catch (error) {
    log.error({ err: error }, 'slash command failed');
    await respond(ephemeral(renderNotice(`${command.command} failed: ${(error as Error).message}. Nothing was retried; check /release list before trying again.`))).catch(
      (respondError: unknown) => log.warn({ err: respondError }, 'could not tell the user'),
    );
  }
  return log;
}

/** Posts to the command's response_url (deps.responseUrls: kept-alive, lighter than Bolt's respond). */
function answerTo(deps: SlackDeps, command: CommandArgs['command']): (message: unknown) => Promise<void> {
  return (message) => deps.responseUrls.post(command.response_url, message);
}

/** An engine refusal as an ephemeral answer, with its stable code. */
export function refusal(outcome: { code: string; message: string }): MessageContent {
  return renderProblem({ code: outcome.code, message: outcome.message });
}
