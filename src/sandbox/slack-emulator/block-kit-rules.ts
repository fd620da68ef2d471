/**
 * The few Block Kit facts the emulator checks, carried in code (from Slack's published Block Kit
 * schema and the limits no schema states). Each check returns the problems found as readable paths,
 * so a test failure says exactly which element broke which rule.
 */

type Json = Record<string, unknown>;

const LIMITS = {
  messageBlocks: 50,
  viewBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  blockId: 255,
  actionId: 255,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionsElements: 25,
  contextElements: 10,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  optionText: 75,
  optionValue: 150,
  selectOptions: 100,
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
  privateMetadata: 3000,
  callbackId: 255,
  inputLabel: 2000,
  placeholder: 150,
} as const;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Checker {
  readonly problems: string[] = [];
  fail(path: string, message: string): void {
    this.problems.push(`${path}: ${message}`);
  }

  text(value: unknown, path: string, options: { plainOnly?: boolean; max: number }): void {
    if (!isObject(value)) return this.fail(path, 'expected a text object');
    const type = value.type;
    if (type !== 'plain_text' && type !== 'mrkdwn') return this.fail(path, `unknown text type ${String(type)}`);
    if (options.plainOnly && type !== 'plain_text') this.fail(path, 'must be plain_text');
    if (typeof value.text !== 'string') return this.fail(`${path}.text`, 'required string');
    if (value.text.length === 0) this.fail(`${path}.text`, 'must not be empty');
    if (value.text.length > options.max) this.fail(`${path}.text`, `longer than ${options.max} characters (${value.text.length})`);
    for (const key of Object.keys(value)) {
      if (!['type', 'text', 'emoji', 'verbatim'].includes(key)) this.fail(path, `unknown field ${key}`);
    }
  }

  maxString(value: unknown, path: string, max: number, required = false): void {
    if (value === undefined) {
      if (required) this.fail(path, 'required');
      return;
    }
    if (typeof value !== 'string') return this.fail(path, 'expected a string');
    if (value.length > max) this.fail(path, `longer than ${max} characters (${value.length})`);
  }

  confirm(value: unknown, path: string): void {
    if (!isObject(value)) return this.fail(path, 'expected a confirm object');
    this.text(value.title, `${path}.title`, { plainOnly: true, max: LIMITS.confirmTitle });
    this.text(value.text, `${path}.text`, { max: LIMITS.confirmText });
    this.text(value.confirm, `${path}.confirm`, { plainOnly: true, max: LIMITS.confirmButton });
    this.text(value.deny, `${path}.deny`, { plainOnly: true, max: LIMITS.confirmButton });
    if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') this.fail(`${path}.style`, 'primary or danger');
  }

  option(value: unknown, path: string): void {
    if (!isObject(value)) return this.fail(path, 'expected an option object');
    this.text(value.text, `${path}.text`, { max: LIMITS.optionText });
    this.maxString(value.value, `${path}.value`, LIMITS.optionValue, true);
  }

  element(value: unknown, path: string, context: 'actions' | 'section' | 'input', actionIds: Set<string>): void {
    if (!isObject(value)) return this.fail(path, 'expected an element object');
    if (value.action_id !== undefined) {
      this.maxString(value.action_id, `${path}.action_id`, LIMITS.actionId);
      if (typeof value.action_id === 'string') {
        if (actionIds.has(value.action_id)) this.fail(`${path}.action_id`, `duplicate action_id ${value.action_id} in one block`);
        actionIds.add(value.action_id);
      }
    }
    switch (value.type) {
      case 'button':
        if (context === 'input') return this.fail(path, 'a button cannot be an input element');
        this.text(value.text, `${path}.text`, { plainOnly: true, max: LIMITS.buttonText });
        this.maxString(value.value, `${path}.value`, LIMITS.buttonValue);
        this.maxString(value.url, `${path}.url`, LIMITS.buttonUrl);
        if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') this.fail(`${path}.style`, 'primary or danger');
        if (value.confirm !== undefined) this.confirm(value.confirm, `${path}.confirm`);
        return;
      case 'static_select': {
        if (value.placeholder !== undefined) this.text(value.placeholder, `${path}.placeholder`, { plainOnly: true, max: LIMITS.placeholder });
        const options = value.options;
        if (!Array.isArray(options) || options.length === 0) return this.fail(`${path}.options`, 'required non-empty array');
        if (options.length > LIMITS.selectOptions) this.fail(`${path}.options`, `more than ${LIMITS.selectOptions}`);
        options.forEach((option, index) => this.option(option, `${path}.options[${index}]`));
        if (value.initial_option !== undefined) this.option(value.initial_option, `${path}.initial_option`);
        return;
      }
      case 'plain_text_input':
        if (context !== 'input') this.fail(path, 'plain_text_input only fits an input block');
        if (value.placeholder !== undefined) this.text(value.placeholder, `${path}.placeholder`, { plainOnly: true, max: LIMITS.placeholder });
        if (value.initial_value !== undefined && typeof value.initial_value !== 'string') this.fail(`${path}.initial_value`, 'expected a string');
        return;
      case 'overflow': {
        const options = value.options;
        if (!Array.isArray(options) || options.length < 1 || options.length > 5) return this.fail(`${path}.options`, '1 to 5 options');
        options.forEach((option, index) => this.option(option, `${path}.options[${index}]`));
        return;
      }
      default:
        this.fail(path, `unsupported element type ${String(value.type)}`);
    }
  }

  block(value: unknown, path: string, blockIds: Set<string>, surface: 'message' | 'modal' | 'home'): void {
    if (!isObject(value)) return this.fail(path, 'expected a block object');
    if (value.block_id !== undefined) {
      this.maxString(value.block_id, `${path}.block_id`, LIMITS.blockId);
      if (typeof value.block_id === 'string') {
        if (blockIds.has(value.block_id)) this.fail(`${path}.block_id`, `duplicate block_id ${value.block_id}`);
        blockIds.add(value.block_id);
      }
    }
    const actionIds = new Set<string>();
    switch (value.type) {
      case 'header':
        this.text(value.text, `${path}.text`, { plainOnly: true, max: LIMITS.headerText });
        return;
      case 'divider':
        return;
      case 'section': {
        if (value.text === undefined && value.fields === undefined) return this.fail(path, 'a section needs text or fields');
        if (value.text !== undefined) this.text(value.text, `${path}.text`, { max: LIMITS.sectionText });
        if (value.fields !== undefined) {
          if (!Array.isArray(value.fields) || value.fields.length === 0) return this.fail(`${path}.fields`, 'non-empty array');
          if (value.fields.length > LIMITS.sectionFields) this.fail(`${path}.fields`, `more than ${LIMITS.sectionFields} items`);
          value.fields.forEach((field, index) => this.text(field, `${path}.fields[${index}]`, { max: LIMITS.sectionFieldText }));
        }
        if (value.accessory !== undefined) this.element(value.accessory, `${path}.accessory`, 'section', actionIds);
        return;
      }
      case 'context': {
        const elements = value.elements;
        if (!Array.isArray(elements) || elements.length === 0) return this.fail(`${path}.elements`, 'required non-empty array');
        if (elements.length > LIMITS.contextElements) this.fail(`${path}.elements`, `more than ${LIMITS.contextElements}`);
        elements.forEach((element, index) => this.text(element, `${path}.elements[${index}]`, { max: LIMITS.sectionText }));
        return;
      }
      case 'actions': {
        const elements = value.elements;
        if (!Array.isArray(elements) || elements.length === 0) return this.fail(`${path}.elements`, 'required non-empty array');
        if (elements.length > LIMITS.actionsElements) this.fail(`${path}.elements`, `more than ${LIMITS.actionsElements}`);
        elements.forEach((element, index) => this.element(element, `${path}.elements[${index}]`, 'actions', actionIds));
        return;
      }
      case 'input':
        if (surface === 'message') this.fail(path, 'input blocks belong in modals');
        this.text(value.label, `${path}.label`, { plainOnly: true, max: LIMITS.inputLabel });
        if (value.hint !== undefined) this.text(value.hint, `${path}.hint`, { plainOnly: true, max: LIMITS.inputLabel });
        if (value.optional !== undefined && typeof value.optional !== 'boolean') this.fail(`${path}.optional`, 'expected a boolean');
        if (value.dispatch_action !== undefined && typeof value.dispatch_action !== 'boolean') this.fail(`${path}.dispatch_action`, 'expected a boolean');
        this.element(value.element, `${path}.element`, 'input', actionIds);
        return;
      default:
        this.fail(path, `unsupported block type ${String(value.type)}`);
    }
  }

  blocks(value: unknown, path: string, surface: 'message' | 'modal' | 'home'): void {
    if (!Array.isArray(value)) return this.fail(path, 'expected an array of blocks');
    const max = surface === 'message' ? LIMITS.messageBlocks : LIMITS.viewBlocks;
    if (value.length > max) this.fail(path, `more than ${max} blocks (${value.length})`);
    const blockIds = new Set<string>();
    value.forEach((block, index) => this.block(block, `${path}[${index}]`, blockIds, surface));
  }
}

