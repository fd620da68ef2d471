import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
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
import type { CommandArgs } from './commands/run-command.js';
import { rollbackCommand } from './commands/rollback.js';
import { unfreezeCommand } from './commands/unfreeze.js';
import { appHomeOpened } from './events/app-home-opened.js';
import { deployConfirmed } from './views/deploy-confirm.js';
import { deployFormSubmitted } from './views/deploy-form.js';
import { supersedeFormSubmitted } from './views/supersede-form.js';
import { MODAL_INPUT_IDS, unknownListeners } from './unknown.js';

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

type ButtonListener = (args: SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs) => Promise<void>;
type ViewListener = (args: SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs) => Promise<void>;

/**
 * Every Slack listener, in one place. Bolt runs the middleware chain of every registered listener
 * for every request, matching or not, so each kind of payload has one Bolt listener that routes by
 * name here: the same listener answers as when each was registered with its own constraint.
 */
export function registerListeners(app: App, deps: SlackDeps): void {
  const commands: Record<string, (args: CommandArgs) => Promise<void>> = commandListeners(deps);
  const unknown = unknownListeners(deps, { commands: Object.keys(commands) });
  app.command(/^/, (args) => (Object.hasOwn(commands, args.command.command) ? commands[args.command.command]! : unknown.command)(args));

  const buttons = new Map<string, ButtonListener>();
  const releaseButton = releaseCardButton(deps);
  for (const id of releaseButtonActionIds) buttons.set(id, releaseButton);
  buttons.set(ActionIds.supersede, supersedeButton(deps));
  buttons.set(ActionIds.historyOlder, auditHistoryOlder(deps));
  buttons.set(ActionIds.verdictDetails, verdictDetailsButton(deps));
  const lineStop = lineStopButton(deps);
  buttons.set(ActionIds.stopTheLine, lineStop);
  buttons.set(ActionIds.restartTheLine, lineStop);
  buttons.set(ActionIds.deployDowngrade, deployDowngradeButton(deps));
  for (const id of MODAL_INPUT_IDS) buttons.set(id, unknown.modalInput);
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions' }, (args) => (buttons.get(args.action.action_id) ?? unknown.action)(args));

  const views = new Map<string, ViewListener>([
    [CallbackIds.deployForm, deployFormSubmitted(deps)],
    [CallbackIds.deployConfirm, deployConfirmed(deps)],
    [CallbackIds.supersedeForm, supersedeFormSubmitted(deps)],
  ]);
  app.view<ViewSubmitAction>({ type: 'view_submission', callback_id: /^/ }, (args) => (views.get(args.view.callback_id) ?? unknown.viewSubmission)(args));
  app.view({ type: 'view_closed', callback_id: /^/ }, unknown.viewClosed);

  app.event('app_home_opened', appHomeOpened(deps));
}
