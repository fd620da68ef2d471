import { context, escapeMrkdwn, escapeMrkdwnKeepingMentions, fitLines, section, type MessageContent } from './block-kit.js';

/** Ephemeral answers to one user: help, refusals with the right form, confirmations. */

export interface CommandHelp {
  command: string;
  summary: string;
  forms: ReadonlyArray<{ readonly usage: string; readonly description: string }>;
}

export function renderHelp(help: CommandHelp): MessageContent {
  const lines = [`*${help.command}* — ${escapeMrkdwn(help.summary)}`, ...help.forms.map((form) => `• \`${escapeMrkdwn(form.usage)}\` — ${escapeMrkdwn(form.description)}`)];
  return { text: `${help.command}: ${help.summary}`, blocks: [section(fitLines(lines))] };
}

/** A refusal or a bad argument: what was wrong, and the right form when there is one. */
export function renderProblem(problem: { code: string; message: string; usage?: string; suggestion?: string }): MessageContent {
  const lines = [`:no_entry_sign: ${escapeMrkdwnKeepingMentions(problem.message)}`];
  if (problem.suggestion) lines.push(`Did you mean \`${escapeMrkdwn(problem.suggestion)}\`?`);
  if (problem.usage) lines.push(`Usage: \`${escapeMrkdwn(problem.usage)}\``);
  const text = [problem.message, problem.suggestion ? `Did you mean ${problem.suggestion}?` : null].filter(Boolean).join(' ');
  return { text, blocks: [section(fitLines(lines)), context(`code \`${problem.code}\``)] };
}

export function renderNotice(message: string, details: string[] = []): MessageContent {
  return { text: message, blocks: [section(fitLines([escapeMrkdwnKeepingMentions(message), ...details]))] };
}
