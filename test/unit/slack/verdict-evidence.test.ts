import { describe, expect, it } from 'vitest';
import { ActionIds } from '../../../src/adapters/slack/action-ids.js';
import { renderReleaseCard } from '../../../src/adapters/slack/blocks/release-card.js';
import { renderVerdictEvidence } from '../../../src/adapters/slack/blocks/verdict-evidence.js';
import type { HealthSnapshot } from '../../../src/domain/release/types.js';
import { checkMessageBlocks, checkView } from '../../../src/sandbox/slack-emulator/index.js';
import { sampleReleaseView } from '../../support/slack-release-views.js';

/** A reading whose error-rate check is still open (leaning to fail) and whose latency check held its bound. */
const health: HealthSnapshot = {
  at: '2026-11-23T14:11:00.000Z',
  environment: 'production',
  service: 'payments',
  stage: 'canary',
  verdict: 'inconclusive',
  checks: [
    {
      check: 'errors',
      verdict: 'inconclusive',
      summary: 'errors 0.42% vs baseline 0.20% (2.1×), 61% of the way to a verdict',
      detail: {
        unit: 'share',
        measure: 'error rate over the stage so far',
        canary: { value: 0.0042, requests: 2400, errors: 10, queries: ['sum:hits{infra_set:is-pay-p-1}', 'sum:errors{infra_set:is-pay-p-1}'], window: { from: '2026-11-23T14:10:00.000Z', to: '2026-11-23T14:11:00.000Z' } },
        baseline: { value: 0.002, requests: 237_600, errors: 475, queries: ['sum:hits{infra_set:is-pay-p-0}', 'sum:errors{infra_set:is-pay-p-0}'], window: { from: '2026-11-23T14:10:00.000Z', to: '2026-11-23T14:11:00.000Z' } },
        bound: { text: "2× the baseline's error rate (0.40%)", value: 0.004, kind: 'ceiling', outcome: 'undecided' },
        sequential: { llr: 4.2, upper: 6.9, lower: -2.9, progress: 0.61, leaning: 'unhealthy', intervals: 2, minutesToDecide: 3.2 },
      },
    },
    {
      check: 'latency',
      verdict: 'pass',
      summary: 'p99 412ms, baseline 398ms (1.0×, max 1.5×): within bounds',
      detail: {
        unit: 'ms',
        measure: 'p99 latency, median of the window\'s points',
        canary: { value: 412, points: 6, queries: ['p99:latency{infra_set:is-pay-p-1}'] },
        baseline: { value: 398, points: 12, queries: ['p99:latency{infra_set:is-pay-p-0}'] },
        bound: { text: '1.5× the baseline (597ms; one-sided Mann–Whitney p=0.410, fails under 0.001)', value: 597, kind: 'ceiling', outcome: 'held' },
      },
    },
  ],
};

describe('verdict evidence', () => {
  it('the card keeps one line per check, says how long the judge still needs, and offers Details', () => {
    const card = renderReleaseCard(sampleReleaseView({ health }));
    expect(checkMessageBlocks(card.blocks)).toEqual([]);
    const section = card.blocks.find((block) => block.type === 'section' && block.text?.text.startsWith('*Health*'));
    expect(section).toMatchObject({ accessory: { type: 'button', action_id: ActionIds.verdictDetails, value: sampleReleaseView().id, text: { text: 'Details' } } });
    const text = section?.type === 'section' ? (section.text?.text ?? '') : '';
    expect(text).toContain('• errors: inconclusive — errors 0.42% vs baseline 0.20% (2.1×), 61% of the way to a verdict — needs ~4 more minutes of traffic at this rate');
    expect(text).toContain('• latency: pass — p99 412ms');
    expect(text).not.toContain('sum:hits');
  });

  it('a reading without evidence (persisted before) shows no Details button', () => {
    const card = renderReleaseCard(sampleReleaseView());
    expect(JSON.stringify(card.blocks)).not.toContain(ActionIds.verdictDetails);
  });

  it('the modal has the complete evidence: queries, windows, counts on each side, values, the bound, the sequential test', () => {
    const modal = renderVerdictEvidence('rel-0001', health);
    expect(checkView(modal)).toEqual([]);
    const text = JSON.stringify(modal.blocks);
    expect(text).toContain('payments in production · canary');
    expect(text).toContain('*Canary*: 0.42% (2,400 requests, 10 errors)');
    expect(text).toContain('*Baseline*: 0.20% (237,600 requests, 475 errors)');
    expect(text).toContain('`sum:errors{infra_set:is-pay-p-1}`');
    expect(text).toContain('window <!date^1795443000^');
    expect(text).toContain("*Bound*: 2× the baseline's error rate (0.40%) — not decided yet");
    expect(text).toContain('*Sequential test* after 2 intervals: log-likelihood ratio 4.20 (fails at ≥ 6.90, passes at ≤ -2.90), 61% of the way toward failing; needs ~4 more minutes of traffic at this rate to decide');
    expect(text).toContain('*Canary*: 412ms (6 points)');
    expect(text).toContain('— held');
  });

  it('says so when there is no reading yet', () => {
    expect(JSON.stringify(renderVerdictEvidence('rel-0001', null).blocks)).toContain('has no health reading yet');
  });
});
