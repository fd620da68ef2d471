import { describe, expect, it } from 'vitest';
import type { InfraSetRecord } from '../../../src/ports/infra-set-store.js';
import type { ReleaseRecord } from '../../../src/ports/release-store.js';
import { effectBatchOf, infraSetsToRead } from '../../../src/store/transition-rows.js';
import { exampleShopConfig, TUESDAY_MORNING } from '../../support/fakes/example-config.js';

/** The rows one transition writes, planned from the infra-sets read once (both stores write exactly these). */

const now = new Date(TUESDAY_MORNING);
const config = exampleShopConfig();
const row = { id: 'r1', version: 3 } as ReleaseRecord;
const set = (id: string, parts: Partial<InfraSetRecord>): InfraSetRecord => ({ id, service: 'payments', environment: 'production', version: id, releaseId: null, state: 'serving', weight: 0, createdAt: new Date(now.getTime() - 3_600_000), warmedAt: null, retiredAt: null, ...parts });

describe('effectBatchOf', () => {
  it('reads the sets of each target whose traffic or warm sets move, and sets retired by id', () => {
    expect(infraSetsToRead([{ kind: 'card' }, { kind: 'record_provisioned', infraSetId: 'is-new' }])).toBeNull();
    expect(
      infraSetsToRead([
        { kind: 'record_weights', environment: 'production', service: 'payments', weights: { 'is-new': 100 }, discard: [] },
        { kind: 'converged', environment: 'production', service: 'payments', infraSetId: 'is-new', previousInfraSetId: 'is-old' },
        { kind: 'retire_infra_set', environment: 'staging', service: 'web', infraSetId: 'is-web' },
      ]),
    ).toEqual({ targets: [{ service: 'payments', environment: 'production' }, { service: 'web', environment: 'staging' }], ids: ['is-web'] });
  });

  it('writes each moved set once, where the effects left it, guarded by the state it was read in', () => {
    const sets = [set('is-new', { state: 'ready' }), set('is-old', { weight: 100 }), set('is-older', { state: 'warm', warmedAt: new Date(now.getTime() - 600_000) })];
    const batch = effectBatchOf(
      row,
      [
        { kind: 'record_weights', environment: 'production', service: 'payments', weights: { 'is-new': 100 }, discard: [] },
        { kind: 'converged', environment: 'production', service: 'payments', infraSetId: 'is-new', previousInfraSetId: 'is-old' },
      ],
      { config, now, priority: 0, sets },
    );
    // is-old served and turned warm, then keep-warm (payments keeps one) kept it as the newest; is-older
    // was warm longer than the drain delay, so it retires at once and is torn down.
    expect(batch.moves).toEqual([
      { id: 'is-new', readState: 'ready', state: 'serving', weight: 100, warmedAt: null, retiredAt: null },
      { id: 'is-old', readState: 'serving', state: 'warm', weight: 0, warmedAt: now, retiredAt: null },
      { id: 'is-older', readState: 'warm', state: 'retired', weight: 0, warmedAt: sets[2]!.warmedAt, retiredAt: now },
    ]);
    expect(batch.outbox.map((entry) => [entry.key, entry.lane, entry.releaseId])).toEqual([['retire:is-older', 'critical', null]]);
    expect(batch.ready).toEqual([]);
  });

  it('marks a set provisioned by id when it was not read, and leaves unmoved sets out', () => {
    const batch = effectBatchOf(row, [{ kind: 'record_provisioned', infraSetId: 'is-new' }], { config, now, priority: 0, sets: [] });
    expect(batch).toMatchObject({ ready: ['is-new'], moves: [], infraSets: [] });
    const unmoved = effectBatchOf(row, [{ kind: 'record_weights', environment: 'production', service: 'payments', weights: { 'is-old': 100 }, discard: [] }], { config, now, priority: 0, sets: [set('is-old', { weight: 100 })] });
    expect(unmoved.moves).toEqual([]);
  });

  it('refuses to move a set the same transition mints', () => {
    expect(() =>
      effectBatchOf(
        row,
        [
          { kind: 'provision', infraSetId: 'is-new', service: 'checkout', environment: 'production', version: 'v2', token: 't1' },
          { kind: 'retire_infra_set', environment: 'production', service: 'checkout', infraSetId: 'is-new' },
        ],
        { config, now, priority: 0, sets: [] },
      ),
    ).toThrow('infra-set is-new is minted and moved by one transition');
  });
});
