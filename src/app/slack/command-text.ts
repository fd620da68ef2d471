import { z } from 'zod';
import { parseDurationSeconds } from '../../config/duration.js';

/**
 * Slash-command text → a typed request, or a problem saying what was wrong, the right form and,
 * for a misspelt name, the closest known one. Pure: the listeners only render what comes out.
 */

export interface KnownNames {
  services: readonly string[];
  /** In promotion order: the first is the default target. */
  environments: readonly string[];
}

export interface CommandProblem {
  kind: 'problem';
  code: 'bad_arguments' | 'unknown_service' | 'unknown_environment' | 'unknown_subcommand';
  message: string;
  usage: string;
  suggestion?: string;
}

type Help = { kind: 'help' };

export const USAGE = {
  deploy: '/deploy <service>@<version> [to <env>]  |  /deploy set <N> to <env>  |  /deploy',
  rollback: '/rollback <service> [in <env>] [to <infra-set>]',
  release: '/release [<id> | list | history [<service>] [<env>] | supersede <id> <service>@<version>]',
  freeze: '/freeze <env> [duration] [reason]  |  /freeze all [reason]',
  unfreeze: '/unfreeze <env>  |  /unfreeze all',
  queue: '/queue [list]  |  /queue add <owner/repo>#<N>  |  /queue remove <owner/repo>#<N>',
  dora: '/dora [<service> | team <team>] [7d | 30d | 90d]',
} as const;

/** Splits on spaces, keeping "quoted text" (straight or curly quotes, as Slack clients send) together. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.trim().matchAll(/"([^"]*)"|“([^”]*)”|'([^']*)'|(\S+)/g)) {
    tokens.push(match[1] ?? match[2] ?? match[3] ?? match[4] ?? '');
  }
  return tokens;
}

function isHelp(tokens: string[]): boolean {
  return tokens.length === 1 && ['help', '-h', '--help', '?'].includes((tokens[0] ?? '').toLowerCase());
}

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let diagonal = previous[0] ?? 0;
    previous[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const above = previous[j] ?? 0;
      previous[j] = Math.min(above + 1, (previous[j - 1] ?? 0) + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within a third of the name's length (at least 2 edits), or a prefix match. */
export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(lower.length / 3))) return best.candidate;
  return candidates.find((candidate) => candidate.startsWith(lower) || lower.startsWith(candidate));
}

function unknown(kind: 'service' | 'environment', name: string, names: KnownNames, usage: string): CommandProblem {
  const candidates = kind === 'service' ? names.services : names.environments;
  const suggestion = didYouMean(name, candidates);
  return {
    kind: 'problem',
    code: kind === 'service' ? 'unknown_service' : 'unknown_environment',
    message: `There is no ${kind} called \`${name}\`.${suggestion ? '' : ` Known: ${candidates.slice(0, 20).join(', ')}.`}`,
    usage,
    ...(suggestion ? { suggestion } : {}),
  };
}

function bad(message: string, usage: string): CommandProblem {
  return { kind: 'problem', code: 'bad_arguments', message, usage };
}

