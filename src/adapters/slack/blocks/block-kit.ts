/**
 * Block Kit building blocks with Slack's limits applied where text is made, so no renderer can post
 * a message Slack would refuse (the limits Slack documents for Block Kit).
 */

export type TextObject = { type: 'plain_text'; text: string; emoji?: boolean } | { type: 'mrkdwn'; text: string };

export type Confirm = { title: TextObject; text: TextObject; confirm: TextObject; deny: TextObject; style?: 'primary' | 'danger' };

export type Button = {
  type: 'button';
  action_id: string;
  text: TextObject;
  value?: string;
  style?: 'primary' | 'danger';
  confirm?: Confirm;
};

export type Option = { text: TextObject; value: string };

export type SelectElement = {
  type: 'static_select';
  action_id: string;
  placeholder?: TextObject;
  options: Option[];
  initial_option?: Option;
};

export type TextInputElement = {
  type: 'plain_text_input';
  action_id: string;
  placeholder?: TextObject;
  initial_value?: string;
};

export type Block =
  | { type: 'header'; block_id?: string; text: TextObject }
  | { type: 'section'; block_id?: string; text?: TextObject; fields?: TextObject[]; accessory?: Button }
  | { type: 'context'; block_id?: string; elements: TextObject[] }
  | { type: 'divider'; block_id?: string }
  | { type: 'actions'; block_id?: string; elements: Button[] }
  | { type: 'input'; block_id: string; label: TextObject; element: SelectElement | TextInputElement; hint?: TextObject; optional?: boolean };

export interface MessageContent {
  /** The notification and screen-reader text. */
  text: string;
  blocks: Block[];
}

export const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  fieldText: 2000,
  headerText: 150,
  buttonText: 75,
  buttonValue: 2000,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  viewTitle: 24,
  inputLabel: 2000,
  placeholder: 150,
  privateMetadata: 3000,
  contextElements: 10,
} as const;

/** Shortens text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** Escapes the three characters mrkdwn treats as control characters. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * What the engine writes into its text that Slack should render: a user mention or channel link
 * (`<@U0ALICE>`, `<#C0DEPLOYS>`), or an ISO time (`2026-11-24T14:00:00.000Z`), shown as a date token.
 */
const ENGINE_MENTION = /(<@[UW][A-Z0-9]+>|<#C[A-Z0-9]+>|\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?Z\b)/;

/**
 * Escapes text the engine composed (refusals, summaries, reasons) for mrkdwn, except the mentions
 * the engine wrote into it: "<@U0ALICE> may not deploy" names Alice instead of showing raw
 * brackets, and a time reads in each reader's own time zone. Anything else in angle brackets — a typed `<!channel>`, a link — stays inert text.
 */
export function escapeMrkdwnKeepingMentions(text: string): string {
  return text
    .split(ENGINE_MENTION)
    .map((part, index) => (index % 2 === 0 ? escapeMrkdwn(part) : part.startsWith('<') ? part : slackDate(part)))
    .join('');
}

export function plain(text: string, max: number = LIMITS.sectionText): TextObject {
  return { type: 'plain_text', text: clip(text.length === 0 ? ' ' : text, max), emoji: true };
}

export function mrkdwn(text: string, max: number = LIMITS.sectionText): TextObject {
  return { type: 'mrkdwn', text: clip(text.length === 0 ? ' ' : text, max) };
}

export function header(text: string): Block {
  return { type: 'header', text: plain(text, LIMITS.headerText) };
}

export function section(text: string, blockId?: string): Block {
  return { type: 'section', ...(blockId ? { block_id: blockId } : {}), text: mrkdwn(text) };
}

export function context(...texts: string[]): Block {
  return { type: 'context', elements: texts.slice(0, LIMITS.contextElements).map((text) => mrkdwn(text)) };
}

export function divider(): Block {
  return { type: 'divider' };
}

/**
 * Joins lines into one section text within Slack's limit: lines that do not fit are summarised as
 * "…and N more" rather than cut mid-word.
 */
export function fitLines(lines: string[], max: number = LIMITS.sectionText): string {
  const kept: string[] = [];
  let length = 0;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const remaining = lines.length - index;
    const tail = `…and ${remaining} more`;
    if (length + line.length + 1 + tail.length + 1 > max && remaining > 1) {
      kept.push(`…and ${remaining} more`);
      return kept.join('\n');
    }
    kept.push(clip(line, max - length));
    length += line.length + 1;
  }
  return clip(kept.join('\n'), max);
}

export function button(options: { actionId: string; text: string; value?: string; style?: 'primary' | 'danger'; confirm?: Confirm }): Button {
  return {
    type: 'button',
    action_id: options.actionId,
    text: plain(options.text, LIMITS.buttonText),
    ...(options.value !== undefined ? { value: clip(options.value, LIMITS.buttonValue) } : {}),
    ...(options.style ? { style: options.style } : {}),
    ...(options.confirm ? { confirm: options.confirm } : {}),
  };
}

export function confirmDialog(options: { title: string; text: string; confirm: string; deny?: string; danger?: boolean }): Confirm {
  return {
    title: plain(options.title, LIMITS.confirmTitle),
    text: mrkdwn(options.text, LIMITS.confirmText),
    confirm: plain(options.confirm, LIMITS.confirmButton),
    deny: plain(options.deny ?? 'Cancel', LIMITS.confirmButton),
    ...(options.danger ? { style: 'danger' as const } : {}),
  };
}

export function option(text: string, value: string): Option {
  return { text: plain(text, LIMITS.optionText), value: clip(value, LIMITS.optionValue) };
}

/** `<@U123>` mentions a user; Slack renders the name. */
export function mention(userId: string): string {
  return `<@${userId}>`;
}

/**
 * A time as a Slack date token: every reader sees it in their own time zone; clients that cannot
 * render tokens show the UTC fallback.
 */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeMrkdwn(iso);
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback} UTC>`;
}

/** Who was told: a `#channel` name as text, a Slack user id as a mention. */
export function recipient(channelOrUser: string): string {
  return /^[UW][A-Z0-9]+$/.test(channelOrUser) ? mention(channelOrUser) : escapeMrkdwn(channelOrUser);
}
