import { parseVersion } from '../version-set/constraints.js';

/**
 * What a release ships, per service: serving → target, which way that goes (a downgrade is never
 * silent), whether the service moved on after the shipped version set was minted, and the pull
 * requests and commits in between with their links, wherever the version sets and the merge queue
 * know them. Pure: the store reads the history, this reads it.
 */

/** One version of a service as the version sets know it, with the merge that made it when there was one. */
export interface VersionRecord {
  version: string;
  /** The first version set holding this version: the "older version set" order of versions. */
  firstSetId: number;
  commitSha: string | null;
  pullNumber: number | null;
  repo: string | null;
  /** The pull request's title, when the merge queue merged it. */
  title: string | null;
}

/** Per service, its versions in version-set order (oldest first). */
export type VersionHistory = Record<string, VersionRecord[]>;

export type ShipDirection = 'new' | 'upgrade' | 'downgrade' | 'unordered';

export interface ShippedPull {
  number: number;
  title: string | null;
  url: string;
}

export interface ShippedCommit {
  sha: string;
  url: string;
}

export interface Shipment {
  direction: ShipDirection;
  /** How the direction was read: both versions as semver, or by the version sets that first held them. */
  orderedBy: 'semver' | 'version_sets' | null;
  /** GitHub's compare view between the two versions (for a downgrade, of what it takes back out). */
  compareUrl: string | null;
  /** Merged pull requests between the versions: shipped (upgrade) or taken back out (downgrade), newest first. */
  pulls: ShippedPull[];
  /** Merge commits in between that no pull request names. */
  commits: ShippedCommit[];
  /** The serving version is newer than the version set shipped: someone moved the service on since. */
  changedSinceSet: boolean;
}

/** GitHub.com's web address: links go there unless GITHUB_API_URL names a GitHub Enterprise (see `githubWebUrl`). */
export const GITHUB_COM = 'https://github.com';

function refOf(record: VersionRecord | undefined, version: string): string {
  return record?.commitSha ?? version;
}

/**
 * Which way `from` → `to` goes: by semver when both read as one (`v1.4.2`, `2`, `1.4`), else by the
 * version sets that first held each (the older set holds the older version), else unknown.
 */
export function compareVersions(from: string, to: string, history: readonly VersionRecord[]): { direction: ShipDirection; orderedBy: Shipment['orderedBy'] } {
  const a = parseVersion(from);
  const b = parseVersion(to);
  if (a.kind === 'semver' && b.kind === 'semver') {
    const order = a.semver.compare(b.semver);
    if (order !== 0) return { direction: order < 0 ? 'upgrade' : 'downgrade', orderedBy: 'semver' };
  }
  const fromSet = history.find((record) => record.version === from)?.firstSetId;
  const toSet = history.find((record) => record.version === to)?.firstSetId;
  if (fromSet !== undefined && toSet !== undefined && fromSet !== toSet) return { direction: fromSet < toSet ? 'upgrade' : 'downgrade', orderedBy: 'version_sets' };
  return { direction: 'unordered', orderedBy: null };
}

export interface ShipmentInput {
  from: string | null;
  to: string;
  /** The service's repository (owner/name), from the config. */
  repo: string | null;
  /** The service's versions in version-set order; empty when nothing is known. */
  history: readonly VersionRecord[];
  /** The version set being shipped (0 before one is minted). */
  versionSetId: number;
  /** Where GitHub's web pages are: GITHUB_COM, or a GitHub Enterprise's own host. */
  githubWebUrl: string;
}

export function shipmentOf(input: ShipmentInput): Shipment {
  const { from, to, history } = input;
  const web = input.githubWebUrl.replace(/\/+$/, '');
  const toRecord = history.find((record) => record.version === to);
  if (from === null) {
    return {
      direction: 'new',
      orderedBy: null,
      compareUrl: input.repo ? `${web}/${input.repo}/tree/${encodeURIComponent(refOf(toRecord, to))}` : null,
      pulls: [],
      commits: [],
      changedSinceSet: false,
    };
  }
  const fromRecord = history.find((record) => record.version === from);
  const { direction, orderedBy } = compareVersions(from, to, history);
  // What lies between the two: the versions first held after the older one, up to the newer one.
  const [older, newer] = direction === 'downgrade' ? [toRecord, fromRecord] : [fromRecord, toRecord];
  const between =
    older && newer && direction !== 'unordered' ? history.filter((record) => record.firstSetId > older.firstSetId && record.firstSetId <= newer.firstSetId).reverse() : [];
  const pulls: ShippedPull[] = [];
  const commits: ShippedCommit[] = [];
  for (const record of between) {
    const repo = record.repo ?? input.repo;
    if (record.pullNumber !== null && repo) {
      if (!pulls.some((pull) => pull.number === record.pullNumber)) pulls.push({ number: record.pullNumber, title: record.title, url: `${web}/${repo}/pull/${record.pullNumber}` });
    } else if (record.commitSha && repo) {
      commits.push({ sha: record.commitSha, url: `${web}/${repo}/commit/${record.commitSha}` });
    }
  }
  const [base, head] = direction === 'downgrade' ? [refOf(toRecord, to), refOf(fromRecord, from)] : [refOf(fromRecord, from), refOf(toRecord, to)];
  return {
    direction,
    orderedBy,
    compareUrl: input.repo ? `${web}/${input.repo}/compare/${encodeURIComponent(base)}...${encodeURIComponent(head)}` : null,
    pulls,
    commits,
    changedSinceSet: input.versionSetId > 0 && fromRecord !== undefined && fromRecord.firstSetId > input.versionSetId,
  };
}

/** What a plan line says after "payments v2 → v1": a downgrade, a service moved on since the set was minted. */
export function changeMarks(change: { shipment?: Shipment | undefined }, versionSetId: number): string {
  const marks: string[] = [];
  if (change.shipment?.direction === 'downgrade') marks.push('⚠ DOWNGRADE');
  if (change.shipment?.changedSinceSet) marks.push(`moved on since set #${versionSetId} was minted`);
  return marks.length > 0 ? ` (${marks.join(', ')})` : '';
}
