/**
 * Version constraints between services ("checkout needs payments >=2.0.0"), checked before a version
 * set ships. The grammar is the familiar subset of npm's ranges: comparators (`>=1.4.0`, `<2`, `=1.2.3`,
 * a bare `1.2.3`), caret (`^2`), tilde (`~1.2`), wildcards (`1.x`, `1.2.*`, `*`), several comparators
 * separated by spaces (all must hold) and alternatives separated by `||` (one must hold).
 *
 * Versions are image tags or git SHAs. A tag like `v1.4.2`, `1.4.2` or `v2` is read as a semantic
 * version (missing parts are 0). A git SHA, or any other tag, has no order, so it satisfies only an
 * empty constraint: a service that other services pin with a range must ship tagged versions.
 */

export type Semver = { major: number; minor: number; patch: number; prerelease: readonly string[] };

export type ParsedVersion =
  | { kind: 'semver'; text: string; semver: Semver }
  | { kind: 'sha'; text: string }
  | { kind: 'other'; text: string };

type Operator = '<' | '<=' | '>' | '>=' | '=';
type Comparator = { operator: Operator; version: Semver };

/** Alternatives (`||`) of conjunctions; an empty list of alternatives never occurs, `[[]]` means "anything". */
export type VersionConstraint = { text: string; alternatives: readonly (readonly Comparator[])[] };

export type ConstraintParse = { ok: true; constraint: VersionConstraint } | { ok: false; code: 'invalid_constraint'; message: string };

export type Satisfaction = { ok: true } | { ok: false; code: 'out_of_range' | 'unordered_version'; message: string };

const SEMVER = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;
const SHA = /^[0-9a-f]{7,40}$/;

export function parseVersion(text: string): ParsedVersion {
  const trimmed = text.trim();
  // A run of 7+ hex digits without dots is a commit, even when it happens to be all digits.
  if (SHA.test(trimmed)) return { kind: 'sha', text: trimmed };
  const match = SEMVER.exec(trimmed);
  if (!match) return { kind: 'other', text: trimmed };
  return {
    kind: 'semver',
    text: trimmed,
    semver: {
      major: Number(match[1]),
      minor: Number(match[2] ?? 0),
      patch: Number(match[3] ?? 0),
      prerelease: match[4] ? match[4].split('.') : [],
    },
  };
}

export function compareSemver(a: Semver, b: Semver): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  // A prerelease sorts before its release (1.0.0-rc.1 < 1.0.0).
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return b.prerelease.length - a.prerelease.length;
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xNumeric = /^\d+$/.test(x);
    const yNumeric = /^\d+$/.test(y);
    if (xNumeric && yNumeric) return Number(x) - Number(y);
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

/** A version with some parts left out or wildcarded: `1`, `1.2`, `1.x`, `*`. */
type Partial = { major?: number; minor?: number; patch?: number; prerelease: readonly string[] };

const PARTIAL = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parsePartial(text: string): Partial | undefined {
  const match = PARTIAL.exec(text);
  if (!match) return undefined;
  const parts: (number | undefined)[] = [];
  for (const part of [match[1], match[2], match[3]]) {
    // Anything after a wildcard is a wildcard too ("1.x.3" means "1.x").
    if (part === undefined || /^[xX*]$/.test(part) || parts.includes(undefined)) parts.push(undefined);
    else parts.push(Number(part));
  }
  const [major, minor, patch] = parts;
  return { major, minor, patch, prerelease: match[4] && patch !== undefined ? match[4].split('.') : [] };
}

const v = (major: number, minor = 0, patch = 0, prerelease: readonly string[] = []): Semver => ({ major, minor, patch, prerelease });

function floor(partial: Partial): Semver {
  return v(partial.major ?? 0, partial.minor ?? 0, partial.patch ?? 0, partial.prerelease);
}

/** The first version beyond what the partial covers: `1.2` → 1.3.0, `1` → 2.0.0. */
function ceilingOfPartial(partial: Partial): Semver | undefined {
  if (partial.major === undefined) return undefined;
  if (partial.minor === undefined) return v(partial.major + 1);
  if (partial.patch === undefined) return v(partial.major, partial.minor + 1);
  return undefined;
}

/** Expands one token (`^1.2`, `>=1.4.0`, `1.x`) into comparators, or explains why it is not one. */
function expandToken(token: string): Comparator[] | string {
  const operatorMatch = /^(\^|~>?|>=|<=|>|<|=)?\s*(.*)$/.exec(token)!;
  const operator = operatorMatch[1] ?? '';
  const rest = operatorMatch[2] ?? '';
  const partial = parsePartial(rest);
  if (!partial) return `"${token}" is not a version range (expected e.g. ">=1.4.0", "^2", "~1.2", "1.x")`;
  const low = floor(partial);
  const high = ceilingOfPartial(partial);
  if (partial.major === undefined) {
    // `*`, `>=*`: anything; `<*` and `>*`: nothing can match, which is surely a typo.
    return operator === '' || operator === '=' || operator === '>=' || operator === '<=' ? [] : `"${token}" matches no version`;
  }
  switch (operator) {
    case '':
    case '=':
      return high ? [{ operator: '>=', version: low }, { operator: '<', version: high }] : [{ operator: '=', version: low }];
    case '^': {
      // Caret allows changes that do not modify the left-most non-zero part.
      let upper: Semver;
      if (partial.major > 0 || partial.minor === undefined) upper = v(partial.major + 1);
      else if (partial.minor > 0 || partial.patch === undefined) upper = v(0, partial.minor + 1);
      else upper = v(0, 0, partial.patch + 1);
      return [{ operator: '>=', version: low }, { operator: '<', version: upper }];
    }
    case '~':
    case '~>': {
      const upper = partial.minor === undefined ? v(partial.major + 1) : v(partial.major, partial.minor + 1);
      return [{ operator: '>=', version: low }, { operator: '<', version: upper }];
    }
    case '>=':
      return [{ operator: '>=', version: low }];
    case '<':
      return [{ operator: '<', version: low }];
    case '>':
      // `>1.2` means beyond all of 1.2.x.
      return high ? [{ operator: '>=', version: high }] : [{ operator: '>', version: low }];
    case '<=':
      return high ? [{ operator: '<', version: high }] : [{ operator: '<=', version: low }];
    default:
      return `"${token}" has an unknown operator`;
  }
}

