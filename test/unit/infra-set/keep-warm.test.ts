import { describe, expect, it } from 'vitest';
import { infraSetsToRetire, lastKnownGood } from '../../../src/domain/infra-set/keep-warm.js';

const warm = [
  { id: 'a', warmedAt: '2026-11-01T00:00:00Z' },
  { id: 'c', warmedAt: '2026-11-03T00:00:00Z' },
  { id: 'b', warmedAt: '2026-11-02T00:00:00Z' },
];

describe('keep-warm', () => {
  it.each([
    [1, ['b', 'a']],
    [2, ['a']],
    [3, []],
  ])('keeping %i warm retires %j', (keep, retired) => {
    expect(infraSetsToRetire(warm, keep)).toEqual(retired);
  });

  it('the last-known-good is the most recently warmed', () => {
    expect(lastKnownGood(warm)?.id).toBe('c');
    expect(lastKnownGood([])).toBeUndefined();
  });
});
