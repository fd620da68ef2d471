import { describe, expect, it } from 'vitest';
import type { HealthCheckConfig } from '../../../src/config/delivery-schema.js';
import { awaitsMoreEvidence, combineVerdicts, judgeStage, type CheckInput, type SeriesSample } from '../../../src/domain/health/judge.js';
import { mannWhitneyGreater } from '../../../src/domain/health/mann-whitney.js';

const errorRate: HealthCheckConfig = { name: 'errors', kind: 'error_rate', requests: 'r', errors: 'e', maxRatioToBaseline: 2 };
const latency: HealthCheckConfig = { name: 'p99', kind: 'latency', percentile: 'p99', query: 'q', maxMs: 500, maxRatioToBaseline: 1.5 };
const saturation: HealthCheckConfig = { name: 'cpu', kind: 'saturation', query: 'q', max: 0.8 };
const traffic: HealthCheckConfig = { name: 'traffic', kind: 'traffic', query: 'q', minPerMinute: 100 };

const values = (...points: Array<number | null>): SeriesSample => ({ kind: 'values', values: points });
const counts = (requests: number, errors: number, baselineRequests = 118_800, baselineErrors = 594): CheckInput => ({
  kind: 'counts',
  canary: { requests: values(requests), errors: values(errors) },
  baseline: { requests: values(baselineRequests), errors: values(baselineErrors) },
});

function stage(check: HealthCheckConfig, input: CheckInput, evidence: unknown = null) {
  return judgeStage({ canary: 'c-2', baseline: 'c-1', weight: 1, windowSeconds: 60, checks: [{ check, input }], evidence });
}

