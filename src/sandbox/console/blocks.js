// Renders Slack Block Kit (messages, modals, App Home) to DOM, close enough to Slack's look that a
// card seen here is the card a team would see. Pure: blocks in, elements out; interactive elements
// call `onAction` and the console decides what Slack would send.

const EMOJI = {
  white_check_mark: '✅', heavy_check_mark: '✔️', x: '❌', warning: '⚠️', rocket: '🚀', hourglass: '⌛',
  hourglass_flowing_sand: '⏳', large_green_circle: '🟢', large_yellow_circle: '🟡', red_circle: '🔴',
  large_blue_circle: '🔵', white_circle: '⚪', black_circle: '⚫', rotating_light: '🚨', stopwatch: '⏱️',
  arrows_counterclockwise: '🔄', leftwards_arrow_with_hook: '↩️', rewind: '⏪', pause_button: '⏸️',
  double_vertical_bar: '⏸️', arrow_forward: '▶️', fast_forward: '⏩', no_entry: '⛔', no_entry_sign: '🚫',
  lock: '🔒', unlock: '🔓', snowflake: '❄️', ice_cube: '🧊', package: '📦', ship: '🚢', tada: '🎉',
  construction: '🚧', mag: '🔍', chart_with_upwards_trend: '📈', chart_with_downwards_trend: '📉',
  bar_chart: '📊', thumbsup: '👍', '+1': '👍', eyes: '👀', clock3: '🕒', calendar: '📅', bell: '🔔',
  information_source: 'ℹ️', heavy_minus_sign: '➖', arrow_right: '➡️', link: '🔗', shield: '🛡️',
  fire: '🔥', skull: '💀', stop_sign: '🛑', traffic_light: '🚦', vertical_traffic_light: '🚦',
  heavy_plus_sign: '➕', checkered_flag: '🏁', green_heart: '💚', broken_heart: '💔', zap: '⚡',
  gear: '⚙️', inbox_tray: '📥', outbox_tray: '📤', memo: '📝', bust_in_silhouette: '👤', lock_with_ink_pen: '🔏',
  radio_button: '🔘', black_square_for_stop: '⏹️', twisted_rightwards_arrows: '🔀', sparkles: '✨',
  hammer_and_wrench: '🛠️', test_tube: '🧪', question: '❓', grey_question: '❔', ok: '🆗', new: '🆕',
};

export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') element.className = value;
    else if (key === 'dataset') Object.assign(element.dataset, value);
    else if (key.startsWith('on')) listen(element, key.slice(2), value);
    else element.setAttribute(key, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/**
 * An element's handlers live in a map on it, behind one listener per event type, so an in-place
 * update (the console morphs the DOM rather than rebuilding it) can hand the newest closure to the
 * element that stays on the page.
 */
function listen(element, type, handler) {
  element.handlers ??= {};
  if (!(type in element.handlers)) element.addEventListener(type, (event) => element.handlers[type]?.(event));
  element.handlers[type] = handler;
}

/** Gives `kept` the handlers of `fresh`, its newly rendered twin (and drops those `fresh` lacks). */
export function adoptHandlers(kept, fresh) {
  for (const type of Object.keys(kept.handlers ?? {})) if (!fresh.handlers?.[type]) kept.handlers[type] = undefined;
  for (const [type, handler] of Object.entries(fresh.handlers ?? {})) listen(kept, type, handler);
}

function escapeHtml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Slack escapes &, < and > in text; undo that before escaping for HTML. */
function unescapeSlack(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function emoji(text) {
  return text.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] ?? all);
}

/** Inline mrkdwn on already HTML-escaped text: *bold*, _italic_, ~strike~, `code`. */
function inlineFormat(html) {
  return html
    .replace(/`([^`\n]+)`/g, '<code>$1</code>')
    .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?<])/g, '$1<b>$2</b>')
    .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?<])/g, '$1<i>$2</i>')
    .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?<])/g, '$1<s>$2</s>');
}

/** Slack mrkdwn to safe HTML, with user names from the directory for <@U…> mentions. */
export function mrkdwn(text, users = {}) {
  const parts = [];
  const blocks = String(text ?? '').split(/```/);
  blocks.forEach((segment, index) => {
    if (index % 2 === 1) {
      parts.push(`<pre>${escapeHtml(unescapeSlack(segment.replace(/^\n/, '')))}</pre>`);
      return;
    }
    let html = '';
    let last = 0;
    for (const match of segment.matchAll(/<([^<>]+)>/g)) {
      html += escapeHtml(unescapeSlack(segment.slice(last, match.index)));
      html += token(match[1], users);
      last = match.index + match[0].length;
    }
    html += escapeHtml(unescapeSlack(segment.slice(last)));
    html = html
      .split('\n')
      .map((line) => (line.startsWith('&gt; ') ? `<blockquote>${inlineFormat(line.slice(5))}</blockquote>` : inlineFormat(line)))
      .join('<br>');
    parts.push(emoji(html));
  });
  return parts.join('');
}

