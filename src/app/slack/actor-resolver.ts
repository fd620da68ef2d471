import type { DeliveryConfig } from '../../config/delivery-schema.js';
import type { Actor } from '../../domain/release/types.js';

/** The one Web API call actor resolution needs (Bolt's WebClient satisfies it). */
export interface UserGroupDirectory {
  usergroups: { users: { list(args: { usergroup: string }): Promise<{ ok?: boolean; users?: string[] }> } };
}

/** Every user-group id (S…) the config names: approver groups and team members. */
export function userGroupIdsIn(config: DeliveryConfig): string[] {
  const ids = new Set<string>();
  for (const members of Object.values(config.approverGroups)) for (const id of members) if (id.startsWith('S')) ids.add(id);
  for (const team of Object.values(config.teams)) for (const id of team.members) if (id.startsWith('S')) ids.add(id);
  return [...ids].sort();
}

/**
 * Turns a Slack user into an Actor: the user id plus the configured user groups they belong to.
 * Memberships are read with usergroups.users.list and cached briefly, so a burst of clicks costs
 * one call per group, and a change in Slack shows within `ttlMs`.
 */
export class ActorResolver {
  #cache: { at: number; members: Map<string, Set<string>> } | undefined;
  #loading: Promise<Map<string, Set<string>>> | undefined;

  constructor(
    private readonly directory: UserGroupDirectory,
    private readonly groupIds: readonly string[],
    private readonly options: { ttlMs?: number; now?: () => number; onError?: (group: string, error: unknown) => void } = {},
  ) {}

  async resolve(userId: string): Promise<Actor> {
    if (this.groupIds.length === 0) return { userId, userGroupIds: [] };
    const members = await this.#memberships();
    const userGroupIds = this.groupIds.filter((group) => members.get(group)?.has(userId));
    return { userId, userGroupIds };
  }

  /** Forgets the cache (tests, or after a usergroup change event). */
  invalidate(): void {
    this.#cache = undefined;
  }

  async #memberships(): Promise<Map<string, Set<string>>> {
    const now = (this.options.now ?? Date.now)();
    const ttl = this.options.ttlMs ?? 60_000;
    if (this.#cache && now - this.#cache.at < ttl) return this.#cache.members;
    // Concurrent requests share one load rather than each calling Slack.
    this.#loading ??= this.#load(now).finally(() => {
      this.#loading = undefined;
    });
    return this.#loading;
  }

  async #load(now: number): Promise<Map<string, Set<string>>> {
    const members = new Map<string, Set<string>>();
    await Promise.all(
      this.groupIds.map(async (group) => {
        try {
          const answer = await this.directory.usergroups.users.list({ usergroup: group });
          members.set(group, new Set(answer.users ?? []));
        } catch (error) {
          // An unreadable group grants nothing: the refusal then says who may act, which is safe.
          this.options.onError?.(group, error);
          members.set(group, new Set());
        }
      }),
    );
    this.#cache = { at: now, members };
    return members;
  }
}
