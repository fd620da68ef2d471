import { z } from 'zod';

/** A modal's inputs as Slack echoes them on submit, parsed at the edge. */

/** One input's state; anything else a forged or broken payload holds reads as empty. */
const stateValue = z.looseObject({
  value: z.string().nullish().catch(undefined),
  selected_option: z.looseObject({ value: z.string() }).nullish().catch(undefined),
});

/** `view.state.values`: block_id → action_id → the input's state. */
export const stateValues = z.record(z.string(), z.record(z.string(), z.unknown()).catch({})).catch({});

export type StateValues = z.infer<typeof stateValues>;

/** What one input holds, typed or selected, trimmed; '' when nothing. */
export function read(values: StateValues, blockId: string, actionId: string): string {
  const entry = stateValue.safeParse(values[blockId]?.[actionId]);
  if (!entry.success) return '';
  return (entry.data.selected_option?.value ?? entry.data.value ?? '').trim();
}

export const versionText = z.string().regex(/^[\w.+\-/:]+$/, 'A version is a tag or SHA without spaces, e.g. v1.4.2');
