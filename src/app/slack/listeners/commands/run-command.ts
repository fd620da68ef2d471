import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { MessageContent } from '../../../../adapters/slack/blocks/block-kit.js';
import { renderHelp, renderNotice, renderProblem, type CommandHelp } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { Actor } from '../../../../domain/release/types.js';
import type { CommandProblem } from '../../command-text.js';
import { ephemeral } from '../../slack-responses.js';
import type { SlackDeps } from '../../slack-deps.js';
import { claimFirst } from '../request-key.js';

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;

/** What a command listener decided from the text alone, before any I/O. */
export type CommandStep =
  | { kind: 'help'; help: CommandHelp }
  | CommandProblem
  | { kind: 'reply'; content: MessageContent }
  | { kind: 'work'; run: (actor: Actor, args: CommandArgs) => Promise<MessageContent | null> };

/**
 * The shape of every slash command: answer help and bad arguments in the acknowledgement itself
 * (pure, instant); otherwise claim the request, acknowledge, then do the work and reply ephemerally
 * through the response_url. A retried or replayed request is acknowledged and does nothing.
 */
export async function runCommand(deps: SlackDeps, args: CommandArgs, step: CommandStep): Promise<void> {
  const { command, ack, respond } = args;
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
  // Acknowledge before touching the database, so a busy store never delays the ack; the claim right
  // after still makes a retried or replayed command run once.
  await ack();
  let first: boolean;
  try {
    first = await claimFirst(deps, `command:${command.trigger_id}`, 'slack_command');
  } catch {
    await respond(ephemeral(renderNotice('Durable Delivery cannot reach its database right now; nothing was done. Try again in a minute.'))).catch(() => {});
    return;
  }
  if (!first) return;
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
}

/** An engine refusal as an ephemeral answer, with its stable code. */
export function refusal(outcome: { code: string; message: string }): MessageContent {
  return renderProblem({ code: outcome.code, message: outcome.message });
}
