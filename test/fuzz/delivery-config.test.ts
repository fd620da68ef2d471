import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseDeliveryConfig, SHIPPED_DELIVERY_CONFIG } from '../../src/config/load-delivery-config.js';
import { fuzzRuns, fuzzTimeout } from './fuzz-runs.js';

/**
 * A delivery config is hand-written YAML. Whatever the text — random bytes, broken YAML, or the
 * shipped example with parts deleted, swapped or retyped — loading it answers the config or a list
 * of errors, each with a position, a key path and a message; it never throws.
 */

const example = parse(readFileSync(SHIPPED_DELIVERY_CONFIG, 'utf8')) as Record<string, unknown>;

type Json = unknown;
const leaf = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom('10m', '-5s', '0', '1h30m', 'U0BOB', '#deploys', 'webhook', 'simulated', '0 9 * * 1-5', 'Mars/Olympus'));

/** Paths of every value in the example, so a mutation can hit any of them. */
function paths(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (Array.isArray(value)) return [prefix, ...value.flatMap((item, index) => paths(item, [...prefix, index]))];
  if (value && typeof value === 'object') return [prefix, ...Object.entries(value).flatMap(([key, item]) => paths(item, [...prefix, key]))];
  return [prefix];
}
const allPaths = paths(example).filter((path) => path.length > 0);

function mutate(root: Json, path: Array<string | number>, action: 'delete' | 'replace' | 'rename', replacement: Json): Json {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    const next = parent[key];
    if (!next || typeof next !== 'object') return copy;
    parent = next as Record<string | number, unknown>;
  }
  const last = path.at(-1)!;
  if (action === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (action === 'replace') {
    parent[last] = replacement;
  } else if (!Array.isArray(parent)) {
    parent[`${String(last)}x`] = parent[last];
    delete parent[last];
  }
  return copy;
}

const mutation = fc.record({
  path: fc.constantFrom(...allPaths),
  action: fc.constantFrom('delete' as const, 'replace' as const, 'rename' as const),
  replacement: fc.oneof(leaf, fc.array(leaf, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), leaf, { maxKeys: 3 })),
});
const mutatedExample = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((steps) => stringify(steps.reduce<Json>((config, step) => mutate(config, step.path, step.action, step.replacement), example)));

function expectAnswered(text: string): void {
  const result = parseDeliveryConfig(text, 'delivery.yaml');
  if (result.ok) {
    expect(Object.keys(result.config.environments).length).toBeGreaterThan(0);
    return;
  }
  expect(result.errors.length).toBeGreaterThan(0);
  for (const error of result.errors) {
    expect(error.file).toBe('delivery.yaml');
    expect(Number.isInteger(error.line)).toBe(true);
    expect(typeof error.path).toBe('string');
    expect(error.message.trim().length).toBeGreaterThan(0);
  }
}

describe('delivery configs, fuzzed', () => {
  it('the shipped example with parts deleted, replaced or renamed loads or says what is wrong', () => {
    fc.assert(fc.property(mutatedExample, expectAnswered), { numRuns: fuzzRuns(300) });
  }, fuzzTimeout(300, 400));

  it('arbitrary text loads or says what is wrong', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 200 })), expectAnswered), { numRuns: fuzzRuns(500) });
  }, fuzzTimeout(500, 5));

  it('an alias to no anchor is a YAML error, not a crash (found by this fuzzer)', () => {
    const result = parseDeliveryConfig('*!', 'delivery.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]?.message).toMatch(/^YAML: /);
  });

  it('a mutation that removes a required key is reported, not ignored', () => {
    const withoutServices = mutate(example, ['services'], 'delete', null);
    const result = parseDeliveryConfig(stringify(withoutServices), 'delivery.yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((error) => error.path)).toContain('services');
  });
});