const serviceName = z.string().regex(/^[a-z0-9][a-z0-9-]*$/);
const serviceAtVersion = z.string().regex(/^([a-z0-9][a-z0-9-]*)@([\w.+\-/:]+)$/);
const versionSetNumber = z.coerce.number().int().positive();
const pullReference = z.string().regex(/^([\w.-]+\/[\w.-]+)#(\d+)$/);

function checkEnvironment(name: string, names: KnownNames, usage: string): CommandProblem | undefined {
  return names.environments.includes(name) ? undefined : unknown('environment', name, names, usage);
}

function checkService(name: string, names: KnownNames, usage: string): CommandProblem | undefined {
  return names.services.includes(name) ? undefined : unknown('service', name, names, usage);
}

// ── /deploy ───────────────────────────────────────────────────────────────────────────────────

export type DeployCommand =
  | Help
  | { kind: 'modal' }
  | { kind: 'deploy'; service: string; version: string; environment: string }
  | { kind: 'deploy_set'; versionSetId: number; environment: string }
  | CommandProblem;

export function parseDeploy(text: string, names: KnownNames): DeployCommand {
  const tokens = tokenize(text);
  const usage = USAGE.deploy;
  if (tokens.length === 0) return { kind: 'modal' };
  if (isHelp(tokens)) return { kind: 'help' };
  const defaultEnvironment = names.environments[0];

  if (tokens[0]?.toLowerCase() === 'set') {
    const [, number, to, environment, ...rest] = tokens;
    const id = versionSetNumber.safeParse(number);
    if (!id.success) return bad(`\`/deploy set\` needs a version set number, e.g. \`/deploy set 42 to ${defaultEnvironment ?? 'production'}\`.`, usage);
    if (to?.toLowerCase() !== 'to' || !environment || rest.length > 0) return bad('Say where the version set goes: `to <env>`.', usage);
    return checkEnvironment(environment, names, usage) ?? { kind: 'deploy_set', versionSetId: id.data, environment };
  }

  const [target, to, environmentToken, ...rest] = tokens;
  const parsed = serviceAtVersion.safeParse(target);
  if (!parsed.success) {
    const bare = serviceName.safeParse(target);
    if (bare.success && names.services.includes(bare.data)) return bad(`Which version of \`${bare.data}\`? Write \`${bare.data}@<version>\`.`, usage);
    const name = (target ?? '').split('@')[0] ?? '';
    if (serviceName.safeParse(name).success && !names.services.includes(name)) return unknown('service', name, names, usage);
    return bad(`\`${target ?? ''}\` is not \`<service>@<version>\`.`, usage);
  }
  const [, service = '', version = ''] = parsed.data.match(/^([^@]+)@(.+)$/) ?? [];
  const serviceProblem = checkService(service, names, usage);
  if (serviceProblem) return serviceProblem;
  if (to === undefined) {
    if (!defaultEnvironment) return bad('No environment is configured.', usage);
    return { kind: 'deploy', service, version, environment: defaultEnvironment };
  }
  if (to.toLowerCase() !== 'to' || !environmentToken || rest.length > 0) return bad('After the version, say where it goes: `to <env>`.', usage);
  return checkEnvironment(environmentToken, names, usage) ?? { kind: 'deploy', service, version, environment: environmentToken };
}

// ── /rollback ─────────────────────────────────────────────────────────────────────────────────

export type RollbackCommand = Help | { kind: 'rollback'; service: string; environment: string; toInfraSetId?: string } | CommandProblem;

export function parseRollback(text: string, names: KnownNames): RollbackCommand {
  const tokens = tokenize(text);
  const usage = USAGE.rollback;
  if (isHelp(tokens)) return { kind: 'help' };
  const [service, ...rest] = tokens;
  if (!service) return bad('Say which service to roll back.', usage);
  const serviceProblem = checkService(service, names, usage);
  if (serviceProblem) return serviceProblem;
  let environment = names.environments[names.environments.length - 1];
  let toInfraSetId: string | undefined;
  for (let index = 0; index < rest.length; index += 2) {
    const keyword = rest[index]?.toLowerCase();
    const value = rest[index + 1];
    if (!value) return bad(`\`${rest[index] ?? ''}\` needs a value after it.`, usage);
    if (keyword === 'in') {
      const problem = checkEnvironment(value, names, usage);
      if (problem) return problem;
      environment = value;
    } else if (keyword === 'to') toInfraSetId = value;
    else return bad(`Unexpected \`${rest[index] ?? ''}\`: use \`in <env>\` and \`to <infra-set>\`.`, usage);
  }
  if (!environment) return bad('No environment is configured.', usage);
  return { kind: 'rollback', service, environment, ...(toInfraSetId ? { toInfraSetId } : {}) };
}

// ── /release ──────────────────────────────────────────────────────────────────────────────────

export type ReleaseCommand =
  | Help
  | { kind: 'list' }
  | { kind: 'show'; releaseId: string }
  | { kind: 'history'; service?: string; environment?: string }
  | { kind: 'supersede'; releaseId: string; service: string; version: string }
  | CommandProblem;

/** What `/release` does besides showing a release by its id; a misspelt one is suggested. */
const RELEASE_SUBCOMMANDS = ['list', 'history', 'supersede'];

const releaseId = z.string().regex(/^[\w-]+$/);

/** The command that rolls `releaseId` forward with `service@version`, as a user types it. */
export function supersedeCommandText(releaseId: string, service: string, version: string): string {
  return `/release supersede ${releaseId} ${service}@${version}`;
}

/** `history [<service>] [<env>]`, either order: each word must be a known service or environment. */
function parseHistory(words: string[], names: KnownNames): ReleaseCommand {
  const usage = USAGE.release;
  let service: string | undefined;
  let environment: string | undefined;
  for (const word of words) {
    if (names.services.includes(word) && !service) service = word;
    else if (names.environments.includes(word) && !environment) environment = word;
    else if (names.services.includes(word) || names.environments.includes(word)) return bad(`\`/release history\` takes at most one service and one environment.`, usage);
    else {
      const suggestion = didYouMean(word, [...names.services, ...names.environments]);
      return {
        kind: 'problem',
        code: 'bad_arguments',
        message: `\`${word}\` is neither a service nor an environment.`,
        usage,
        ...(suggestion ? { suggestion } : {}),
      };
    }
  }
  return { kind: 'history', ...(service ? { service } : {}), ...(environment ? { environment } : {}) };
}

/** `supersede <id> [with] <service>@<version>`: the fix that replaces what the release ships of that service. */
function parseSupersede(words: string[], names: KnownNames): ReleaseCommand {
  const usage = USAGE.release;
  const example = supersedeCommandText('<release-id>', names.services[0] ?? 'checkout', 'v1.4.2');
  const [id, ...rest] = words;
  if (!id || !releaseId.safeParse(id).success) return bad(`\`/release supersede\` needs the release and the fix, e.g. \`${example}\`.`, usage);
  const [target, ...extra] = rest[0]?.toLowerCase() === 'with' ? rest.slice(1) : rest;
  if (!target) return bad(`Say which fix rolls \`${id}\` forward: \`${supersedeCommandText(id, names.services[0] ?? 'checkout', 'v1.4.2')}\`.`, usage);
  const parsed = serviceAtVersion.safeParse(target);
  if (!parsed.success) {
    const name = target.split('@')[0] ?? '';
    if (names.services.includes(name)) return bad(`Which version of \`${name}\` is the fix? Write \`${name}@<version>\`.`, usage);
    if (serviceName.safeParse(name).success) return unknown('service', name, names, usage);
    return bad(`\`${target}\` is not \`<service>@<version>\`.`, usage);
  }
  if (extra.length > 0) return bad(`Unexpected \`${extra.join(' ')}\` after the fix: one \`<service>@<version>\` at a time.`, usage);
  const [, service = '', version = ''] = parsed.data.match(/^([^@]+)@(.+)$/) ?? [];
  return checkService(service, names, usage) ?? { kind: 'supersede', releaseId: id, service, version };
}

export function parseRelease(text: string, names: KnownNames): ReleaseCommand {
  const tokens = tokenize(text);
  if (isHelp(tokens)) return { kind: 'help' };
  const first = tokens[0]?.toLowerCase();
  if (first === 'history') return parseHistory(tokens.slice(1), names);
  if (first === 'supersede') return parseSupersede(tokens.slice(1), names);
  if (tokens.length === 0 || (tokens.length === 1 && first === 'list')) return { kind: 'list' };
  if (first === 'list') return bad('`/release list` takes nothing after it.', USAGE.release);
  if (tokens.length === 1 && releaseId.safeParse(tokens[0]).success) return { kind: 'show', releaseId: tokens[0] ?? '' };
  // More than an id: a subcommand, perhaps misspelt (`supercede r-12 checkout@v2`).
  const suggestion = first ? didYouMean(first, RELEASE_SUBCOMMANDS) : undefined;
  if (suggestion) {
    return { kind: 'problem', code: 'unknown_subcommand', message: `\`/release ${tokens[0] ?? ''}\` is not a release command.`, usage: USAGE.release, suggestion: `/release ${suggestion}` };
  }
  return bad('`/release` takes one release id, `list`, `history` or `supersede`.', USAGE.release);
}

/** A single word that is no release but reads like a subcommand (`/release supercede`): the subcommand it was meant to be. */
export function releaseSubcommandLike(word: string): string | undefined {
  const suggestion = didYouMean(word, RELEASE_SUBCOMMANDS);
  return suggestion ? `/release ${suggestion}` : undefined;
}

// ── /freeze, /unfreeze ────────────────────────────────────────────────────────────────────────

export const DEFAULT_FREEZE_SECONDS = 3600;

/** `all` stops the line: every environment, release and merge queue (it wins over an environment named `all`). */
const ALL = 'all';

export type FreezeCommand =
  | Help
  | { kind: 'freeze'; environment: string; durationSeconds: number; reason: string }
  | { kind: 'freeze_all'; reason: string }
  | CommandProblem;

export function parseFreeze(text: string, names: KnownNames): FreezeCommand {
  const tokens = tokenize(text);
  const usage = USAGE.freeze;
  if (isHelp(tokens)) return { kind: 'help' };
  const [environment, ...rest] = tokens;
  if (!environment) return bad('Say which environment to freeze, or `all` to stop the line.', usage);
  if (environment.toLowerCase() === ALL) {
    const reason = rest.join(' ').trim();
    return { kind: 'freeze_all', reason: reason.length > 0 ? reason : 'no reason given' };
  }
  const problem = checkEnvironment(environment, names, usage);
  if (problem) return problem;
  let durationSeconds = DEFAULT_FREEZE_SECONDS;
  const maybeDuration = rest[0] ? parseDurationSeconds(rest[0]) : undefined;
  if (maybeDuration !== undefined) {
    if (maybeDuration <= 0) return bad('A freeze must last longer than 0s.', usage);
    durationSeconds = maybeDuration;
    rest.shift();
  }
  const reason = rest.join(' ').trim();
  return { kind: 'freeze', environment, durationSeconds, reason: reason.length > 0 ? reason : 'no reason given' };
}

export type UnfreezeCommand = Help | { kind: 'unfreeze'; environment: string } | { kind: 'unfreeze_all' } | CommandProblem;

export function parseUnfreeze(text: string, names: KnownNames): UnfreezeCommand {
  const tokens = tokenize(text);
  const usage = USAGE.unfreeze;
  if (isHelp(tokens)) return { kind: 'help' };
  if (tokens.length !== 1 || !tokens[0]) return bad('Say which environment to unfreeze (or `all`), and nothing else.', usage);
  if (tokens[0].toLowerCase() === ALL) return { kind: 'unfreeze_all' };
  return checkEnvironment(tokens[0], names, usage) ?? { kind: 'unfreeze', environment: tokens[0] };
}

// ── /queue ────────────────────────────────────────────────────────────────────────────────────

export type QueueCommand =
  | Help
  | { kind: 'list' }
  | { kind: 'add' | 'remove'; repo: string; pullNumber: number }
  | CommandProblem;

const QUEUE_SUBCOMMANDS = ['list', 'add', 'remove', 'help'];

export function parseQueue(text: string): QueueCommand {
  const tokens = tokenize(text);
  const usage = USAGE.queue;
  if (isHelp(tokens)) return { kind: 'help' };
  const [sub, reference, ...rest] = tokens;
  if (!sub || sub.toLowerCase() === 'list') return rest.length === 0 && !reference ? { kind: 'list' } : bad('`/queue list` takes no arguments.', usage);
  const subcommand = sub.toLowerCase();
  if (subcommand !== 'add' && subcommand !== 'remove') {
    const suggestion = didYouMean(subcommand, QUEUE_SUBCOMMANDS);
    return { kind: 'problem', code: 'unknown_subcommand', message: `\`/queue ${sub}\` is not a queue command.`, usage, ...(suggestion ? { suggestion: `/queue ${suggestion}` } : {}) };
  }
  const parsed = pullReference.safeParse(reference);
  if (!parsed.success || rest.length > 0) return bad(`\`/queue ${subcommand}\` needs a pull request as \`owner/repo#123\`.`, usage);
  const [, repo = '', number = '0'] = parsed.data.match(/^(.+)#(\d+)$/) ?? [];
  return { kind: subcommand, repo, pullNumber: Number(number) };
}

// ── /dora ─────────────────────────────────────────────────────────────────────────────────────

export type DoraCommand =
  | Help
  | { kind: 'dora'; scope: { kind: 'all' } | { kind: 'service'; name: string } | { kind: 'team'; name: string }; days: 7 | 30 | 90 }
  | CommandProblem;

const DORA_DAYS: Record<string, 7 | 30 | 90> = { '7d': 7, '30d': 30, '90d': 90 };

/** `[<service> | team <team> | <team>] [7d|30d|90d]`; a bare name is a service first, then a team. */
export function parseDora(text: string, names: KnownNames & { teams: string[] }): DoraCommand {
  const tokens = tokenize(text);
  const usage = USAGE.dora;
  if (isHelp(tokens)) return { kind: 'help' };
  let days: 7 | 30 | 90 = 30;
  const last = tokens[tokens.length - 1]?.toLowerCase();
  if (last && /^\d+d$/.test(last)) {
    const known = DORA_DAYS[last];
    if (!known) return bad(`\`${last}\`: the windows are 7d, 30d and 90d.`, usage);
    days = known;
    tokens.pop();
  }
  if (tokens.length === 0) return { kind: 'dora', scope: { kind: 'all' }, days };
  const [first, second, ...rest] = tokens;
  if (first?.toLowerCase() === 'team') {
    if (!second || rest.length > 0) return bad('`team` needs one team name.', usage);
    if (!names.teams.includes(second)) {
      const suggestion = didYouMean(second, names.teams);
      return { kind: 'problem', code: 'bad_arguments', message: `There is no team called \`${second}\`.`, usage, ...(suggestion ? { suggestion } : {}) };
    }
    return { kind: 'dora', scope: { kind: 'team', name: second }, days };
  }
  if (second !== undefined || !first) return bad('Name one service or team, then the window.', usage);
  if (names.services.includes(first)) return { kind: 'dora', scope: { kind: 'service', name: first }, days };
  if (names.teams.includes(first)) return { kind: 'dora', scope: { kind: 'team', name: first }, days };
  const suggestion = didYouMean(first, [...names.services, ...names.teams]);
  return { kind: 'problem', code: 'unknown_service', message: `\`${first}\` is neither a service nor a team.`, usage, ...(suggestion ? { suggestion } : {}) };
}

// ── help texts ────────────────────────────────────────────────────────────────────────────────

export const HELP = {
  deploy: {
    command: '/deploy',
    summary: 'plan and start a release; the card appears in the environment\'s deploy channel',
    forms: [
      { usage: '/deploy <service>@<version> [to <env>]', description: 'ship one service (default environment: the first in the config)' },
      { usage: '/deploy set <N> to <env>', description: 'ship a whole version set' },
      { usage: '/deploy', description: 'open a form that shows the plan before anything starts' },
    ],
  },
  rollback: {
    command: '/rollback',
    summary: 'move traffic back at once to a warm infra-set (no rebuild)',
    forms: [
      {
        usage: USAGE.rollback,
        description:
          'default: the last-known-good warm infra-set in the last environment; a service an active release is moving rolls that whole release back',
      },
    ],
  },
  release: {
    command: '/release',
    summary: 'status of releases, their history, and rolling one forward with a fix',
    forms: [
      { usage: '/release list', description: 'the active releases' },
      { usage: '/release <id>', description: 'one release\'s card' },
      { usage: '/release history [<service>] [<env>]', description: 'who did what and when: deploys, approvals, promotions, pauses, rollbacks, freezes…' },
      {
        usage: '/release supersede <id> [with] <service>@<version>',
        description: 'roll forward with a fix: the version replaces what the release ships of that service, from the current stage on (the card\'s Roll forward… button does the same)',
      },
    ],
  },
  freeze: {
    command: '/freeze',
    summary: 'stop deploys to an environment for a while',
    forms: [
      { usage: '/freeze <env> [duration] [reason]', description: 'duration like 30m, 2h (default 1h); the rest is the reason' },
      { usage: '/freeze all [reason]', description: 'stop the line: every environment frozen, every release paused, every merge queue held, until /unfreeze all' },
    ],
  },
  unfreeze: {
    command: '/unfreeze',
    summary: 'lift the ad-hoc freezes of an environment, or restart the line',
    forms: [
      { usage: '/unfreeze <env>', description: '' },
      { usage: '/unfreeze all', description: 'restart a stopped line: resumes the releases it paused' },
    ],
  },
  dora: {
    command: '/dora',
    summary: 'deployment frequency, lead time, change failure rate and time to restore, from the event log',
    forms: [
      { usage: '/dora [7d|30d|90d]', description: 'every service (default 30 days)' },
      { usage: '/dora <service> [7d|30d|90d]', description: 'one service' },
      { usage: '/dora team <team> [7d|30d|90d]', description: 'the services a team owns' },
    ],
  },
  queue: {
    command: '/queue',
    summary: 'the merge queue',
    forms: [
      { usage: '/queue', description: 'what is queued' },
      { usage: '/queue add acme/api#123', description: 'queue a pull request' },
      { usage: '/queue remove acme/api#123', description: 'take it out' },
    ],
  },
} as const;