export function parseConstraint(text: string): ConstraintParse {
  const trimmed = text.trim();
  const alternatives: Comparator[][] = [];
  for (const alternative of trimmed === '' ? [''] : trimmed.split('||')) {
    // "> = 1.2" is not accepted, but ">= 1.2" is: glue an operator to the version after it.
    const tokens = alternative.trim().replace(/(\^|~>?|>=|<=|>|<|=)\s+/g, '$1').split(/\s+/).filter(Boolean);
    if (tokens.length === 0 && trimmed !== '') {
      return { ok: false, code: 'invalid_constraint', message: `"${text}" has an empty alternative around "||"` };
    }
    const comparators: Comparator[] = [];
    for (const token of tokens) {
      const expanded = expandToken(token);
      if (typeof expanded === 'string') return { ok: false, code: 'invalid_constraint', message: expanded };
      comparators.push(...expanded);
    }
    alternatives.push(comparators);
  }
  return { ok: true, constraint: { text: trimmed, alternatives } };
}

function holds(comparator: Comparator, version: Semver): boolean {
  const order = compareSemver(version, comparator.version);
  switch (comparator.operator) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    case '=':
      return order === 0;
  }
}

function isEmpty(constraint: VersionConstraint): boolean {
  return constraint.alternatives.some((comparators) => comparators.length === 0);
}

export function satisfies(constraint: VersionConstraint, version: string): Satisfaction {
  if (isEmpty(constraint)) return { ok: true };
  const parsed = parseVersion(version);
  switch (parsed.kind) {
    case 'sha':
      return {
        ok: false,
        code: 'unordered_version',
        message: `${parsed.text} is a git SHA, which has no order: only an empty constraint accepts it (tag the release, e.g. v1.4.2)`,
      };
    case 'other':
      return {
        ok: false,
        code: 'unordered_version',
        message: `"${parsed.text}" is not a semantic version, so it cannot satisfy "${constraint.text}"`,
      };
    case 'semver': {
      const ok = constraint.alternatives.some((comparators) => comparators.every((comparator) => holds(comparator, parsed.semver)));
      return ok ? { ok: true } : { ok: false, code: 'out_of_range', message: `${parsed.text} is outside "${constraint.text}"` };
    }
  }
}

/** What a service's config says about one provider: the same shape as `dependsOn` entries in delivery.yaml. */
export interface DependencyRequirement {
  service: string;
  version?: string | undefined;
}

export type ConstraintViolation = {
  code: 'unsatisfied' | 'unordered_version' | 'missing_provider' | 'invalid_constraint';
  consumer: string;
  consumerVersion: string;
  provider: string;
  constraint: string;
  /** The provider's version in the set, absent when the set has none. */
  providerVersion?: string;
  message: string;
};

/**
 * Checks every consumer in the set against the providers' versions in the same set. Callers that ship
 * a partial set pass it merged over what is deployed, so "the set" means what will run together.
 * Dependencies without a version constraint are ordering only and never violated.
 */
export function checkConstraints(
  versionSet: Readonly<Record<string, string>>,
  dependsOn: Readonly<Record<string, readonly DependencyRequirement[]>>,
): ConstraintViolation[] {
  const violations: ConstraintViolation[] = [];
  for (const consumer of Object.keys(versionSet).sort()) {
    const consumerVersion = versionSet[consumer]!;
    for (const requirement of dependsOn[consumer] ?? []) {
      const text = requirement.version?.trim() ?? '';
      if (text === '') continue;
      const base = { consumer, consumerVersion, provider: requirement.service, constraint: text };
      const needs = `${consumer}@${consumerVersion} needs ${requirement.service} ${text}`;
      const parsed = parseConstraint(text);
      if (!parsed.ok) {
        violations.push({ ...base, code: 'invalid_constraint', message: `${needs}, but that constraint is invalid: ${parsed.message}` });
        continue;
      }
      const providerVersion = versionSet[requirement.service];
      if (providerVersion === undefined) {
        violations.push({ ...base, code: 'missing_provider', message: `${needs}, but the set has no version of ${requirement.service}` });
        continue;
      }
      const result = satisfies(parsed.constraint, providerVersion);
      if (result.ok) continue;
      const has = `the set has ${requirement.service}@${providerVersion}`;
      violations.push(
        result.code === 'out_of_range'
          ? { ...base, providerVersion, code: 'unsatisfied', message: `${needs}, but ${has}` }
          : { ...base, providerVersion, code: 'unordered_version', message: `${needs}, but ${has}: ${result.message}` },
      );
    }
  }
  return violations;
}
