import { formatChartValue } from '../../../domain/health/stage-chart.js';
import { minutesToDecideText } from '../../../domain/health/judge.js';
import type { HealthSnapshot } from '../../../domain/release/types.js';
import type { CheckEvidenceDetail, EvidenceSide } from '../../../ports/health.js';
import { CallbackIds } from '../action-ids.js';
import { LIMITS, clip, context, divider, escapeMrkdwn, fitLines, header, section, slackDate, type Block } from './block-kit.js';
import type { ModalView } from './deploy-modal.js';

/**
 * The card's "Details": the complete evidence behind the last reading of each check — the queries as
 * sent, the windows, what was counted on each side, the values, the bound crossed or held, and for
 * the sequential judge where it stands against its thresholds.
 */

const VERDICT = { pass: ':white_check_mark: pass', fail: ':x: fail', inconclusive: ':grey_question: inconclusive', error: ':warning: error' } as const;
const OUTCOME = { crossed: 'crossed', held: 'held', undecided: 'not decided yet' } as const;

function counted(side: EvidenceSide): string {
  const parts: string[] = [];
  if (side.requests !== undefined) parts.push(`${side.requests.toLocaleString('en-US')} requests`);
  if (side.errors !== undefined) parts.push(`${side.errors.toLocaleString('en-US')} errors`);
  if (side.points !== undefined) parts.push(`${side.points} point${side.points === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function sideLines(label: string, side: EvidenceSide, unit: CheckEvidenceDetail['unit']): string[] {
  const lines = [`*${label}*: ${formatChartValue(side.value, unit)}${counted(side) ? ` (${counted(side)})` : ''}`];
  if (side.window) lines.push(`   window ${slackDate(side.window.from)} → ${slackDate(side.window.to)}`);
  for (const query of side.queries ?? []) lines.push(`   \`${escapeMrkdwn(query.replace(/`/g, "'"))}\``);
  return lines;
}

function sequentialLine(detail: CheckEvidenceDetail): string | null {
  const test = detail.sequential;
  if (!test) return null;
  const toward = test.leaning === 'unhealthy' ? 'failing' : test.leaning === 'healthy' ? 'passing' : 'neither verdict';
  const pace = test.minutesToDecide !== null ? `; needs ${minutesToDecideText(test.minutesToDecide)} of traffic at this rate to decide` : '';
  return (
    `*Sequential test* after ${test.intervals} interval${test.intervals === 1 ? '' : 's'}: log-likelihood ratio ${test.llr.toFixed(2)} ` +
    `(fails at ≥ ${test.upper.toFixed(2)}, passes at ≤ ${test.lower.toFixed(2)}), ${Math.round(test.progress * 100)}% of the way toward ${toward}${pace}`
  );
}

function checkBlocks(check: HealthSnapshot['checks'][number]): Block[] {
  const head = `*${escapeMrkdwn(check.check)}*: ${VERDICT[check.verdict]} — ${escapeMrkdwn(check.summary)}`;
  const detail = check.detail;
  if (!detail) return [section(`${head}\n_No measurement behind this verdict._`)];
  const lines = [head, `_${escapeMrkdwn(detail.measure)}_`, ...sideLines('Canary', detail.canary, detail.unit)];
  if (detail.baseline) lines.push(...sideLines('Baseline', detail.baseline, detail.unit));
  else lines.push('*Baseline*: none compared');
  lines.push(`*Bound*: ${escapeMrkdwn(detail.bound.text)} — ${OUTCOME[detail.bound.outcome]}`);
  const sequential = sequentialLine(detail);
  if (sequential) lines.push(sequential);
  return [section(fitLines(lines))];
}

export function renderVerdictEvidence(releaseId: string, health: HealthSnapshot | null): ModalView {
  const title = { type: 'plain_text' as const, text: clip('Verdict evidence', LIMITS.viewTitle) };
  const close = { type: 'plain_text' as const, text: 'Close' };
  if (!health) return { type: 'modal', callback_id: CallbackIds.verdictEvidence, title, close, blocks: [section(`Release \`${escapeMrkdwn(releaseId)}\` has no health reading yet.`)] };
  const blocks: Block[] = [
    header(`${health.service} in ${health.environment} · ${health.stage}`),
    context(`Release \`${escapeMrkdwn(releaseId)}\` · read ${slackDate(health.at)} · stage verdict ${VERDICT[health.verdict]}`),
  ];
  for (const check of health.checks) {
    if (blocks.length + 2 > LIMITS.viewBlocks) break;
    blocks.push(divider(), ...checkBlocks(check));
  }
  return { type: 'modal', callback_id: CallbackIds.verdictEvidence, title, close, blocks };
}
