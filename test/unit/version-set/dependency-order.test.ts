import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dependencyOrder } from '../../../src/domain/version-set/dependency-order.js';

const shop = { web: ['checkout'], checkout: ['payments', 'inventory'], payments: [], inventory: [] };

describe('dependencyOrder', () => {
  it('puts providers before consumers in the example shop', () => {
    expect(dependencyOrder(['web', 'checkout', 'payments', 'inventory'], shop)).toEqual({
      ok: true,
      order: ['inventory', 'payments', 'checkout', 'web'],
    });
  });

  it('ignores dependencies on services that are not shipping', () => {
    expect(dependencyOrder(['web', 'payments'], shop)).toEqual({ ok: true, order: ['payments', 'web'] });
  });

  it('names the services on a cycle', () => {
    const result = dependencyOrder(['a', 'b', 'c', 'd'], { a: ['b'], b: ['c'], c: ['a'], d: [] });
    expect(result).toEqual({ ok: false, cycle: ['a', 'b', 'c', 'a'] });
  });

  it('orders every acyclic graph so that each provider precedes its consumers', () => {
    const graph = fc.integer({ min: 1, max: 12 }).chain((size) =>
      fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: 30 }).map((edges) => {
        const names = Array.from({ length: size }, (_, index) => `s${index}`);
        const dependsOn: Record<string, string[]> = {};
        // Edges only from higher to lower index keep the graph acyclic.
        for (const [a, b] of edges) if (a > b) (dependsOn[names[a]!] ??= []).push(names[b]!);
        return { names, dependsOn };
      }),
    );
    fc.assert(
      fc.property(graph, ({ names, dependsOn }) => {
        const result = dependencyOrder(names, dependsOn);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        for (const [consumer, providers] of Object.entries(dependsOn)) {
          for (const provider of providers) expect(result.order.indexOf(provider)).toBeLessThan(result.order.indexOf(consumer));
        }
      }),
    );
  });
});
