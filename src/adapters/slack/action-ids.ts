/**
 * Every action_id, callback_id and block_id the app renders and listens for, in one place: a renderer
 * and its listener can never drift apart.
 */
export const ActionIds = {
  approve: 'release_approve',
  pause: 'release_pause',
  resume: 'release_resume',
  promote: 'release_promote',
  rollback: 'release_rollback',
  abort: 'release_abort',
  /** The card's "Roll forward…": opens the supersede modal (it acts only once the modal is submitted). */
  supersede: 'release_supersede',
  supersedeService: 'supersede_service',
  supersedeVersion: 'supersede_version',
  deployService: 'deploy_service',
  deployVersion: 'deploy_version',
  deployEnvironment: 'deploy_environment',
  /** On the card's health: opens the verdict evidence of the last reading in a modal. */
  verdictDetails: 'verdict_details',
  /** `/release history`: the next, older page. */
  historyOlder: 'history_older',
  /** Under a deploy that would downgrade services: "Deploy, downgrading payments", behind a confirm dialog. */
  deployDowngrade: 'deploy_downgrade',
  /** App Home, for those who may freeze every environment. */
  stopTheLine: 'line_stop',
  restartTheLine: 'line_restart',
} as const;

export type ReleaseButtonAction = 'approve' | 'pause' | 'resume' | 'promote' | 'rollback' | 'abort';

export const RELEASE_BUTTON_ACTIONS: readonly ReleaseButtonAction[] = ['approve', 'pause', 'resume', 'promote', 'rollback', 'abort'];

export const releaseButtonActionIds: readonly string[] = RELEASE_BUTTON_ACTIONS.map((action) => ActionIds[action]);

export function releaseActionFromId(actionId: string): ReleaseButtonAction | undefined {
  return RELEASE_BUTTON_ACTIONS.find((action) => ActionIds[action] === actionId);
}

export const CallbackIds = {
  /** The /deploy modal, first step: choose service, version, environment. */
  deployForm: 'deploy_form',
  /** The /deploy modal, second step: the plan preview; submitting it starts the release. */
  deployConfirm: 'deploy_confirm',
  /** The verdict evidence modal (read-only). */
  verdictEvidence: 'verdict_evidence',
  /** The card's "Roll forward…" modal: choose the service, type the fix's version; submitting supersedes. */
  supersedeForm: 'supersede_form',
} as const;

export const BlockIds = {
  deployService: 'deploy_service_block',
  deployVersion: 'deploy_version_block',
  deployEnvironment: 'deploy_environment_block',
  cardActions: 'release_actions',
  supersedeService: 'supersede_service_block',
  supersedeVersion: 'supersede_version_block',
} as const;
