import semver from 'semver';

/**
 * Version constraints between services ("checkout needs payments >=2.0.0"), checked before a version
 * set ships. Ranges are npm's (the `semver` package, a pure function of its inputs): comparators
 * (`>=1.4.0`, `<2`, `=1.2.3`, a bare `1.2.3`), caret (`^2`), tilde (`~1.2`), wildcards (`1.x`,
 * `1.2.*`, `*`), several comparators separated by spaces (all must hold) and alternatives separated
 * by `||` (one must hold). A prerelease satisfies a range only when the range names a prerelease of
 * the same major.minor.patch, as npm has it.
 *
 * Versions are image tags or git SHAs. A tag like `v1.4.2`, `1.4.2` or `v2` is read as a semantic
 * version (missing parts are 0). A git SHA, or any other tag, has no order, so it satisfies only an
 * empty constraint: a service that other services pin with a range must ship tagged versions.
 */

export type ParsedVersion =
  | { kind: 'semver'; text: string; semver: semver.SemVer }
  | { kind: 'sha'; text: string }
  | { kind: 'other'; text: string };

/** A range as npm normalises it (`>=1.0.0 <2.0.0-0`); `*` accepts anything. */
export type VersionConstraint = { text: string; range: string };

export type ConstraintParse = { ok: true; constraint: VersionConstraint } | { ok: false; code: 'invalid_constraint'; message: string };

export type Satisfaction = { ok: true } | { ok: false; code: 'out_of_range' | 'unordered_version'; message: string };

/** A tag with up to three numeric parts: `semver` wants all three, image tags often have one or two. */
const TAG = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
/** Checked first: a run of 7+ hex digits without dots is a commit, even when it happens to be all digits. */
const SHA = /^[0-9a-f]{7,40}$/;

export function parseVersion(text: string): ParsedVersion {
  const trimmed = text.trim();
  if (SHA.test(trimmed)) return { kind: 'sha', text: trimmed };
  const match = TAG.exec(trimmed);
  const parsed = match ? semver.parse(`${match[1]}.${match[2] ?? 0}.${match[3] ?? 0}${match[4] ?? ''}${match[5] ?? ''}`) : null;
  return parsed ? { kind: 'semver', text: trimmed, semver: parsed } : { kind: 'other', text: trimmed };
}

export function parseConstraint(text: string): ConstraintParse {
  const trimmed = text.trim();
  // npm reads an empty alternative as `*`, which would quietly accept anything: surely a typo here.
  if (trimmed !== '' && trimmed.split('||').some((alternative) => alternative.trim() === '')) {
    return { ok: false, code: 'invalid_constraint', message: `"${text}" has an empty alternative around "||"` };
  }
  const range = semver.validRange(trimmed);
  if (range === null) {
    return { ok: false, code: 'invalid_constraint', message: `"${trimmed}" is not a version range (expected e.g. ">=1.4.0", "^2", "~1.2", "1.x")` };
  }
  // `<*`, `>*`, `<0.0.0-0`: valid npm, and nothing can match.
  if (semver.minVersion(range) === null) return { ok: false, code: 'invalid_constraint', message: `"${trimmed}" matches no version` };
  return { ok: true, constraint: { text: trimmed, range } };
}

export function satisfies(constraint: VersionConstraint, version: string): Satisfaction {
  if (constraint.range === '*') return { ok: true };
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
    case 'semver':
      return semver.satisfies(parsed.semver, constraint.range)
        ? { ok: true }
        : { ok: false, code: 'out_of_range', message: `${parsed.text} is outside "${constraint.text}"` };
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
