import { formatDuration } from '../../../config/duration.js';
import type { DoraFigures } from '../../../domain/dora/dora-metrics.js';
import type { DoraReport, DoraScope } from '../../../ports/dora-report.js';
import { context, escapeMrkdwn, header, mrkdwn, type Block, type MessageContent } from './block-kit.js';

const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** A text chart that reads at any size: one bar per day (per week over 90 days), tallest = busiest. */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  if (max === 0) return BARS[0]!.repeat(values.length);
  return values.map((value) => (value === 0 ? '·' : BARS[Math.min(BARS.length - 1, Math.ceil((value / max) * BARS.length) - 1)]!)).join('');
}

/** Days folded into weeks when there are many, so the chart stays short. */
function chartValues(perDay: readonly number[]): { values: number[]; unit: 'day' | 'week' } {
  if (perDay.length <= 31) return { values: [...perDay], unit: 'day' };
  const weeks: number[] = [];
  for (let start = 0; start < perDay.length; start += 7) weeks.push(perDay.slice(start, start + 7).reduce((sum, value) => sum + value, 0));
  return { values: weeks, unit: 'week' };
}

export function scopeName(scope: DoraScope): string {
  switch (scope.kind) {
    case 'all':
      return 'all services';
    case 'service':
      return scope.name;
    case 'team':
      return `team ${scope.name}`;
  }
}

function seconds(value: number | null): string {
  return value === null ? '—' : value < 60 ? `${Math.round(value)}s` : formatDuration(Math.round(value));
}

function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 1000) / 10}%`;
}

function perDay(value: number): string {
  return `${Math.round(value * 100) / 100}/day`;
}

/** ↑ or ↓ with the previous value; for lead time, failures and restore time lower is better. */
function trend(current: number | null, previous: number | null, show: (value: number | null) => string): string {
  if (current === null || previous === null) return previous === null ? 'no earlier figure' : `was ${show(previous)}`;
  if (current === previous) return `→ same as before (${show(previous)})`;
  return `${current > previous ? '↑' : '↓'} from ${show(previous)}`;
}

export interface DoraLines {
  frequency: string;
  leadTime: string;
  failureRate: string;
  restore: string;
}

/** The four figures as lines, each with its trend against the window before. */
export function doraLines(current: DoraFigures, previous: DoraFigures): DoraLines {
  return {
    frequency: `*Deployment frequency* ${perDay(current.deploymentsPerDay)} (${current.deployments} deploy${current.deployments === 1 ? '' : 's'}) · ${trend(current.deploymentsPerDay, previous.deploymentsPerDay, (value) => perDay(value ?? 0))}`,
    leadTime: `*Lead time for changes* ${seconds(current.leadTimeSeconds)} median of ${current.leadTimeSamples} · ${trend(current.leadTimeSeconds, previous.leadTimeSeconds, seconds)}`,
    failureRate: `*Change failure rate* ${percent(current.changeFailureRate)} (${current.failures} of ${current.enteredProduction}) · ${trend(current.changeFailureRate, previous.changeFailureRate, percent)}`,
    restore: `*Time to restore* ${seconds(current.timeToRestoreSeconds)} median of ${current.restores} · ${trend(current.timeToRestoreSeconds, previous.timeToRestoreSeconds, seconds)}`,
  };
}

/** `/dora`: the four figures of a scope over 7/30/90 days, their trend and a small chart. */
export function renderDoraReport(report: DoraReport): MessageContent {
  const title = `DORA · ${scopeName(report.scope)} · last ${report.days} days`;
  const lines = doraLines(report.current, report.previous);
  const chart = chartValues(report.current.perDay);
  const blocks: Block[] = [
    header(title),
    { type: 'section', fields: [mrkdwn(lines.frequency, 2000), mrkdwn(lines.leadTime, 2000), mrkdwn(lines.failureRate, 2000), mrkdwn(lines.restore, 2000)] },
    context(`Deploys per ${chart.unit}: \`${sparkline(chart.values)}\` (max ${Math.max(0, ...chart.values)}) · production = ${escapeMrkdwn(report.production)} · ${escapeMrkdwn(report.services.join(', ') || 'no services')}`),
  ];
  const text = `${title}: ${perDay(report.current.deploymentsPerDay)}, lead time ${seconds(report.current.leadTimeSeconds)}, change failure rate ${percent(report.current.changeFailureRate)}, time to restore ${seconds(report.current.timeToRestoreSeconds)}`;
  return { text, blocks };
}

/** The scheduled digest: every scope's four figures over the window, one short paragraph each, as mrkdwn text. */
export function renderDoraDigest(reports: readonly DoraReport[]): string {
  const days = reports[0]?.days ?? 7;
  const lines = [`:bar_chart: *DORA digest · last ${days} days* (each figure against the ${days} days before)`];
  for (const report of reports) {
    const figures = doraLines(report.current, report.previous);
    lines.push('', `*${escapeMrkdwn(scopeName(report.scope))}* · deploys per ${chartValues(report.current.perDay).unit}: \`${sparkline(chartValues(report.current.perDay).values)}\``);
    lines.push(`• ${figures.frequency}`, `• ${figures.leadTime}`, `• ${figures.failureRate}`, `• ${figures.restore}`);
  }
  return lines.join('\n');
}