describe('the error-rate judge', () => {
  it('reports the evidence so far on the card and stays inconclusive until it can decide', () => {
    const first = stage(errorRate, counts(1_200, 8));
    expect(first.verdict).toBe('inconclusive');
    expect(first.checks[0]!.summary).toMatch(/^errors 0\.67% vs baseline 0\.50% \(1\.3×\), \d+% of the way to a verdict$/);
    expect(first.checks[0]!.values.requests).toBe(1_200);
  });

  it('tells a test on its way to a verdict from a window that measured nothing usable', () => {
    const onItsWay = stage(errorRate, counts(1_200, 8));
    expect(onItsWay.checks[0]!.deciding).toBe(true);
    expect(awaitsMoreEvidence(onItsWay)).toBe(true);
    const empty = stage(errorRate, { kind: 'counts', canary: { requests: values(), errors: values() }, baseline: null });
    expect(empty.verdict).toBe('inconclusive');
    expect(awaitsMoreEvidence(empty)).toBe(false);
    const noBound = judgeStage({ canary: 'c-2', baseline: null, weight: 100, windowSeconds: 60, checks: [{ check: errorRate, input: { kind: 'counts', canary: { requests: values(1_200), errors: values(8) }, baseline: null } }], evidence: null });
    expect(noBound.checks[0]!.summary).toMatch(/no baseline to compare with and no max set/);
    expect(awaitsMoreEvidence(noBound)).toBe(false);
    // One check still deciding beside one that cannot judge: the stage cannot be judged.
    const mixed = judgeStage({
      canary: 'c-2', baseline: 'c-1', weight: 1, windowSeconds: 60,
      checks: [{ check: errorRate, input: counts(1_200, 8) }, { check: traffic, input: { kind: 'series', canary: values(), baseline: null } }],
      evidence: null,
    });
    expect(mixed.checks.map((check) => check.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(awaitsMoreEvidence(mixed)).toBe(false);
  });

  it('accumulates evidence across intervals through plain JSON until it fails a bad canary', () => {
    let evidence: unknown = null;
    const verdicts: string[] = [];
    for (let minute = 0; minute < 6; minute += 1) {
      const judged = stage(errorRate, counts(1_200, 13), evidence);
      evidence = JSON.parse(JSON.stringify(judged.evidence));
      verdicts.push(judged.verdict);
    }
    expect(verdicts.slice(0, 2)).toEqual(['inconclusive', 'inconclusive']);
    expect(verdicts).toContain('fail');
    // Once decided, the stage keeps its verdict.
    expect(verdicts.slice(verdicts.indexOf('fail'))).toEqual(verdicts.slice(verdicts.indexOf('fail')).map(() => 'fail'));
  });

  it('passes a healthy canary once the evidence accepts it', () => {
    let evidence: unknown = null;
    let verdict = '';
    for (let minute = 0; minute < 5 && verdict !== 'pass'; minute += 1) {
      const judged = stage(errorRate, counts(1_200, 5), evidence);
      evidence = judged.evidence;
      verdict = judged.verdict;
    }
    expect(verdict).toBe('pass');
  });

  it('starts afresh for another canary infra-set', () => {
    const judged = stage(errorRate, counts(1_200, 13));
    const other = judgeStage({ canary: 'c-3', baseline: 'c-1', weight: 1, windowSeconds: 60, checks: [{ check: errorRate, input: counts(1_200, 13) }], evidence: judged.evidence });
    expect(other.checks[0]!.values.requests).toBe(1_200);
  });

  it('keeps what it measured of the baseline into the next stage, where the canary takes all the traffic', () => {
    let evidence: unknown = null;
    for (let minute = 0; minute < 3; minute += 1) evidence = stage(errorRate, counts(1_200, 6), evidence).evidence;
    const full = (input: CheckInput, previous: unknown) =>
      judgeStage({ canary: 'c-2', baseline: 'c-1', weight: 100, windowSeconds: 60, checks: [{ check: errorRate, input }], evidence: previous });
    const first = full(counts(120_000, 600, 0, 0), evidence);
    expect(first.checks[0]!.values.requests).toBe(120_000);
    expect(first.checks[0]!.values.baselineRequests).toBe(3 * 118_800);
    expect(first.verdict).toBe('pass');
  });

  it.each([
    ['an empty series', values()],
    ['a series of nulls', values(null, null)],
    ['a NaN series', values(Number.NaN, Number.NaN)],
  ])('says not enough data, never pass or fail, for %s', (_label, requests) => {
    const decided = stage(errorRate, counts(12_000, 200)); // a clear fail first
    expect(decided.verdict).toBe('fail');
    const judged = stage(errorRate, { kind: 'counts', canary: { requests, errors: values() }, baseline: null }, decided.evidence);
    expect(judged.verdict).toBe('inconclusive');
    expect(judged.checks[0]!.summary).toMatch(/not enough data/);
  });

  it('turns a failed query into an error verdict and keeps the evidence', () => {
    const before = stage(errorRate, counts(1_200, 6));
    const judged = stage(errorRate, { kind: 'counts', canary: { requests: { kind: 'error', reason: 'Datadog timed out after 10s' }, errors: values(1) }, baseline: null }, before.evidence);
    expect(judged.verdict).toBe('error');
    expect(judged.checks[0]!.summary).toContain('timed out');
    expect(judged.evidence).toEqual(before.evidence);
  });

  it('refuses more errors than requests as an error, not a fail', () => {
    expect(stage(errorRate, counts(10, 20)).verdict).toBe('error');
  });

  it('judges against an absolute max when there is no baseline', () => {
    const check: HealthCheckConfig = { ...errorRate, max: 0.01 };
    const judged = judgeStage({ canary: 'c-1', baseline: null, weight: 100, windowSeconds: 60, checks: [{ check, input: { kind: 'counts', canary: { requests: values(50_000), errors: values(2_000) }, baseline: null } }], evidence: null });
    expect(judged.verdict).toBe('fail');
    const without = judgeStage({ canary: 'c-1', baseline: null, weight: 100, windowSeconds: 60, checks: [{ check: errorRate, input: { kind: 'counts', canary: { requests: values(50_000), errors: values(2_000) }, baseline: null } }], evidence: null });
    expect(without.verdict).toBe('inconclusive');
    expect(without.checks[0]!.summary).toContain('no baseline to compare with');
  });
});

describe('series checks', () => {
  it('fails latency over its maxMs on the window median and passes under it', () => {
    expect(stage(latency, { kind: 'series', canary: values(600, 650, 700), baseline: values(200, 210, 190) }).verdict).toBe('fail');
    const ok = stage(latency, { kind: 'series', canary: values(210, 205, 199, 220), baseline: values(200, 210, 190, 205) });
    expect(ok.verdict).toBe('pass');
    expect(ok.checks[0]!.summary).toMatch(/^p99 \d+ms, max 500ms, baseline \d+ms \(1\.0×, max 1\.5×\): within bounds$/);
  });

  it('fails latency well above the baseline by a Mann-Whitney comparison', () => {
    const check: HealthCheckConfig = { ...latency, maxMs: undefined };
    const input: CheckInput = { kind: 'series', canary: values(400, 420, 410, 430, 405, 415), baseline: values(200, 210, 190, 205, 195, 200) };
    // Six points a side cannot reach 0.1% significance; the next window's points add to them.
    const first = stage(check, input);
    expect(first.verdict).toBe('inconclusive');
    expect(awaitsMoreEvidence(first)).toBe(true);
    const judged = stage(check, input, first.evidence);
    expect(judged.verdict).toBe('fail');
    expect(judged.checks[0]!.values.ratio).toBeCloseTo(2.05, 1);
  });

  it('compares a canary at 100% with the baseline latency measured in the stage before', () => {
    const check: HealthCheckConfig = { ...latency, maxMs: undefined };
    const canary = judgeStage({ canary: 'c-2', baseline: 'c-1', weight: 10, windowSeconds: 60, checks: [{ check, input: { kind: 'series', canary: values(200, 205, 210), baseline: values(200, 210, 190) } }], evidence: null });
    const full = judgeStage({ canary: 'c-2', baseline: 'c-1', weight: 100, windowSeconds: 60, checks: [{ check, input: { kind: 'series', canary: values(205, 199, 202), baseline: values() } }], evidence: canary.evidence });
    expect(full.verdict).toBe('pass');
    expect(full.checks[0]!.values.baseline).toBe(200);
  });

  it('says not enough data for too few latency points', () => {
    const sparse = stage(latency, { kind: 'series', canary: values(100, null, Number.NaN), baseline: values(100, 100, 100) });
    expect(sparse.verdict).toBe('inconclusive');
    expect(awaitsMoreEvidence(sparse)).toBe(false);
  });

  it('fails saturation over its max and passes under it', () => {
    expect(stage(saturation, { kind: 'series', canary: values(0.9, 0.95, 0.85), baseline: null }).verdict).toBe('fail');
    expect(stage(saturation, { kind: 'series', canary: values(0.5, 0.95, 0.4), baseline: null }).verdict).toBe('pass');
  });

  it('never fails for too little traffic', () => {
    const low = stage(traffic, { kind: 'series', canary: values(20, 30), baseline: null });
    expect(low.verdict).toBe('inconclusive');
    expect(low.checks[0]!.summary).toBe('not enough traffic: 50 requests/min (needs 100)');
    expect(stage(traffic, { kind: 'series', canary: values(100, 30), baseline: null }).verdict).toBe('pass');
  });
});

describe('the stage verdict', () => {
  it('is fail over error over inconclusive over pass', () => {
    expect(combineVerdicts(['pass', 'inconclusive', 'error', 'fail'])).toBe('fail');
    expect(combineVerdicts(['pass', 'inconclusive', 'error'])).toBe('error');
    expect(combineVerdicts(['pass', 'inconclusive'])).toBe('inconclusive');
    expect(combineVerdicts(['pass'])).toBe('pass');
  });
});

describe('Mann-Whitney U', () => {
  it('finds a clear shift significant and no shift not', () => {
    expect(mannWhitneyGreater([5, 6, 7, 8, 9, 10], [1, 2, 3, 4, 5, 6]).pGreater).toBeLessThan(0.01);
    expect(mannWhitneyGreater([1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]).pGreater).toBeGreaterThan(0.4);
    expect(mannWhitneyGreater([3, 3, 3], [3, 3, 3]).pGreater).toBe(1);
  });
});
