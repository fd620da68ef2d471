import { formatDuration } from '../../../config/duration.js';
import type {
  EnvironmentView,
  GateResult,
  OperatorAction,
  ReleaseStatus,
  ReleaseView,
  ServiceProgressView,
  StageView,
} from '../../../domain/release/types.js';
import { assertNever } from '../../../domain/assert-never.js';
import { minutesToDecideText } from '../../../domain/health/judge.js';
import { ActionIds, BlockIds } from '../action-ids.js';
import {
  LIMITS,
  button,
  clip,
  confirmDialog,
  context,
  divider,
  escapeMrkdwn,
  escapeMrkdwnKeepingMentions,
  fitLines,
  header,
  mention,
  recipient,
  section,
  slackDate,
  type Block,
  type Button,
  type MessageContent,
} from './block-kit.js';

/**
 * The release card: the product's face. A pure function of the engine's ReleaseView, so the same
 * view always renders the same card, and every change to the release is one chat.update away.
 *
 * Shape: header · status line · what ships · one section per environment (stages and gates) ·
 * last health reading · rollback order · the buttons that fit the state · footer.
 */

/** What a card button carries: the release and the card version it was pressed on (stale and double clicks). */
export interface CardButtonValue {
  releaseId: string;
  version: number;
}

export function encodeButtonValue(value: CardButtonValue): string {
  return JSON.stringify({ r: value.releaseId, v: value.version });
}

/**
 * What "Roll forward…" carries: the release and what it ships of each service, so the modal opens
 * at once from the click (its trigger lives three seconds), with nothing read first.
 */
export interface SupersedeButtonValue {
  releaseId: string;
  /** service → the version the release ships of it now. */
  ships: Record<string, string>;
}

export function encodeSupersedeValue(value: SupersedeButtonValue): string {
  const full = JSON.stringify({ r: value.releaseId, s: value.ships });
  // Past Slack's limit the services are left out (cutting the JSON would break it): the modal then asks for the name.
  return full.length <= LIMITS.buttonValue ? full : JSON.stringify({ r: value.releaseId });
}

const STATUS_LABEL: Record<ReleaseStatus, string> = {
  waiting: ':hourglass_flowing_sand: Waiting',
  running: ':arrows_counterclockwise: Running',
  held: ':warning: Held — a human must decide',
  paused: ':double_vertical_bar: Paused',
  rolling_back: ':rewind: Rolling back',
  succeeded: ':white_check_mark: Succeeded',
  rolled_back: ':leftwards_arrow_with_hook: Rolled back',
  aborted: ':no_entry: Aborted',
};

export function statusLabel(status: ReleaseStatus): string {
  return STATUS_LABEL[status];
}

