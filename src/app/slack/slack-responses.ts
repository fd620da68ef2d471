import type { RespondArguments } from '@slack/bolt';
import { z } from 'zod';
import type { types } from '@slack/bolt';
import type { MessageContent } from '../../adapters/slack/blocks/block-kit.js';
import type { ModalView } from '../../adapters/slack/blocks/deploy-modal.js';
import type { HomeView } from '../../adapters/slack/blocks/app-home.js';
import { asSlackBlocks } from '../../unchecked.js';

/** Our renderers' blocks handed to Bolt (the cast that says they fit is in src/unchecked.ts). */

type SlackBlocks = types.KnownBlock[];

export function ephemeral(content: MessageContent): RespondArguments {
  return { response_type: 'ephemeral', replace_original: false, text: content.text, blocks: asSlackBlocks(content.blocks) } as RespondArguments;
}

export function messageArgs(content: MessageContent): { text: string; blocks: SlackBlocks } {
  return { text: content.text, blocks: asSlackBlocks(content.blocks) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Bolt's View union; our views are a subset of it.
export function slackView(view: ModalView | HomeView): any {
  return view;
}

/**
 * Text that must hold JSON: what the app wrote into a button value or a modal's private_metadata,
 * handed back by Slack verbatim. Pipe it into the shape expected.
 */
export const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});
