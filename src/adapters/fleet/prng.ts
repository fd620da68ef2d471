/**
 * A small seeded PRNG and the distributions the simulated fleet draws from. Seeded, so a game day
 * replays identically and a test that relies on a canary failing cannot flake.
 */

export type Random = () => number;

/** mulberry32: 32-bit state, good enough statistics for traffic simulation, and fast. */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts: derives a stable seed per (fleet seed, infra-set, signal, bucket). */
export function hashSeed(...parts: Array<string | number>): number {
  let hash = 0x811c9dc5;
  for (const char of parts.join('\u0000')) {
    hash ^= char.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Standard normal by Box–Muller. */
export function standardNormal(random: Random): number {
  const u = Math.max(random(), Number.EPSILON);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * A Poisson draw. Knuth's product method for small means; above 30 the normal approximation with a
 * continuity correction, whose error is far below what any canary judge could notice.
 */
export function poisson(random: Random, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * standardNormal(random)));
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count += 1;
    product *= random();
  }
  return count;
}

/** z-scores of the percentiles health checks ask for. */
export const PERCENTILE_Z = { p50: 0, p95: 1.6449, p99: 2.3263, 'p99.9': 3.0902 } as const;
export type Percentile = keyof typeof PERCENTILE_Z;
