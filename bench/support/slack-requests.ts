import { signedHeaders } from '../../src/sandbox/slack-emulator/signing.js';
import { ActionIds, type ReleaseButtonAction } from '../../src/adapters/slack/action-ids.js';

/**
 * Signed Slack requests, byte for byte as Slack sends them (form-encoded slash commands and
 * block_actions payloads), for load generators and fault trials.
 */

export const BENCH_SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
export const BENCH_BOT_TOKEN = 'xoxb-bench-0000000000-0000000000000-benchbenchbenchbench';
const FORM = 'application/x-www-form-urlencoded';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function signedCommand(options: { command: string; text: string; user: string; triggerId: string; responseUrl: string; channel?: string }): SignedRequest {
  const body = new URLSearchParams({
    token: 'verification-token',
    team_id: 'T0DELIVERY',
    team_domain: 'delivery',
    channel_id: options.channel ?? 'C0DEPLOYS',
    channel_name: 'deploys',
    user_id: options.user,
    user_name: options.user.toLowerCase(),
    command: options.command,
    text: options.text,
    api_app_id: 'A0DELIVERY',
    is_enterprise_install: 'false',
    response_url: options.responseUrl,
    trigger_id: options.triggerId,
  }).toString();
  return { body, headers: signedHeaders(BENCH_SIGNING_SECRET, body, FORM) };
}

/** A click on a release card's button; the value is what the card renderer writes ({ r, v }). */
export function signedButton(options: { action: ReleaseButtonAction; releaseId: string; version: number; user: string; triggerId: string; responseUrl: string; channel?: string; messageTs?: string }): SignedRequest {
  const channel = options.channel ?? 'C0DEPLOYS';
  const ts = options.messageTs ?? '1700000000.000001';
  const value = JSON.stringify({ r: options.releaseId, v: options.version });
  const payload = {
    type: 'block_actions',
    user: { id: options.user, username: options.user.toLowerCase(), name: options.user.toLowerCase(), team_id: 'T0DELIVERY' },
    api_app_id: 'A0DELIVERY',
    token: 'verification-token',
    team: { id: 'T0DELIVERY', domain: 'delivery' },
    enterprise: null,
    is_enterprise_install: false,
    trigger_id: options.triggerId,
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
    channel: { id: channel, name: 'deploys' },
    message: { type: 'message', ts, text: 'release card', user: 'U0DELIVBOT', bot_id: 'B0DELIVBOT', blocks: [] },
    response_url: options.responseUrl,
    actions: [
      {
        type: 'button',
        action_id: ActionIds[options.action],
        block_id: 'release_actions',
        text: { type: 'plain_text', text: options.action },
        value,
        action_ts: `${Math.floor(Date.now() / 1000)}.000001`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return { body, headers: signedHeaders(BENCH_SIGNING_SECRET, body, FORM) };
}
