/**
 * Which warm infra-sets of one service in one environment retire: the most recently warmed
 * `keepWarm` stay (the last-known-good first), the rest go. Pure and stable for equal times.
 */
export interface WarmCandidate {
  id: string;
  warmedAt: string;
}

export function infraSetsToRetire(warm: readonly WarmCandidate[], keepWarm: number): string[] {
  const newestFirst = [...warm].sort((a, b) => Date.parse(b.warmedAt) - Date.parse(a.warmedAt) || b.id.localeCompare(a.id));
  return newestFirst.slice(Math.max(0, keepWarm)).map((candidate) => candidate.id);
}

/** The last-known-good infra-set: the most recently warmed one, if any. */
export function lastKnownGood<T extends WarmCandidate>(warm: readonly T[]): T | undefined {
  return [...warm].sort((a, b) => Date.parse(b.warmedAt) - Date.parse(a.warmedAt) || b.id.localeCompare(a.id))[0];
}
