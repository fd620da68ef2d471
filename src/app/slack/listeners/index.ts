import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionIds, CallbackIds, releaseButtonActionIds } from '../../../adapters/slack/action-ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { auditHistoryOlder } from './actions/audit-history-older.js';
import { deployDowngradeButton } from './actions/deploy-downgrade-button.js';
import { lineStopButton } from './actions/line-stop-button.js';
import { releaseCardButton } from './actions/release-card-button.js';
import { supersedeButton } from './actions/supersede-button.js';
import { verdictDetailsButton } from './actions/verdict-details-button.js';
import { deployCommand } from './commands/deploy.js';
import { doraCommand } from './commands/dora.js';
import { freezeCommand } from './commands/freeze.js';
import { queueCommand } from './commands/queue.js';
import { releaseCommand } from './commands/release.js';
import { rollbackCommand } from './commands/rollback.js';
import { unfreezeCommand } from './commands/unfreeze.js';
import { appHomeOpened } from './events/app-home-opened.js';
import { deployConfirmed } from './views/deploy-confirm.js';
import { deployFormSubmitted } from './views/deploy-form.js';
import { supersedeFormSubmitted } from './views/supersede-form.js';
import { registerUnknownListeners } from './unknown.js';

/** The slash commands by name: registered with Bolt, and handled again after a crash (durable-command.ts). */
export function commandListeners(deps: SlackDeps) {
  return {
    '/deploy': deployCommand(deps),
    '/rollback': rollbackCommand(deps),
    '/release': releaseCommand(deps),
    '/freeze': freezeCommand(deps),
    '/unfreeze': unfreezeCommand(deps),
    '/queue': queueCommand(deps),
    '/dora': doraCommand(deps),
  };
}

/** Every Slack listener, registered in one place. */
export function registerListeners(app: App, deps: SlackDeps): void {
  const commands = commandListeners(deps);
  for (const [name, listener] of Object.entries(commands)) app.command(name, listener);

  const buttonIds = new RegExp(`^(${releaseButtonActionIds.join('|')})$`);
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: buttonIds }, releaseCardButton(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ActionIds.supersede }, supersedeButton(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ActionIds.historyOlder }, auditHistoryOlder(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ActionIds.verdictDetails }, verdictDetailsButton(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: new RegExp(`^(${ActionIds.stopTheLine}|${ActionIds.restartTheLine})$`) }, lineStopButton(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ActionIds.deployDowngrade }, deployDowngradeButton(deps));

  app.view(CallbackIds.deployForm, deployFormSubmitted(deps));
  app.view(CallbackIds.deployConfirm, deployConfirmed(deps));
  app.view(CallbackIds.supersedeForm, supersedeFormSubmitted(deps));

  app.event('app_home_opened', appHomeOpened(deps));

  registerUnknownListeners(app, deps, { actionIds: Object.values(ActionIds), commands: Object.keys(commands) });
}
