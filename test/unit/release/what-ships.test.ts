import { describe, expect, it } from 'vitest';
import { compareVersions, GITHUB_COM, shipmentOf, type VersionRecord } from '../../../src/domain/release/what-ships.js';

const record = (version: string, firstSetId: number, extra: Partial<VersionRecord> = {}): VersionRecord => ({
  version,
  firstSetId,
  commitSha: null,
  pullNumber: null,
  repo: null,
  title: null,
  ...extra,
});

describe('what ships', () => {
  const history = [
    record('v1', 1),
    record('aaaaaaa1', 2, { commitSha: 'aaaaaaa1', pullNumber: 7, repo: 'acme/pay', title: 'Faster' }),
    record('bbbbbbb2', 3, { commitSha: 'bbbbbbb2', repo: 'acme/pay' }),
    record('v0.9', 4),
  ];

  it('orders two tags by semver, even against the order of the sets that hold them', () => {
    expect(compareVersions('v1', 'v0.9', history)).toEqual({ direction: 'downgrade', orderedBy: 'semver' });
    expect(compareVersions('1.4', 'v1.10.0', [])).toEqual({ direction: 'upgrade', orderedBy: 'semver' });
  });

  it('falls back to the order of the version sets for a SHA, and says when nothing orders them', () => {
    expect(compareVersions('bbbbbbb2', 'aaaaaaa1', history)).toEqual({ direction: 'downgrade', orderedBy: 'version_sets' });
    expect(compareVersions('v1', 'bbbbbbb2', history)).toEqual({ direction: 'upgrade', orderedBy: 'version_sets' });
    expect(compareVersions('main-abc', 'main-def', history)).toEqual({ direction: 'unordered', orderedBy: null });
  });

  it('lists pull requests and bare commits in between, newest first, with a compare link', () => {
    const shipment = shipmentOf({ from: 'v1', to: 'bbbbbbb2', repo: 'acme/pay', history, versionSetId: 3, githubWebUrl: GITHUB_COM });
    expect(shipment).toMatchObject({
      direction: 'upgrade',
      compareUrl: 'https://github.com/acme/pay/compare/v1...bbbbbbb2',
      pulls: [{ number: 7, title: 'Faster', url: 'https://github.com/acme/pay/pull/7' }],
      commits: [{ sha: 'bbbbbbb2', url: 'https://github.com/acme/pay/commit/bbbbbbb2' }],
      changedSinceSet: false,
    });
  });

  it('a downgrade lists what it takes back out and compares the other way; a service moved on since the set is marked', () => {
    const shipment = shipmentOf({ from: 'bbbbbbb2', to: 'v1', repo: 'acme/pay', history, versionSetId: 1, githubWebUrl: GITHUB_COM });
    expect(shipment.direction).toBe('downgrade');
    expect(shipment.compareUrl).toBe('https://github.com/acme/pay/compare/v1...bbbbbbb2');
    expect(shipment.pulls.map((pull) => pull.number)).toEqual([7]);
    expect(shipment.changedSinceSet).toBe(true);
  });

  it('links a GitHub Enterprise host when given one', () => {
    const shipment = shipmentOf({ from: 'v1', to: 'bbbbbbb2', repo: 'acme/pay', history, versionSetId: 3, githubWebUrl: 'https://ghe.example.com/' });
    expect(shipment.compareUrl).toBe('https://ghe.example.com/acme/pay/compare/v1...bbbbbbb2');
    expect(shipment.pulls[0]?.url).toBe('https://ghe.example.com/acme/pay/pull/7');
    expect(shipment.commits[0]?.url).toBe('https://ghe.example.com/acme/pay/commit/bbbbbbb2');
    expect(shipmentOf({ from: null, to: 'v1', repo: 'acme/pay', history, versionSetId: 1, githubWebUrl: 'https://ghe.example.com' }).compareUrl).toBe('https://ghe.example.com/acme/pay/tree/v1');
  });

  it('a first deploy links the source of what ships', () => {
    expect(shipmentOf({ from: null, to: 'v1', repo: 'acme/pay', history, versionSetId: 1, githubWebUrl: GITHUB_COM })).toMatchObject({ direction: 'new', compareUrl: 'https://github.com/acme/pay/tree/v1', changedSinceSet: false });
  });
});
