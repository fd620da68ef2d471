import type { ChecksSummary } from './types.js';

/** One check on a commit, from a check run or a commit status, reduced to three outcomes. */
export interface CheckResult {
  name: string;
  outcome: 'pending' | 'success' | 'failure';
}

/**
 * Summarises the checks on a commit against the required names. With no required names, every
 * reported check counts, and at least one must be reported: right after an update nothing has
 * started yet, and "nothing reported" must not read as green. The latest result per name wins
 * (the caller lists them newest first).
 */
export function summariseChecks(results: readonly CheckResult[], required: readonly string[]): ChecksSummary {
  const byName = new Map<string, CheckResult['outcome']>();
  for (const result of results) if (!byName.has(result.name)) byName.set(result.name, result.outcome);
  const names = required.length > 0 ? [...required] : [...byName.keys()].sort();
  if (names.length === 0) return { state: 'pending', waitingFor: ['any check to report'] };
  const failing = names.filter((name) => byName.get(name) === 'failure');
  if (failing.length > 0) return { state: 'failure', failing };
  const waitingFor = names.filter((name) => byName.get(name) !== 'success');
  if (waitingFor.length > 0) return { state: 'pending', waitingFor };
  return { state: 'success', passed: names };
}
