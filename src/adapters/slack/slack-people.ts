import type { WebClient } from '@slack/web-api';
import type { SlackPeople, SlackUserLookup } from '../../ports/slack-people.js';
import { createSlackWebClient } from './slack-chat.js';

/**
 * users.lookupByEmail over Slack's Web API. Without the `users:read.email` scope Slack answers
 * `missing_scope`: that is remembered, so a workspace that did not grant it is asked once, not per notice.
 */
export class SlackWebPeople implements SlackPeople {
  private readonly client: WebClient;
  private refused: string | null = null;

  constructor(options: { token: string; apiUrl?: string }) {
    this.client = createSlackWebClient(options.token, options.apiUrl);
  }

  async userIdByEmail(email: string): Promise<SlackUserLookup> {
    if (this.refused) return { kind: 'not_permitted', reason: this.refused };
    try {
      const answer = await this.client.users.lookupByEmail({ email });
      const userId = answer.user?.id;
      return userId ? { kind: 'found', userId } : { kind: 'not_found' };
    } catch (error) {
      const code = (error as { data?: { error?: string } }).data?.error;
      if (code === 'users_not_found') return { kind: 'not_found' };
      if (code === 'missing_scope' || code === 'no_permission' || code === 'enterprise_is_restricted') {
        this.refused = `users.lookupByEmail answered ${code} (grant the users:read.email scope)`;
        return { kind: 'not_permitted', reason: this.refused };
      }
      throw error;
    }
  }
}
