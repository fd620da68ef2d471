/**
 * How many cases each fuzz property runs: a bounded number in `npm test`, FUZZ_RUNS for the full run
 * (`FUZZ_RUNS=10000 npx vitest run test/fuzz`).
 */
export function fuzzRuns(ciDefault: number): number {
  const requested = Number(process.env.FUZZ_RUNS ?? '');
  return Number.isInteger(requested) && requested > 0 ? requested : ciDefault;
}

/** Generous per-test timeout for the full run, scaled with the number of cases. */
export function fuzzTimeout(ciDefault: number, perCaseMs: number): number {
  return Math.max(30_000, fuzzRuns(ciDefault) * perCaseMs * 2);
}