export function renderReleaseCard(view: ReleaseView): MessageContent {
  const blocks: Block[] = [];
  const services = view.changes.map((change) => change.service);
  const title = `Release ${view.id} · ${services.length === 1 ? services[0] : `${services.length} services`} → ${view.targetEnvironment}`;
  blocks.push(header(title));

  const statusLines = [
    `*${STATUS_LABEL[view.status]}* · ${escapeMrkdwnKeepingMentions(view.summary)}`,
    `Requested by ${mention(view.requester.userId)} · version set #${view.versionSetId} · path ${view.path.map(escapeMrkdwn).join(' → ')}`,
  ];
  if (view.held) {
    const held = view.held;
    statusLines.push(
      `:warning: Held at ${held.weight}% (${escapeMrkdwn(held.service)} in ${escapeMrkdwn(held.environment)} ${escapeMrkdwn(held.stage)}) since ${slackDate(held.since)} · asked ${held.asked.map(recipient).join(', ')}`,
    );
    statusLines.push(
      held.passingSince
        ? `:large_green_circle: Health passing again since ${slackDate(held.passingSince)} — press *Resume* to go on`
        : 'It moves only when someone presses *Resume*, *Promote*, *Roll forward…*, *Roll back* or *Abort*.',
    );
  }
  if (view.downgradeConfirmed) {
    const confirmed = view.downgradeConfirmed;
    statusLines.push(`:warning: Downgrade of ${confirmed.downgrades.map((downgrade) => escapeMrkdwn(downgrade.service)).join(', ')} confirmed by ${mention(confirmed.by)} ${slackDate(confirmed.at)}`);
  }
  if (view.paused) {
    const why = view.paused.reason ? ` — ${escapeMrkdwnKeepingMentions(view.paused.reason)}` : '';
    statusLines.push(`${view.paused.lineStop !== undefined ? ':octagonal_sign: Line stopped' : ':double_vertical_bar: Paused'} by ${mention(view.paused.by)} at ${slackDate(view.paused.at)}${why}`);
  }
  if (view.watch) {
    const left = Math.max(0, Math.ceil((Date.parse(view.watch.until) - Date.parse(view.updatedAt)) / 60_000));
    statusLines.push(
      `:eyes: *Watch window* in ${escapeMrkdwn(view.watch.environment)}: ${view.watch.services.map((service) => `\`${escapeMrkdwn(service)}\``).join(', ')} at 100%, ends ${slackDate(view.watch.until)} (${left}m left) — a breach rolls back at once to the previous infra-set, still warm`,
    );
  }
  // The reason is in the summary above: said once.
  if (view.outcome) statusLines.push(`Finished ${slackDate(view.outcome.at)}`);
  blocks.push(section(fitLines(statusLines)));

  blocks.push(section(fitLines(['*What ships*', ...view.changes.flatMap((change) => renderShipment(change, view.versionSetId))])));

  blocks.push(divider());
  // Environments share what is left of the 50 blocks after the fixed ones: health, rollback
  // order, buttons, footer, and a "more environments" line when some do not fit.
  const fixedAfter = 4;
  const fitsAll = blocks.length + view.environments.length + fixedAfter <= LIMITS.messageBlocks;
  const room = LIMITS.messageBlocks - blocks.length - fixedAfter - (fitsAll ? 0 : 1);
  const environments = view.environments.slice(0, Math.max(1, room));
  for (const environment of environments) blocks.push(section(renderEnvironment(environment)));
  if (environments.length < view.environments.length) blocks.push(context(`…and ${view.environments.length - environments.length} more environments`));

  const health = section(renderHealth(view));
  // The complete evidence of the last reading is one click away; the card keeps one line per check.
  const withDetails = !view.awaitingReading && view.health?.checks.some((check) => check.detail) && health.type === 'section';
  blocks.push(withDetails ? { ...health, accessory: button({ actionId: ActionIds.verdictDetails, text: 'Details', value: view.id }) } : health);
  if (view.traffic) blocks.push(context(renderTrafficReadBack(view.traffic)));
  blocks.push(section(renderRollbackOrder(view)));
  if (view.draining && view.draining.length > 0) {
    blocks.push(context(fitLines(view.draining.map((set) => `⏳ draining: \`${escapeMrkdwn(set.infraSetId)}\` (${escapeMrkdwn(set.service)} in ${escapeMrkdwn(set.environment)}) has no traffic and retires ${slackDate(set.retiresAt)}`))));
  }

  const buttons = renderButtons(view);
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: BlockIds.cardActions, elements: buttons });
  blocks.push(context(`\`${escapeMrkdwn(view.id)}\` · updated ${slackDate(view.updatedAt)}`));

  return { text: clip(`${title}: ${STATUS_LABEL[view.status].replace(/^:[a-z_]+: /, '')} — ${view.summary}`, 3000), blocks };
}

/** Pull requests listed per service before "and N more" (the compare link has them all). */
const PULLS_SHOWN = 5;

/** A link's text: Slack ends it at the first `>`, and a `|` would split it. */
function linkText(text: string): string {
  return escapeMrkdwn(text.replace(/[|\n]/g, ' '));
}

function link(url: string, text: string): string {
  return `<${url.replace(/[<>|\s]/g, encodeURIComponent)}|${linkText(text)}>`;
}

