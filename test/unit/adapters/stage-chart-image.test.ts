import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import pixelmatch from 'pixelmatch';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { CHART_PALETTE, renderStageChart } from '../../../src/adapters/charts/stage-chart-image.js';
import { sampleStageChart } from '../../support/sample-stage-chart.js';

/**
 * An image snapshot with a tolerance: the rendered chart is decoded and compared pixel by pixel with
 * the committed PNG, allowing anti-aliasing noise but not a moved line, a lost legend or a new colour.
 * To accept a deliberate change, delete the snapshot and run the test once: it writes a new one and fails.
 */
const SNAPSHOT = new URL('./__snapshots__/stage-chart-failed.png', import.meta.url);
/** At most this share of pixels may differ beyond pixelmatch's per-pixel threshold. */
const TOLERANCE = 0.002;

function decode(png: Buffer): PNG {
  return PNG.sync.read(png);
}

function hex(data: Buffer, offset: number): string {
  return `#${[data[offset]!, data[offset + 1]!, data[offset + 2]!].map((value) => value.toString(16).padStart(2, '0')).join('')}`.toUpperCase();
}

describe('the stage chart image', () => {
  it('matches the committed snapshot within the tolerance', async () => {
    const image = await renderStageChart(sampleStageChart());
    const actual = decode(image.png);
    if (!existsSync(SNAPSHOT)) {
      mkdirSync(new URL('.', SNAPSHOT), { recursive: true });
      writeFileSync(SNAPSHOT, image.png);
      throw new Error(`wrote a new snapshot at ${SNAPSHOT.pathname}: look at it, then run the test again`);
    }
    const expected = decode(readFileSync(SNAPSHOT));
    expect({ width: actual.width, height: actual.height }).toEqual({ width: expected.width, height: expected.height });
    const differing = pixelmatch(actual.data, expected.data, undefined, actual.width, actual.height, { threshold: 0.1 });
    expect(differing / (actual.width * actual.height)).toBeLessThanOrEqual(TOLERANCE);
  });

  it('differs from the snapshot when the data does (the comparison can fail)', async () => {
    const changed = sampleStageChart();
    changed.series[0]!.points = changed.series[0]!.points.map((point) => ({ ...point, canary: 0.001 }));
    const actual = decode((await renderStageChart(changed)).png);
    const expected = decode(readFileSync(SNAPSHOT));
    const differing = pixelmatch(actual.data, expected.data, undefined, actual.width, actual.height, { threshold: 0.1 });
    expect(differing / (actual.width * actual.height)).toBeGreaterThan(TOLERANCE);
  });

  it('draws the canary, baseline and limit in the colour-blind-safe palette, at a size Slack thumbnails legibly', async () => {
    const image = await renderStageChart(sampleStageChart());
    const png = decode(image.png);
    const colours = new Set<string>();
    for (let offset = 0; offset < png.data.length; offset += 4) colours.add(hex(png.data, offset));
    expect(colours).toContain(CHART_PALETTE.canary.toUpperCase());
    expect(colours).toContain(CHART_PALETTE.baseline.toUpperCase());
    expect(colours).toContain(CHART_PALETTE.limit.toUpperCase());
    // Drawn at twice its layout size: text of 13px and up stays readable scaled to a 360px thumbnail.
    expect(png.width).toBeGreaterThanOrEqual(900);
    expect(png.width).toBeLessThanOrEqual(1600);
  });

  it('says the same in words for the alt text', async () => {
    const image = await renderStageChart(sampleStageChart());
    expect(image.alt).toBe(
      'checkout@v3 canary-10 (10%) in production: failed at 14:04 UTC. errors (fail): error rate 1.40%, baseline 0.50%, limit 1.00% over 4 readings. latency-p99 (pass): p99 latency 230ms, baseline 200ms, limit 300ms over 4 readings',
    );
    expect(image.filename).toBe('rel-0007-production-checkout-canary-10-failed.png');
  });
});