function token(inner, users) {
  const [target, label] = inner.split('|');
  if (target.startsWith('@')) {
    const id = target.slice(1);
    return `<span class="mention">@${escapeHtml(label ?? users[id]?.name ?? id)}</span>`;
  }
  if (target.startsWith('#')) return `<span class="mention">#${escapeHtml(label ?? target.slice(1))}</span>`;
  if (target.startsWith('!subteam^')) return `<span class="mention">@${escapeHtml(label ?? target.slice(9))}</span>`;
  if (target.startsWith('!date^')) {
    const [, seconds] = target.split('^');
    return `<span class="date">${escapeHtml(new Date(Number(seconds) * 1000).toISOString().replace('T', ' ').slice(0, 16))} UTC</span>`;
  }
  if (target.startsWith('!')) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
  const url = unescapeSlack(target);
  const safe = /^(https?:|mailto:)/.test(url) ? url : '#';
  return `<a href="${escapeHtml(safe)}" target="_blank" rel="noreferrer">${escapeHtml(unescapeSlack(label ?? url))}</a>`;
}

export function textObject(object, context) {
  if (!object) return h('span');
  const span = h('span', { class: `text ${object.type}` });
  if (object.type === 'mrkdwn') span.innerHTML = mrkdwn(object.text, context.users);
  else span.innerHTML = object.emoji === false ? escapeHtml(object.text) : emoji(escapeHtml(object.text));
  return span;
}

/**
 * context: { users, onAction(element, block), errors?: {block_id: message}, surface: 'message'|'modal'|'home' }
 */
export function renderBlocks(blocks, context) {
  return h('div', { class: 'blocks' }, (blocks ?? []).map((block) => renderBlock(block, context)));
}

function renderBlock(block, context) {
  const dataset = { blockType: block.type, blockId: block.block_id ?? '' };
  switch (block.type) {
    case 'header':
      return h('div', { class: 'block header', dataset }, textObject(block.text, context));
    case 'divider':
      return h('hr', { class: 'block divider', dataset });
    case 'section':
      return h(
        'div',
        { class: 'block section', dataset },
        h(
          'div',
          { class: 'section-body' },
          block.text ? h('div', { class: 'section-text' }, textObject(block.text, context)) : null,
          block.fields ? h('div', { class: 'fields' }, block.fields.map((field) => h('div', { class: 'field' }, textObject(field, context)))) : null,
        ),
        block.accessory ? h('div', { class: 'accessory' }, renderElement(block.accessory, block, context)) : null,
      );
    case 'context':
      return h(
        'div',
        { class: 'block context', dataset },
        (block.elements ?? []).map((element) =>
          element.type === 'image' ? h('img', { src: element.image_url, alt: element.alt_text, class: 'context-image' }) : textObject(element, context),
        ),
      );
    case 'actions':
      return h('div', { class: 'block actions', dataset }, (block.elements ?? []).map((element) => renderElement(element, block, context)));
    case 'image':
      return h('div', { class: 'block image', dataset }, block.title ? textObject(block.title, context) : null, h('img', { src: block.image_url, alt: block.alt_text }));
    case 'input': {
      const error = context.errors?.[block.block_id];
      return h(
        'label',
        { class: `block input${error ? ' has-error' : ''}`, dataset },
        h('div', { class: 'input-label' }, textObject(block.label, context), block.optional ? h('span', { class: 'optional' }, ' (optional)') : null),
        renderInput(block.element, block, context),
        block.hint ? h('div', { class: 'hint' }, textObject(block.hint, context)) : null,
        error ? h('div', { class: 'input-error', 'data-testid': 'input-error' }, error) : null,
      );
    }
    case 'rich_text':
      return h('div', { class: 'block rich-text', dataset }, richText(block.elements ?? []));
    default:
      return h('div', { class: 'block unsupported', dataset }, `[${block.type} block]`);
  }
}

