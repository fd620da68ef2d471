import type { ChecksSummary } from './types.js';

/** One check on a commit, from a check run or a commit status, reduced to three outcomes. */
export interface CheckResult {
  name: string;
  outcome: 'pending' | 'success' | 'failure';
  /** Set for a check run (Checks API), which can be re-run; a commit status cannot. */
  checkRunId?: number;
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

/**
 * The failed checks of a failed summary that can be re-run (check runs, the latest per name), or
 * none when any failing check is a commit status: re-running part of the failures would not help.
 */
export function retryableFailures(summary: ChecksSummary, results: readonly CheckResult[]): { name: string; checkRunId: number }[] {
  if (summary.state !== 'failure') return [];
  const latest = new Map<string, CheckResult>();
  for (const result of results) if (!latest.has(result.name)) latest.set(result.name, result);
  const rerun: { name: string; checkRunId: number }[] = [];
  for (const name of summary.failing) {
    const id = latest.get(name)?.checkRunId;
    if (id === undefined) return [];
    rerun.push({ name, checkRunId: id });
  }
  return rerun;
}
