/**
 * Mann-Whitney U test: is `a` stochastically greater than `b`? Nonparametric, so it suits latency
 * percentiles, whose distribution over a window is skewed and has no useful mean. Normal approximation
 * with tie and continuity corrections; callers only use it with at least a handful of points a side.
 */

export interface MannWhitneyResult {
  /** U statistic of `a`: the number of (a, b) pairs where a wins, ties counting half. */
  u: number;
  /** One-sided p-value of "a is not greater than b". */
  pGreater: number;
}

export function mannWhitneyGreater(a: readonly number[], b: readonly number[]): MannWhitneyResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return { u: 0, pGreater: 1 };
  const all = [...a.map((value) => ({ value, fromA: true })), ...b.map((value) => ({ value, fromA: false }))];
  all.sort((x, y) => x.value - y.value);
  let rankSumA = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.value === all[i]!.value) j += 1;
    const rank = (i + j) / 2 + 1;
    const size = j - i + 1;
    tieTerm += size ** 3 - size;
    for (let k = i; k <= j; k += 1) if (all[k]!.fromA) rankSumA += rank;
    i = j + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, pGreater: 1 };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, pGreater: 1 - standardNormalCdf(z) };
}

/** Abramowitz-Stegun 7.1.26 via erf: accurate to ~1e-7, plenty for a significance threshold. */
export function standardNormalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