function richText(elements) {
  return elements.map((element) => {
    if (element.type === 'rich_text_section') return h('div', {}, (element.elements ?? []).map(richInline));
    if (element.type === 'rich_text_preformatted') return h('pre', {}, (element.elements ?? []).map(richInline));
    if (element.type === 'rich_text_quote') return h('blockquote', {}, (element.elements ?? []).map(richInline));
    if (element.type === 'rich_text_list') return h('ul', {}, (element.elements ?? []).map((item) => h('li', {}, richText([item]))));
    return null;
  });
}

function richInline(element) {
  if (element.type === 'text') {
    const style = element.style ?? {};
    let node = document.createTextNode(element.text);
    if (style.code) node = h('code', {}, node);
    if (style.bold) node = h('b', {}, node);
    if (style.italic) node = h('i', {}, node);
    if (style.strike) node = h('s', {}, node);
    return node;
  }
  if (element.type === 'link') return h('a', { href: element.url, target: '_blank' }, element.text ?? element.url);
  if (element.type === 'emoji') return EMOJI[element.name] ?? `:${element.name}:`;
  if (element.type === 'user') return h('span', { class: 'mention' }, `@${element.user_id}`);
  return null;
}

function renderElement(element, block, context) {
  switch (element.type) {
    case 'button':
      return h(
        'button',
        {
          class: `sk-button ${element.style ?? 'default'}`,
          type: 'button',
          dataset: { actionId: element.action_id ?? '', value: element.value ?? '' },
          onclick: () => (element.url ? window.open(element.url, '_blank') : context.onAction(element, block, element.value)),
        },
        textObject(element.text, context),
      );
    case 'image':
      return h('img', { class: 'accessory-image', src: element.image_url, alt: element.alt_text });
    case 'overflow':
    case 'static_select': {
      const select = h(
        'select',
        {
          class: 'sk-select',
          dataset: { actionId: element.action_id ?? '' },
          onchange: (event) => {
            if (event.target.value) context.onAction(element, block, event.target.value);
          },
        },
        h('option', { value: '' }, element.type === 'overflow' ? '⋯' : (element.placeholder?.text ?? 'Select…')),
        (element.options ?? []).map((option) => h('option', { value: option.value }, option.text?.text ?? option.value)),
      );
      return select;
    }
    default:
      return h('span', { class: 'unsupported' }, `[${element.type}]`);
  }
}

function renderInput(element, block, context) {
  const actionId = element.action_id ?? block.block_id;
  const dataset = { inputActionId: actionId, blockId: block.block_id ?? '' };
  switch (element.type) {
    case 'plain_text_input':
      return element.multiline
        ? h('textarea', { class: 'sk-input', dataset, placeholder: element.placeholder?.text }, element.initial_value ?? '')
        : h('input', { class: 'sk-input', dataset, placeholder: element.placeholder?.text, value: element.initial_value ?? '' });
    case 'static_select':
    case 'external_select':
    case 'radio_buttons': {
      const initial = element.initial_option?.value;
      return h(
        'select',
        { class: 'sk-input', dataset },
        initial ? null : h('option', { value: '' }, element.placeholder?.text ?? 'Select…'),
        (element.options ?? flattenGroups(element.option_groups)).map((option) =>
          h('option', { value: option.value, selected: option.value === initial }, option.text?.text ?? option.value),
        ),
      );
    }
    case 'number_input':
      return h('input', { class: 'sk-input', type: 'number', dataset, value: element.initial_value ?? '' });
    default:
      return h('input', { class: 'sk-input', dataset, placeholder: `[${element.type}]` });
  }
}

function flattenGroups(groups) {
  return (groups ?? []).flatMap((group) => group.options ?? []);
}

/** The values a view_submission carries: action_id → text or selected option value. */
export function collectInputValues(container) {
  const values = {};
  for (const input of container.querySelectorAll('[data-input-action-id]')) {
    if (input.value !== '') values[input.dataset.inputActionId] = input.value;
  }
  return values;
}
