import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import type { NonNormalizedSpec } from 'vega-lite/types_unstable/spec/index.js';
import { stageChartText, type ChartSeries, type ChartUnit, type StageChart } from '../../domain/health/stage-chart.js';

/**
 * Draws a stage's chart as a PNG, server-side and without a browser: Vega-Lite compiles the spec,
 * Vega renders it to SVG (no canvas needed), and resvg (a prebuilt binary shipped in its package)
 * rasterises it with the DejaVu font shipped in `dejavu-fonts-ttf`, so the image is the same on
 * every machine. Vega loads on the first chart, not at start-up.
 */

export interface ChartImage {
  png: Buffer;
  /** The chart in words: the image's alt text. */
  alt: string;
  title: string;
  filename: string;
}

/** Okabe–Ito colours, told apart with every common colour-vision deficiency; lines also differ by dash and point shape. */
export const CHART_PALETTE = { canary: '#D55E00', baseline: '#0072B2', limit: '#000000', verdict: '#666666' } as const;

const FONT = 'DejaVu Sans';
const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 120;
/** Pixels per layout unit: a sharp image whose text is still legible when Slack scales it to a 360px thumbnail. */
const ZOOM = 2;

const require = createRequire(import.meta.url);
const fontFiles = [require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];

const OUTCOME_TITLES: Record<StageChart['outcome'], string> = { passed: 'passed', promoted: 'promoted', failed: 'FAILED', held: 'HELD' };

function axisFormat(unit: ChartUnit): string {
  switch (unit) {
    case 'share':
      return '.2~%';
    case 'ms':
      return '~s';
    case 'per_minute':
      return '~s';
  }
}

function unitTitle(unit: ChartUnit): string {
  return unit === 'ms' ? 'ms' : unit === 'per_minute' ? 'req/min' : '';
}

function minutesSince(start: string, at: string): number {
  return Math.round(((Date.parse(at) - Date.parse(start)) / 60_000) * 100) / 100;
}

function panel(chart: StageChart, series: ChartSeries): NonNormalizedSpec {
  const rows = series.points.flatMap((point) => {
    const minute = minutesSince(chart.startedAt, point.at);
    const lines: Array<{ minute: number; value: number; line: string }> = [];
    if (point.canary !== null) lines.push({ minute, value: point.canary, line: 'canary' });
    if (point.baseline !== null) lines.push({ minute, value: point.baseline, line: 'baseline' });
    if (point.limit !== null) lines.push({ minute, value: point.limit, line: series.bound === 'floor' ? 'needs' : 'limit' });
    return lines;
  });
  const verdictMinute = minutesSince(chart.startedAt, chart.verdictAt);
  const lineDomain = ['canary', 'baseline', series.bound === 'floor' ? 'needs' : 'limit'];
  const x = { field: 'minute', type: 'quantitative', title: 'minutes into the stage', scale: { domainMin: 0, nice: false } } as const;
  return {
    title: { text: `${series.check} · ${series.measure} · ${series.verdict}`, anchor: 'start', fontSize: 15 },
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: { size: 60, filled: true }, strokeWidth: 3 },
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: unitTitle(series.unit), axis: { format: axisFormat(series.unit), tickCount: 4 }, scale: { zero: true } },
          color: { field: 'line', type: 'nominal', title: null, scale: { domain: lineDomain, range: [CHART_PALETTE.canary, CHART_PALETTE.baseline, CHART_PALETTE.limit] } },
          strokeDash: { field: 'line', type: 'nominal', scale: { domain: lineDomain, range: [[1, 0], [1, 0], [7, 4]] }, title: null },
          shape: { field: 'line', type: 'nominal', scale: { domain: lineDomain, range: ['circle', 'square', 'triangle'] }, title: null },
        },
      },
      {
        data: { values: [{ minute: verdictMinute, label: 'verdict' }] },
        layer: [
          { mark: { type: 'rule', strokeWidth: 2, strokeDash: [2, 3], color: CHART_PALETTE.verdict }, encoding: { x } },
          { mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 13, color: CHART_PALETTE.verdict }, encoding: { x, y: { value: PANEL_HEIGHT }, text: { field: 'label' } } },
        ],
      },
    ],
  };
}

/** The Vega-Lite spec of a stage's chart: one panel per check, stacked. */
export function stageChartSpec(chart: StageChart): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `${chart.service}@${chart.version} · ${chart.stage} (${chart.weight}%) in ${chart.environment} · ${OUTCOME_TITLES[chart.outcome]}`, anchor: 'start', fontSize: 17 },
    background: 'white',
    padding: 12,
    vconcat: chart.series.filter((series) => series.points.length > 0).map((series) => panel(chart, series)),
    resolve: { scale: { color: 'independent', strokeDash: 'independent', shape: 'independent' } },
    config: {
      font: FONT,
      axis: { labelFontSize: 13, titleFontSize: 13, labelColor: '#222222', titleColor: '#222222', gridColor: '#e4e4e4' },
      legend: { labelFontSize: 14, orient: 'right', symbolStrokeWidth: 3, symbolSize: 160 },
      view: { stroke: '#cccccc' },
    },
  };
}

export async function renderStageChart(chart: StageChart): Promise<ChartImage> {
  const [vega, vegaLite, { Resvg }] = await Promise.all([import('vega'), import('vega-lite'), import('@resvg/resvg-js')]);
  const view = new vega.View(vega.parse(vegaLite.compile(stageChartSpec(chart)).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, { font: { fontFiles, loadSystemFonts: false, defaultFontFamily: FONT }, fitTo: { mode: 'zoom', value: ZOOM }, background: 'white' }).render().asPng();
    const title = `${chart.service} ${chart.stage} in ${chart.environment}: ${chart.outcome}`;
    const filename = `${chart.releaseId}-${chart.environment}-${chart.service}-${chart.stage}-${chart.outcome}.png`.replace(/[^\w.-]+/g, '-');
    return { png, alt: stageChartText(chart), title, filename };
  } finally {
    view.finalize();
  }
}