/**
 * One service of "What ships": serving → target, a downgrade or a service moved on since the set
 * was minted said plainly, then the pull requests and commits in between with a compare link.
 */
export function renderShipment(change: ReleaseView['changes'][number], versionSetId: number): string[] {
  const shipment = change.shipment;
  const marks: string[] = [];
  if (shipment?.direction === 'downgrade') marks.push(':warning: *downgrade*');
  if (shipment?.changedSinceSet) marks.push(`:warning: moved on since set #${versionSetId} was minted`);
  if (shipment?.compareUrl) marks.push(link(shipment.compareUrl, shipment.direction === 'new' ? 'source' : 'compare'));
  const lines = [`• \`${escapeMrkdwn(change.service)}\` ${version(change.from)} → *${escapeMrkdwn(change.to)}*${marks.length > 0 ? ` · ${marks.join(' · ')}` : ''}`];
  if (!shipment) return lines;
  const items = [
    ...shipment.pulls.map((pull) => link(pull.url, `#${pull.number}${pull.title ? ` ${clip(pull.title, 80)}` : ''}`)),
    ...shipment.commits.map((commit) => link(commit.url, commit.sha.slice(0, 7))),
  ];
  if (items.length === 0) return lines;
  const shown = items.slice(0, PULLS_SHOWN).join(' · ');
  const more = items.length > PULLS_SHOWN ? ` · …and ${items.length - PULLS_SHOWN} more` : '';
  lines.push(`    ${shipment.direction === 'downgrade' ? 'takes back out: ' : ''}${shown}${more}`);
  return lines;
}

function version(value: string | null): string {
  return value === null ? '_(new)_' : `\`${escapeMrkdwn(value)}\``;
}

const ENVIRONMENT_STATE: Record<EnvironmentView['state'], string> = {
  pending: ':white_circle: pending',
  active: ':large_blue_circle: in progress',
  done: ':white_check_mark: converged',
  rolled_back: ':leftwards_arrow_with_hook: rolled back',
};

function renderEnvironment(environment: EnvironmentView): string {
  const lines = [`*${escapeMrkdwn(environment.environment)}* — ${ENVIRONMENT_STATE[environment.state]}`];
  for (const service of environment.services) lines.push(...renderService(service));
  const gates = renderGates(environment);
  if (gates) lines.push(`_Preconditions_: ${gates}`);
  for (const warning of environment.warnings) lines.push(`:warning: ${escapeMrkdwnKeepingMentions(warning)}`);
  if (environment.watchSeconds !== undefined && environment.state !== 'done' && environment.state !== 'rolled_back') {
    lines.push(`:eyes: after 100%, watched for ${formatDuration(environment.watchSeconds)} with the previous infra-set warm: a breach rolls back at once`);
  }
  return fitLines(lines);
}

function renderService(service: ServiceProgressView): string[] {
  const head = `\`${escapeMrkdwn(service.service)}\` ${version(service.from)} → \`${escapeMrkdwn(service.to)}\`${service.converged ? ' :white_check_mark:' : ''}`;
  const provisioning =
    service.provisioning === 'done' ? null : service.provisioning === 'running' ? 'infra-set provisioning…' : 'infra-set to provision';
  const stages = service.stages.map(renderStage).join('  ·  ');
  return [head, `    ${[provisioning, stages].filter(Boolean).join('  ·  ')}`];
}

export function renderStage(stage: StageView): string {
  const name = `${escapeMrkdwn(stage.stage)} ${stage.weight}%`;
  switch (stage.state) {
    case 'done':
      return `:white_check_mark: ${name}`;
    case 'pending':
      return `:white_circle: ${name}`;
    case 'running':
      return stage.holding
        ? `:warning: ${name} holding — needs a human`
        : `:arrows_counterclockwise: ${name} baking, ${formatDuration(stage.bakeSecondsLeft)} left`;
    case 'shifting':
      return `:arrow_right: ${name} shifting traffic`;
    case 'waiting':
      return `:hourglass_flowing_sand: ${name} waiting: ${stage.reasons.map((reason) => escapeMrkdwnKeepingMentions(reason.message)).join('; ') || 'gates closed'}`;
    case 'failed':
      // Why is in the card's status line; here only where.
      return `:x: ${name} failed`;
    case 'rolled_back':
      return `:leftwards_arrow_with_hook: ${name} rolled back`;
    default:
      return assertNever(stage, 'stage view');
  }
}

