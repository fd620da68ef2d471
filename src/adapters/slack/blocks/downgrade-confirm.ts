import { describeDowngrade, downgradeLabel, type Downgrade } from '../../../domain/release/downgrade.js';
import type { DeployTarget } from '../../../domain/release/types.js';
import { ActionIds } from '../action-ids.js';
import { LIMITS, button, clip, confirmDialog, context, escapeMrkdwn, fitLines, section, type MessageContent } from './block-kit.js';

/** What the downgrade button carries: the deploy to request again, confirmed. */
export interface DowngradeButtonValue {
  target: DeployTarget;
  environment: string;
}

export function encodeDowngradeValue(value: DowngradeButtonValue): string {
  return JSON.stringify(value);
}

/**
 * A deploy that would take services back to older versions stops here: what would go down, each
 * serving → target, and one button naming them, behind a confirm dialog. Nothing ships until it is pressed.
 */
export function renderDowngradeConfirm(input: { message: string; downgrades: readonly Downgrade[]; target: DeployTarget; environment: string }): MessageContent {
  const label = downgradeLabel(input.downgrades);
  const lines = [
    ':warning: *This deploy is a downgrade*',
    ...input.downgrades.map((downgrade) => `• \`${escapeMrkdwn(downgrade.service)}\` serving \`${escapeMrkdwn(downgrade.from)}\` → *${escapeMrkdwn(downgrade.to)}* in ${escapeMrkdwn(downgrade.environments.join(', '))}${downgrade.orderedBy === 'version_sets' ? ' _(older version set)_' : ''}`),
    'What the newer versions shipped is taken back out. Others may have moved these services on since.',
  ];
  return {
    text: input.message,
    blocks: [
      section(fitLines(lines)),
      {
        type: 'actions',
        elements: [
          button({
            actionId: ActionIds.deployDowngrade,
            text: clip(label, LIMITS.buttonText),
            value: encodeDowngradeValue({ target: input.target, environment: input.environment }),
            style: 'danger',
            confirm: confirmDialog({
              title: 'Deploy a downgrade?',
              text: clip(`${input.downgrades.map(describeDowngrade).join('; ')}. You are recorded in the audit log as confirming it.`, LIMITS.confirmText),
              confirm: 'Deploy the downgrade',
              danger: true,
            }),
          }),
        ],
      },
      context('code `downgrade_unconfirmed`'),
    ],
  };
}
