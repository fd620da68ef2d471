import type { RequestSource } from '../../../ports/processed-requests.js';
import type { SlackDeps } from '../slack-deps.js';

/**
 * Claims a request key, right after the acknowledgement. Answers false for a retry, a double click
 * or a replay: the caller then does nothing else.
 */
export async function claimFirst(deps: SlackDeps, key: string, source: RequestSource): Promise<boolean> {
  try {
    return await deps.requests.claim(key, source, deps.clock.now());
  } catch (error) {
    // Without the store nothing can be done safely; the caller reports the outage instead.
    deps.logger.error({ err: error, key }, 'could not record a Slack request');
    throw error;
  }
}
