import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { z } from 'zod';
import { renderVerdictEvidence } from '../../../../adapters/slack/blocks/verdict-evidence.js';
import type { SlackDeps } from '../../slack-deps.js';
import { slackView } from '../../slack-responses.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** The card's health section writes the release id into its Details button. */
const releaseId = z.string().regex(/^[\w-]{1,100}$/);

/**
 * "Details" on a card's health: opens the complete evidence of the last reading in a modal, from the
 * release as it is now. Reading changes nothing, so a double click only opens the same evidence
 * again (the trigger is Slack's; it expires in three seconds, hence no work before views.open).
 */
export function verdictDetailsButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const id = releaseId.safeParse(action.value ?? '');
    if (!id.success) {
      deps.logger.warn({ actionId: action.action_id }, 'a Details button with an unreadable value');
      return;
    }
    try {
      const view = await deps.releases.status(id.data);
      await client.views.open({ trigger_id: body.trigger_id, view: slackView(renderVerdictEvidence(id.data, view?.health ?? null)) });
    } catch (error) {
      deps.logger.error({ err: error, releaseId: id.data }, 'could not open the verdict evidence');
    }
  };
}