const GATE_LABEL: Record<GateResult['gate'], string> = {
  approvals: 'approvals',
  window: 'window',
  freeze: 'no freeze',
  lock: 'not locked',
  dependencies: 'dependencies',
  previous_environment: 'previous environment',
};

function renderGates(environment: EnvironmentView): string {
  const parts: string[] = [];
  const { required, by } = environment.approvals;
  if (required > 0 || by.length > 0) {
    const who = by.length > 0 ? ` (${by.map((approval) => mention(approval.userId)).join(', ')})` : '';
    parts.push(`${by.length >= required ? '✓' : '✗'} approvals ${by.length}/${required}${who}`);
  }
  for (const gate of environment.gates) {
    if (gate.gate === 'approvals') continue;
    if (gate.ok) parts.push(`✓ ${GATE_LABEL[gate.gate]}${gate.detail ? ` (${escapeMrkdwn(gate.detail)})` : ''}`);
    else parts.push(`✗ ${GATE_LABEL[gate.gate]}: ${escapeMrkdwnKeepingMentions(gate.message)}${gate.opensAt ? ` (opens ${slackDate(gate.opensAt)})` : ''}`);
  }
  return parts.join(' · ');
}

function renderHealth(view: ReleaseView): string {
  const awaiting = view.awaitingReading;
  // A new stage shows no older stage's reading as if it were its own.
  if (awaiting) return `*Health*: awaiting the first reading of ${escapeMrkdwn(awaiting.environment)} ${escapeMrkdwn(awaiting.stage)} (${escapeMrkdwn(awaiting.service)})`;
  const health = view.health;
  if (!health) return '*Health*: no reading yet';
  const verdict = { pass: ':white_check_mark: pass', fail: ':x: fail', inconclusive: ':grey_question: inconclusive', error: ':warning: error' }[health.verdict];
  const lines = [`*Health* of ${escapeMrkdwn(health.service)} in ${escapeMrkdwn(health.environment)} ${escapeMrkdwn(health.stage)}, read ${slackDate(health.at)}: ${verdict}`];
  for (const check of health.checks) {
    const wait = check.detail?.sequential?.minutesToDecide;
    const pace = wait !== null && wait !== undefined ? ` — needs ${minutesToDecideText(wait)} of traffic at this rate` : '';
    lines.push(`• ${escapeMrkdwn(check.check)}: ${check.verdict} — ${escapeMrkdwn(check.summary)}${pace}`);
  }
  return fitLines(lines);
}

function renderTrafficReadBack(traffic: NonNullable<ReleaseView['traffic']>): string {
  const where = `${escapeMrkdwn(traffic.service)} in ${escapeMrkdwn(traffic.environment)}`;
  const said = clip(escapeMrkdwn(traffic.detail), 400);
  return traffic.verified ? `:vertical_traffic_light: Router, for ${where} at ${slackDate(traffic.at)}: ${said}` : `:vertical_traffic_light: Router, for ${where} at ${slackDate(traffic.at)} (not read back): ${said}`;
}

