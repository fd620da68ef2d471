import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ActionIds, CallbackIds, releaseButtonActionIds } from '../../../adapters/slack/action-ids.js';
import type { SlackDeps } from '../slack-deps.js';
import { auditHistoryOlder } from './actions/audit-history-older.js';
import { lineStopButton } from './actions/line-stop-button.js';
import { releaseCardButton } from './actions/release-card-button.js';
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

/** Every Slack listener, registered in one place. */
export function registerListeners(app: App, deps: SlackDeps): void {
  app.command('/deploy', deployCommand(deps));
  app.command('/rollback', rollbackCommand(deps));
  app.command('/release', releaseCommand(deps));
  app.command('/freeze', freezeCommand(deps));
  app.command('/unfreeze', unfreezeCommand(deps));
  app.command('/queue', queueCommand(deps));
  app.command('/dora', doraCommand(deps));

  const buttonIds = new RegExp(`^(${releaseButtonActionIds.join('|')})$`);
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: buttonIds }, releaseCardButton(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ActionIds.historyOlder }, auditHistoryOlder(deps));

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: new RegExp(`^(${ActionIds.stopTheLine}|${ActionIds.restartTheLine})$`) }, lineStopButton(deps));

  app.view(CallbackIds.deployForm, deployFormSubmitted(deps));
  app.view(CallbackIds.deployConfirm, deployConfirmed(deps));

  app.event('app_home_opened', appHomeOpened(deps));
}
