import { ActionIds, BlockIds, CallbackIds } from '../action-ids.js';
import { LIMITS, clip, escapeMrkdwn, option, plain, section, type Block } from './block-kit.js';
import type { ModalView } from './deploy-modal.js';

/**
 * The card's "Roll forward…" modal: which service the fix replaces and its version. Submitting it
 * supersedes the release, as `/release supersede <id> <service>@<version>` does.
 */

export interface SupersedeFormInput {
  releaseId: string;
  /** service → what the release ships of it now; empty when the card could not carry them (the name is then typed). */
  ships: Readonly<Record<string, string>>;
  /** The channel of the card pressed: where the answer goes once the modal has closed. */
  channel: string | null;
}

/** What the modal hands back on submit, written by the renderer and parsed by the listener. */
export interface SupersedeFormMetadata {
  releaseId: string;
  channel: string | null;
  /** The services offered, when they fit: a name outside them is a field error. */
  services?: string[];
}

export function encodeSupersedeMetadata(metadata: SupersedeFormMetadata): string {
  const base = { r: metadata.releaseId, c: metadata.channel };
  const full = JSON.stringify({ ...base, ...(metadata.services ? { s: metadata.services } : {}) });
  // Cutting the JSON would break it: past the limit the names are left out and the engine judges them.
  return full.length <= LIMITS.privateMetadata ? full : JSON.stringify(base);
}

function title(text: string): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: clip(text, LIMITS.viewTitle) };
}

export function renderSupersedeForm(input: SupersedeFormInput): ModalView {
  const services = Object.keys(input.ships);
  // A select lists at most 100 options, each value at most 150 characters; otherwise the name is typed.
  const selectable = services.length > 0 && services.length <= LIMITS.selectOptions && services.every((service) => service.length <= LIMITS.optionValue);
  const options = services.map((service) => option(`${service} · ships ${input.ships[service] ?? ''}`, service));
  const [only] = options;
  const serviceElement = selectable
    ? {
        type: 'static_select' as const,
        action_id: ActionIds.supersedeService,
        placeholder: plain('Choose the service the fix replaces', LIMITS.placeholder),
        options,
        ...(options.length === 1 && only ? { initial_option: only } : {}),
      }
    : { type: 'plain_text_input' as const, action_id: ActionIds.supersedeService, placeholder: plain('checkout', LIMITS.placeholder) };
  const blocks: Block[] = [
    section(
      `Ship a fix in place of what release \`${escapeMrkdwn(clip(input.releaseId, 100))}\` ships of one service. ` +
        'It rolls forward from the current stage; environments the release already went through get the fix first.',
    ),
    { type: 'input', block_id: BlockIds.supersedeService, label: plain('Service', LIMITS.inputLabel), element: serviceElement },
    {
      type: 'input',
      block_id: BlockIds.supersedeVersion,
      label: plain('Version of the fix', LIMITS.inputLabel),
      hint: plain('A git SHA or image tag, e.g. v1.4.3', LIMITS.inputLabel),
      element: { type: 'plain_text_input', action_id: ActionIds.supersedeVersion, placeholder: plain('v1.4.3', LIMITS.placeholder) },
    },
  ];
  return {
    type: 'modal',
    callback_id: CallbackIds.supersedeForm,
    title: title('Roll forward'),
    submit: title('Roll forward'),
    close: title('Cancel'),
    private_metadata: encodeSupersedeMetadata({ releaseId: input.releaseId, channel: input.channel, ...(selectable ? { services } : {}) }),
    blocks,
  };
}