function renderRollbackOrder(view: ReleaseView): string {
  const lines = ['*If it fails*, traffic returns in this order:'];
  for (const entry of view.rollbackOrder) {
    const moves = entry.moves.map((move) => `\`${escapeMrkdwn(move.service)}\` → ${move.toVersion ? `\`${escapeMrkdwn(move.toVersion)}\`` : '_nothing (new service)_'}`);
    lines.push(`• ${escapeMrkdwn(entry.environment)}: ${moves.join(', ') || 'nothing moved yet'}`);
  }
  if (view.rollbackOrder.length === 0) lines.push('• nothing to roll back');
  return fitLines(lines);
}

/**
 * What the Roll back confirm says. With an irreversible version shipped, it says what cannot be
 * undone instead: traffic goes back, what the version already changed (a migration, say) does not.
 * Names are shortened so it fits Slack's 300 characters.
 */
export function rollbackConfirmText(view: ReleaseView, services: string): string {
  const irreversible = view.irreversible ?? [];
  const [only] = irreversible;
  if (!only) return `Traffic for ${clip(services, 120)} returns to the last-known-good infra-sets, in the order shown on the card.`;
  const short = (text: string) => escapeMrkdwn(clip(text, 40));
  let consequence: string;
  if (irreversible.length === 1) {
    const from = view.changes.find((change) => change.service === only.service)?.from;
    const back = from ? `sends ${short(only.service)}'s traffic back to ${short(from)}` : `takes ${short(only.service)}'s traffic away (nothing served before)`;
    consequence = `Rolling back ${back}, but whatever ${short(only.version)} already changed (a migration, say) stays as it is${from ? `: ${short(from)} runs on top of it` : ''}.`;
  } else {
    consequence = 'Rolling back sends their traffic back to the last-known-good infra-sets, but whatever they already changed (a migration, say) stays as it is.';
  }
  const names = escapeMrkdwn(clip(irreversible.map((entry) => `${entry.service}@${entry.version}`).join(', '), 90));
  return clip(`:warning: *Cannot be undone:* ${names} ${irreversible.length === 1 ? 'is' : 'are'} irreversible. ${consequence}`, LIMITS.confirmText);
}

/** Roll forward sits next to Roll back: the two ways out of a release that went wrong. */
const BUTTON_ORDER: OperatorAction[] = ['approve', 'pause', 'resume', 'promote', 'supersede', 'rollback', 'abort'];

function renderButtons(view: ReleaseView): Button[] {
  const allowed = new Set<OperatorAction>(view.allowedActions);
  const value = encodeButtonValue({ releaseId: view.id, version: view.version });
  const services = view.changes.map((change) => change.service).join(', ');
  return BUTTON_ORDER.filter((action) => allowed.has(action)).map((action) => {
    switch (action) {
      case 'approve':
        return button({ actionId: ActionIds.approve, text: 'Approve', value, style: 'primary' });
      case 'pause':
        return button({ actionId: ActionIds.pause, text: 'Pause', value });
      case 'resume':
        return button({ actionId: ActionIds.resume, text: 'Resume', value, style: 'primary' });
      case 'promote':
        return button({
          actionId: ActionIds.promote,
          text: 'Promote',
          value,
          confirm: confirmDialog({ title: 'Skip the rest of the bake?', text: `The current stage of ${clip(services, 120)} moves on without waiting out its bake time.`, confirm: 'Promote' }),
        });
      case 'supersede':
        // No confirm dialog: the modal it opens is the confirmation, and nothing happens until it is submitted.
        return button({
          actionId: ActionIds.supersede,
          text: 'Roll forward…',
          value: encodeSupersedeValue({ releaseId: view.id, ships: Object.fromEntries(view.changes.map((change) => [change.service, change.to])) }),
        });
      case 'rollback':
        return button({
          actionId: ActionIds.rollback,
          text: 'Roll back',
          value,
          style: 'danger',
          confirm: confirmDialog({ title: 'Roll back this release?', text: rollbackConfirmText(view, services), confirm: 'Roll back', danger: true }),
        });
      case 'abort':
        return button({
          actionId: ActionIds.abort,
          text: 'Abort',
          value,
          style: 'danger',
          confirm: confirmDialog({ title: 'Abort this release?', text: 'The release stops here and traffic returns to what served before.', confirm: 'Abort', danger: true }),
        });
      default:
        return assertNever(action, 'button');
    }
  });
}
