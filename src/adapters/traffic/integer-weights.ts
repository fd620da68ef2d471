import type { Weights } from '../../ports/traffic.js';

/** A split the router cannot carry out, with the reason; else the weights are fine. */
export function invalidSplit(weights: Weights): string | null {
  const entries = Object.entries(weights);
  if (entries.length === 0) return 'no infra-set to route to';
  if (entries.some(([, pct]) => !Number.isFinite(pct) || pct < 0)) return `weights must be percentages of 0 or more, not ${JSON.stringify(weights)}`;
  const total = entries.reduce((sum, [, pct]) => sum + pct, 0);
  if (Math.abs(total - 100) > 0.01) return `weights add up to ${total}%, not 100%`;
  return null;
}

/**
 * Integer weights for a router that takes relative weights (Gateway API backendRefs): whole
 * percents stay as they are (readable in the object), fractions become tenths of a percent.
 */
export function relativeWeights(weights: Weights): Record<string, number> {
  const whole = Object.values(weights).every((pct) => Number.isInteger(pct));
  return Object.fromEntries(Object.entries(weights).map(([id, pct]) => [id, whole ? pct : Math.round(pct * 10)]));
}

/**
 * Integer percents that add up to exactly 100 (Istio requires it): largest remainder, so 33.3/33.3/33.4
 * becomes 33/33/34 and never 99 or 101. A set with weight above 0 keeps at least 1.
 */
export function wholePercents(weights: Weights): Record<string, number> {
  const entries = Object.entries(weights);
  const floors = entries.map(([id, pct]) => ({ id, floor: Math.floor(pct), rest: pct - Math.floor(pct), positive: pct > 0 }));
  let missing = 100 - floors.reduce((sum, entry) => sum + entry.floor, 0);
  for (const entry of [...floors].sort((a, b) => b.rest - a.rest || a.id.localeCompare(b.id))) {
    if (missing <= 0) break;
    entry.floor += 1;
    missing -= 1;
  }
  for (const entry of floors) if (entry.positive && entry.floor === 0) entry.floor = 1;
  let excess = floors.reduce((sum, entry) => sum + entry.floor, 0) - 100;
  for (const entry of [...floors].sort((a, b) => b.floor - a.floor)) {
    const take = Math.min(excess, entry.floor - 1);
    if (take > 0) {
      entry.floor -= take;
      excess -= take;
    }
  }
  return Object.fromEntries(floors.map((entry) => [entry.id, entry.floor]));
}

/** Percent of traffic per backend from integer weights as a router reads them (one decimal). */
export function percentsOf(weights: Readonly<Record<string, number>>): Weights {
  const total = Object.values(weights).reduce((sum, weight) => sum + weight, 0);
  return Object.fromEntries(Object.entries(weights).map(([id, weight]) => [id, total === 0 ? 0 : Math.round((weight / total) * 1000) / 10]));
}

export function sameIntegerWeights(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const ids = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...ids].every((id) => a[id] === b[id]);
}
