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
  services: string[];
  environments: string[];
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
}

export function renderDeployPreview(input: DeployPreviewInput): ModalView {
  const metadata = JSON.stringify({ service: input.service, version: input.version, environment: input.environment });
  return {
    type: 'modal',
    callback_id: CallbackIds.deployConfirm,
    title: title('Deploy: the plan'),
    submit: title('Deploy'),
    close: title('Cancel'),
    private_metadata: clip(metadata, LIMITS.privateMetadata),
    blocks: [
      section(`*${escapeMrkdwn(input.service)}@${escapeMrkdwn(input.version)}* → *${escapeMrkdwn(input.environment)}*`),
      section(fitLines(input.summary.length > 0 ? input.summary.map(escapeMrkdwnKeepingMentions) : ['(no steps)'])),
      section('_Press *Deploy* to start; the release card will appear in the deploy channel._'),
    ],
  };
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
