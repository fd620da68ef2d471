import { describeDowngrade, downgradeLabel, type Downgrade } from '../../../domain/release/downgrade.js';
import { ActionIds, BlockIds, CallbackIds } from '../action-ids.js';
import { LIMITS, clip, escapeMrkdwn, escapeMrkdwnKeepingMentions, fitLines, option, plain, section, type Block } from './block-kit.js';

/**
 * The /deploy modal in two steps: the form (service, version, environment), then the plan preview,
 * whose submit button starts the release. Nothing ships before the user has seen the plan.
 */

export interface ModalView {
  type: 'modal';
  callback_id: string;
  title: { type: 'plain_text'; text: string };
  submit?: { type: 'plain_text'; text: string };
  close?: { type: 'plain_text'; text: string };
  private_metadata?: string;
  blocks: Block[];
}

export interface DeployFormInput {
  services: readonly string[];
  environments: readonly string[];
  initial?: { service?: string; version?: string; environment?: string };
  /** Why the previous attempt could not be planned, shown above the form. */
  problem?: string;
}

function title(text: string): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: clip(text, LIMITS.viewTitle) };
}

export function renderDeployForm(input: DeployFormInput): ModalView {
  const serviceOptions = input.services.slice(0, LIMITS.selectOptions).map((service) => option(service, service));
  const environmentOptions = input.environments.slice(0, LIMITS.selectOptions).map((environment) => option(environment, environment));
  const initialService = serviceOptions.find((candidate) => candidate.value === input.initial?.service);
  const initialEnvironment = environmentOptions.find((candidate) => candidate.value === (input.initial?.environment ?? input.environments[0]));
  const blocks: Block[] = [
    ...(input.problem ? [section(`:no_entry_sign: ${escapeMrkdwnKeepingMentions(input.problem)}`)] : []),
    {
      type: 'input',
      block_id: BlockIds.deployService,
      label: plain('Service', 2000),
      // Past Slack's 100 options a select cannot list every service: the name is typed instead.
      element:
        input.services.length <= LIMITS.selectOptions && serviceOptions.length > 0
          ? { type: 'static_select', action_id: ActionIds.deployService, placeholder: plain('Choose a service', 150), options: serviceOptions, ...(initialService ? { initial_option: initialService } : {}) }
          : { type: 'plain_text_input', action_id: ActionIds.deployService, placeholder: plain('checkout', 150), ...(input.initial?.service ? { initial_value: input.initial.service } : {}) },
    },
    {
      type: 'input',
      block_id: BlockIds.deployVersion,
      label: plain('Version', 2000),
      hint: plain('A git SHA or image tag, e.g. v1.4.2', 2000),
      element: { type: 'plain_text_input', action_id: ActionIds.deployVersion, placeholder: plain('v1.4.2', 150), ...(input.initial?.version ? { initial_value: input.initial.version } : {}) },
    },
    {
      type: 'input',
      block_id: BlockIds.deployEnvironment,
      label: plain('Environment', 2000),
      element: {
        type: 'static_select',
        action_id: ActionIds.deployEnvironment,
        options: environmentOptions,
        ...(initialEnvironment ? { initial_option: initialEnvironment } : {}),
      },
    },
  ];
  return { type: 'modal', callback_id: CallbackIds.deployForm, title: title('Deploy'), submit: title('Preview plan'), close: title('Cancel'), blocks };
}

export interface DeployPreviewInput {
  service: string;
  version: string;
  environment: string;
  /** Lines describing the plan (the engine's preview summary). */
  summary: string[];
  /** What the plan takes back to older versions: the submit button names them, and pressing it confirms them. */
  downgrades?: readonly Downgrade[];
}

export function renderDeployPreview(input: DeployPreviewInput): ModalView {
  const downgrades = input.downgrades ?? [];
  const metadata = JSON.stringify({ service: input.service, version: input.version, environment: input.environment, ...(downgrades.length > 0 ? { allowDowngrade: true } : {}) });
  return {
    type: 'modal',
    callback_id: CallbackIds.deployConfirm,
    title: title('Deploy: the plan'),
    submit: title(downgrades.length === 0 ? 'Deploy' : submitLabel(downgrades)),
    close: title('Cancel'),
    private_metadata: clip(metadata, LIMITS.privateMetadata),
    blocks: [
      section(`*${escapeMrkdwn(input.service)}@${escapeMrkdwn(input.version)}* → *${escapeMrkdwn(input.environment)}*`),
      section(fitLines(input.summary.length > 0 ? input.summary.map(escapeMrkdwnKeepingMentions) : ['(no steps)'])),
      ...(downgrades.length > 0
        ? [section(`:warning: *This is a downgrade*: ${escapeMrkdwn(downgrades.map(describeDowngrade).join('; '))}. Pressing *${escapeMrkdwn(submitLabel(downgrades))}* confirms it, in your name, in the audit log.`)]
        : []),
      section(`_Press *${downgrades.length > 0 ? 'the button' : 'Deploy'}* to start; the release card will appear in the deploy channel._`),
    ],
  };
}

/** "Deploy, downgrading web" when it fits Slack's 24 characters of a submit button, else "Deploy the downgrade". */
function submitLabel(downgrades: readonly Downgrade[]): string {
  const label = downgradeLabel(downgrades);
  return label.length <= LIMITS.viewTitle ? label : 'Deploy the downgrade';
}

/** Shown while the plan is computed: no submit button until there is a plan to confirm. */
export function renderDeployPlanning(input: { service: string; version: string; environment: string }): ModalView {
  return {
    type: 'modal',
    callback_id: CallbackIds.deployConfirm,
    title: title('Deploy: the plan'),
    close: title('Cancel'),
    blocks: [section(`Planning *${escapeMrkdwn(input.service)}@${escapeMrkdwn(input.version)}* → *${escapeMrkdwn(input.environment)}*…`)],
  };
}
