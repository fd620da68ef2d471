import { describe, expect, it } from 'vitest';
import { checkConstraints, parseConstraint, parseVersion, satisfies } from '../../../src/domain/version-set/constraints.js';

function check(constraint: string, version: string): boolean {
  const parsed = parseConstraint(constraint);
  if (!parsed.ok) throw new Error(parsed.message);
  return satisfies(parsed.constraint, version).ok;
}

describe('satisfies', () => {
  it.each([
    // constraint, version, expected
    ['>=1.4.0', 'v1.4.2', true],
    ['>=1.4.0', '1.4.0', true],
    ['>=1.4.0', 'v1.3.9', false],
    ['>= 1.4.0', 'v1.5.0', true],
    ['^2', 'v2.9.1', true],
    ['^2', 'v3.0.0', false],
    ['^2', 'v1.9.9', false],
    ['^1.2.3', '1.9.0', true],
    ['^1.2.3', '1.2.2', false],
    ['^0.2.3', '0.2.9', true],
    ['^0.2.3', '0.3.0', false],
    ['^0.0.3', '0.0.4', false],
    ['~1.2', '1.2.7', true],
    ['~1.2', '1.3.0', false],
    ['~1.2.3', '1.2.2', false],
    ['~1', '1.9.0', true],
    ['1.x', '1.0.0', true],
    ['1.x', 'v1.99.3', true],
    ['1.x', '2.0.0', false],
    ['1.2.*', '1.2.5', true],
    ['1.2.*', '1.3.0', false],
    ['<2.0.0', 'v1.9.9', true],
    ['<2.0.0', 'v2.0.0', false],
    ['>1.2', '1.2.9', false],
    ['>1.2', '1.3.0', true],
    ['<=1.2', '1.2.9', true],
    ['<=1.2', '1.3.0', false],
    ['1.4.2', 'v1.4.2', true],
    ['=1.4.2', 'v1.4.3', false],
    ['>=1.4.0 <2.0.0', 'v1.9.0', true],
    ['>=1.4.0 <2.0.0', 'v2.0.0', false],
    ['^1 || ^3', 'v3.1.0', true],
    ['^1 || ^3', 'v2.1.0', false],
    ['>=1.0.0', '1.0.0-rc.1', false],
    ['>=1.0.0-rc.1', '1.0.0-rc.2', true],
    ['*', 'v0.0.1', true],
    ['', '9f3c2ab', true],
    ['>=1.0.0', '9f3c2ab', false],
    ['>=1.0.0', 'latest', false],
    ['v2', 'v2.4.0', true],
    ['~>1.2', '1.2.9', true],
    ['^1.2.3-beta.2', '1.2.3-beta.4', true],
    ['^1.2.3-beta.2', '1.2.4-beta.1', false],
    ['>=1.0.0 <2 || >=3', '1.0.0+build.7', true],
  ])('%s accepts %s: %s', (constraint, version, expected) => {
    expect(check(constraint, version)).toBe(expected);
  });

  it('explains that a git SHA only satisfies an empty constraint', () => {
    const parsed = parseConstraint('>=1.0.0');
    if (!parsed.ok) throw new Error(parsed.message);
    const result = satisfies(parsed.constraint, '9f3c2ab4e1');
    expect(result).toMatchObject({ ok: false, code: 'unordered_version' });
    expect(result.ok ? '' : result.message).toMatch(/git SHA.*only an empty constraint/);
  });
});

describe('parseConstraint', () => {
  it.each(['>=', '^banana', '1.2.3.4', '>>1', '^1 ||', '<*', '>*', 'latest', '|| ^2'])('refuses %j with a reason', (text) => {
    const parsed = parseConstraint(text);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.message).not.toBe('');
  });
});

describe('parseVersion', () => {
  it.each([
    ['v1.4.2', 'semver'],
    ['1.4', 'semver'],
    ['9f3c2ab', 'sha'],
    ['9f3c2ab4e1d0c8b7a6f5e4d3c2b1a09f8e7d6c5b', 'sha'],
    ['main-42', 'other'],
  ])('%s is a %s', (text, kind) => {
    expect(parseVersion(text).kind).toBe(kind);
  });
});

describe('checkConstraints', () => {
  const dependsOn = {
    web: [{ service: 'checkout', version: '^1' }],
    checkout: [{ service: 'payments', version: '>=2.0.0' }, { service: 'inventory' }],
    payments: [],
    inventory: [],
  };

  it('passes a set whose providers satisfy every constraint', () => {
    expect(checkConstraints({ web: 'v3.0.0', checkout: 'v1.2.0', payments: 'v2.1.0', inventory: '9f3c2ab' }, dependsOn)).toEqual([]);
  });

  it.each([
    [
      { checkout: 'v1.2.0', payments: 'v1.9.0', inventory: 'v1.0.0' },
      'unsatisfied',
      'checkout@v1.2.0 needs payments >=2.0.0, but the set has payments@v1.9.0',
    ],
    [{ checkout: 'v1.2.0', inventory: 'v1.0.0' }, 'missing_provider', 'checkout@v1.2.0 needs payments >=2.0.0, but the set has no version of payments'],
    [
      { checkout: 'v1.2.0', payments: 'abc1234', inventory: 'v1.0.0' },
      'unordered_version',
      'checkout@v1.2.0 needs payments >=2.0.0, but the set has payments@abc1234: abc1234 is a git SHA',
    ],
  ])('reports %j as %s', (set, code, message) => {
    const violations = checkConstraints(set, dependsOn);
    expect(violations).toHaveLength(1);
    expect(violations[0]).toMatchObject({ code, consumer: 'checkout', provider: 'payments' });
    expect(violations[0]!.message.startsWith(message)).toBe(true);
  });

  it('reports an unparsable constraint as a violation, not an exception', () => {
    const violations = checkConstraints({ web: 'v1.0.0', checkout: 'v1.0.0' }, { web: [{ service: 'checkout', version: '^^1' }] });
    expect(violations.map((violation) => violation.code)).toEqual(['invalid_constraint']);
  });
});