/** Problems in the `blocks` of a message; empty when Slack would accept them. */
export function checkMessageBlocks(blocks: unknown): string[] {
  const checker = new Checker();
  checker.blocks(blocks, 'blocks', 'message');
  return checker.problems;
}

/** Problems in a modal or Home tab view; empty when Slack would accept it. */
export function checkView(view: unknown): string[] {
  const checker = new Checker();
  if (!isObject(view)) return ['view: expected an object'];
  const type = view.type;
  if (type !== 'modal' && type !== 'home') return [`view.type: modal or home, got ${String(type)}`];
  checker.blocks(view.blocks, 'view.blocks', type);
  checker.maxString(view.private_metadata, 'view.private_metadata', LIMITS.privateMetadata);
  checker.maxString(view.callback_id, 'view.callback_id', LIMITS.callbackId);
  if (type === 'modal') {
    checker.text(view.title, 'view.title', { plainOnly: true, max: LIMITS.viewTitle });
    if (view.submit !== undefined) checker.text(view.submit, 'view.submit', { plainOnly: true, max: LIMITS.viewSubmit });
    if (view.close !== undefined) checker.text(view.close, 'view.close', { plainOnly: true, max: LIMITS.viewClose });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((block) => isObject(block) && block.type === 'input');
    if (hasInput && view.submit === undefined) checker.fail('view.submit', 'a modal with input blocks needs a submit button');
  }
  return checker.problems;
}
