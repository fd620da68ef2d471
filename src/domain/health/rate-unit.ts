import { assertNever } from '../assert-never.js';

/**
 * What one point of a traffic query measures. Datadog's `.as_rate()` and `per_second()`, and
 * Prometheus's `rate()`/`irate()`, answer requests per second whatever the bucket size; `.as_count()`
 * and `increase()` answer the requests counted in each bucket, so their size depends on the bucket.
 * A query that says neither is read as counts, which is what Datadog returns for a count metric.
 */
export type RateUnit = 'per_second' | 'per_minute' | 'per_hour' | 'per_bucket';

export function rateUnitOf(query: string): RateUnit {
  const text = query.toLowerCase();
  // An explicit count wins: `per_second(sum:hits{…}.as_count())` is unusual, but its points are counts.
  if (/\.as_count\(|\bincrease\(/.test(text)) return 'per_bucket';
  if (/\bper_minute\(/.test(text)) return 'per_minute';
  if (/\bper_hour\(/.test(text)) return 'per_hour';
  if (/\.as_rate\(|\bi?rate\(|\bper_second\(/.test(text)) return 'per_second';
  return 'per_bucket';
}

/**
 * Requests per minute from the points of one window: rates are averaged and scaled to a minute,
 * counts are averaged per bucket and divided by the bucket's length in minutes. An empty bucket is
 * no traffic, not a missing one: sources leave out buckets in which nothing was counted.
 */
export function requestsPerMinute(values: readonly number[], unit: RateUnit, bucketSeconds: number): number {
  if (values.length === 0) return 0;
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  switch (unit) {
    case 'per_second':
      return mean * 60;
    case 'per_minute':
      return mean;
    case 'per_hour':
      return mean / 60;
    case 'per_bucket':
      return bucketSeconds > 0 ? mean / (bucketSeconds / 60) : 0;
    default:
      return assertNever(unit, 'rate unit');
  }
}
