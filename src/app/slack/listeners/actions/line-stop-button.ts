import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { ActionIds } from '../../../../adapters/slack/action-ids.js';
import type { SlackDeps } from '../../slack-deps.js';
import { publishHome } from '../events/app-home-opened.js';
import { claimFirst } from '../request-key.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export const APP_HOME_STOP_REASON = 'stopped from App Home';

/**
 * "Stop the line" / "Restart the line" in App Home: the same inputs as `/freeze all` and
 * `/unfreeze all`. The engine checks who pressed; the answer comes as a direct message, and the
 * presser's Home is published again to show the new state.
 */
export function lineStopButton(deps: SlackDeps) {
  return async ({ ack, body, action, client }: ButtonArgs): Promise<void> => {
    await ack();
    const user = body.user.id;
    const stopping = action.action_id === ActionIds.stopTheLine;
    const log = deps.logger.child({ user, actionId: action.action_id });
    try {
      // One click is one input, however often Slack delivers it.
      if (!(await claimFirst(deps, `action:line:${action.action_id}:${user}:${action.action_ts}`, 'slack_action'))) return;
      const actor = await deps.actors.resolve(user);
      const outcome = stopping ? await deps.releases.act({ verb: 'freeze_all', actor, reason: APP_HOME_STOP_REASON }) : await deps.releases.act({ verb: 'unfreeze_all', actor });
      if (outcome.kind === 'refused') {
        await client.chat.postMessage({ channel: user, text: `Nothing changed (\`${outcome.code}\`): ${outcome.message}` });
      } else {
        await client.chat.postMessage({ channel: user, text: stopping ? ':octagonal_sign: You stopped the line.' : ':large_green_circle: You restarted the line.' });
      }
      await publishHome(deps, client, user, actor);
    } catch (error) {
      log.error({ err: error }, 'stopping or restarting the line failed');
    }
  };
}
