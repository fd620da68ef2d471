import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { renderNotice } from '../../../../adapters/slack/blocks/ephemeral.js';
import type { SlackDeps } from '../../slack-deps.js';
import { ephemeral, jsonText } from '../../slack-responses.js';
import { refusal } from '../commands/run-command.js';
import { startedNotice } from '../commands/deploy.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The value renderDowngradeConfirm wrote into the button. */
const downgradeValue = jsonText.pipe(
  z.object({
    target: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('service'), service: z.string().min(1), version: z.string().min(1) }),
      z.object({ kind: z.literal('set'), versionSetId: z.number().int().positive() }),
    ]),
    environment: z.string().min(1),
  }),
);

/**
 * "Deploy, downgrading …", pressed past its confirm dialog: the same deploy again, with the presser
 * recorded as confirming the downgrade. A second press answers with the release the first started.
 */
export function deployDowngradeButton(deps: SlackDeps) {
  return async ({ ack, action, body, respond }: ButtonArgs): Promise<void> => {
    await ack();
    const value = downgradeValue.safeParse(action.value ?? '');
    if (!value.success) {
      deps.logger.warn({ actionId: action.action_id }, 'a downgrade button with an unreadable value');
      await respond(ephemeral(renderNotice('That button could not be read; run the `/deploy` again.'))).catch(() => {});
      return;
    }
    try {
      const actor = await deps.actors.resolve(body.user.id);
      const outcome = await deps.releases.act({ verb: 'deploy', actor, ...value.data, allowDowngrade: true });
      const content = outcome.kind === 'refused' ? refusal(outcome) : renderNotice(startedNotice(deps, outcome.view, outcome.existing));
      await respond({ ...ephemeral(content), replace_original: true });
    } catch (error) {
      deps.logger.error({ err: error }, 'deploy after a confirmed downgrade failed');
      await respond(ephemeral(renderNotice(`The deploy did not start: ${(error as Error).message}`))).catch(() => {});
    }
  };
}
