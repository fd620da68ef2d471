/** What the merge queue needs from the engine: each merge mints a new version set. */
export interface RecordMergeInput {
  service: string;
  version: string;
  commitSha: string;
  pullNumber: number;
  repo: string;
}

export interface VersionSets {
  /** Mints a new version set = the latest set with this service's version replaced (idempotent per service@version). */
  recordMerge(input: RecordMergeInput): Promise<{ versionSetId: number }>;
}
