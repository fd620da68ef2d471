import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/ports/clock.js';
import { consoleRoutes, type ConsoleState } from '../../../src/sandbox/console-routes.js';
import { SimulatedFleet } from '../../../src/adapters/fleet/simulated-fleet.js';
import { GameDay } from '../../../src/sandbox/gameday.js';
import { serveRoutes } from '../../../src/sandbox/route-server.js';
import { SlackEmulator, slackSignature } from '../../../src/sandbox/slack-emulator/index.js';

/**
 * The console's HTTP side against the real Slack emulator and a stand-in app on loopback that checks
 * Slack's signature, as Bolt does, and posts a card with a confirm-guarded button through the Web API.
 */
const SECRET = 'console-test-secret';
const received: Array<Record<string, string>> = [];
let app: Server;
let emulator: SlackEmulator;
let consoleServer: Awaited<ReturnType<typeof serveRoutes>>;
let restarts = 0;
const fleet = new SimulatedFleet({ clock: new ManualClock('2026-01-05T10:00:00Z'), loads: { checkout: { requestsPerSecond: 100, errorRate: 0.005, latencyMedianMs: 80 } } });

const card = [
  { type: 'header', text: { type: 'plain_text', text: 'checkout v2 → production' } },
  {
    type: 'actions',
    block_id: 'release-r1',
    elements: [
      { type: 'button', action_id: 'release.approve', value: 'r1', style: 'primary', text: { type: 'plain_text', text: 'Approve' } },
      {
        type: 'button',
        action_id: 'release.rollback',
        value: 'r1',
        style: 'danger',
        text: { type: 'plain_text', text: 'Roll back' },
        confirm: { title: { type: 'plain_text', text: 'Roll back?' }, text: { type: 'mrkdwn', text: 'Traffic returns to v1.' }, confirm: { type: 'plain_text', text: 'Roll back' }, deny: { type: 'plain_text', text: 'Cancel' } },
      },
    ],
  },
];

beforeAll(async () => {
  emulator = new SlackEmulator({ signingSecret: SECRET, users: [{ id: 'U0ALICE', name: 'alice' }, { id: 'U0BOB', name: 'bob' }], channels: [{ name: 'deploys' }], autoCreateChannels: true });
  await emulator.start();
  app = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', async () => {
      const timestamp = Number(req.headers['x-slack-request-timestamp']);
      if (req.headers['x-slack-signature'] !== slackSignature(SECRET, timestamp, raw)) {
        res.writeHead(401).end();
        return;
      }
      const form = Object.fromEntries(new URLSearchParams(raw).entries());
      received.push(form);
      if (form.command === '/deploy') {
        await fetch(`${emulator.apiUrl}chat.postMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-test' },
          body: new URLSearchParams({ channel: form.channel_id ?? '', text: 'checkout v2 → production', blocks: JSON.stringify(card) }).toString(),
        });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ response_type: 'ephemeral', text: 'Planned release r1' }));
        return;
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  emulator.setAppUrl(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`);
  const gameDay = new GameDay(fleet, fleet.clock);
  gameDay.setRestart(async () => {
    restarts += 1;
  });
  consoleServer = await serveRoutes(
    consoleRoutes({ emulator, fleet, gameDay, users: [{ id: 'U0ALICE', name: 'Alice', role: 'checkout team' }, { id: 'U0BOB', name: 'Bob', role: 'release manager' }], clock: fleet.clock, speed: 30, defaultChannel: 'deploys' }),
  );
});

afterAll(async () => {
  await consoleServer?.close();
  await emulator?.stop();
  await new Promise<void>((resolve) => app.close(() => resolve()));
});

async function post(path: string, body: unknown) {
  const response = await fetch(`${consoleServer.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { ok: boolean; error?: string } };
}

async function state(): Promise<ConsoleState> {
  return (await (await fetch(`${consoleServer.url}/sandbox/state`)).json()) as ConsoleState;
}

describe('console routes', () => {
  it('serves the console page and its scripts', async () => {
    const page = await fetch(`${consoleServer.url}/`);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('data-testid="command-input"');
    const script = await fetch(`${consoleServer.url}/sandbox/console/blocks.js`);
    expect(await script.text()).toContain('export function renderBlocks');
  });

  it('sends a slash command to the app signed as Slack signs it, and shows what the app posted', async () => {
    const answer = await post('/sandbox/command', { user: 'U0ALICE', channel: 'deploys', text: '/deploy checkout@v2 to production' });
    expect(answer.body.ok).toBe(true);
    expect(received.at(-1)).toMatchObject({ command: '/deploy', text: 'checkout@v2 to production', user_id: 'U0ALICE' });
    const now = await state();
    const deploys = now.channels.find((channel) => channel.name === 'deploys');
    expect(deploys?.messages[0]?.blocks).toEqual(card);
    expect(now.ephemerals.map((ephemeral) => ephemeral.text)).toContain('Planned release r1');
  });

  it('clicks a button on a posted message as the chosen user', async () => {
    const deploys = (await state()).channels.find((channel) => channel.name === 'deploys');
    const ts = deploys?.messages[0]?.ts ?? '';
    const answer = await post('/sandbox/click', { user: 'U0BOB', target: { kind: 'message', channel: deploys?.id, ts }, actionId: 'release.approve', value: 'r1' });
    expect(answer.body.ok).toBe(true);
    const payload = JSON.parse(received.at(-1)?.payload ?? '{}') as { type: string; user: { id: string }; actions: Array<{ action_id: string; value: string }> };
    expect(payload).toMatchObject({ type: 'block_actions', user: { id: 'U0BOB' }, actions: [{ action_id: 'release.approve', value: 'r1' }] });
    const missing = await post('/sandbox/click', { user: 'U0BOB', target: { kind: 'message', channel: deploys?.id, ts: '1.1' }, actionId: 'release.approve' });
    expect(missing.body.ok).toBe(false);
  });

  it('shows a file the app shared in a thread: the message carries it and the console serves its bytes', async () => {
    const deploys = (await state()).channels.find((channel) => channel.name === 'deploys');
    const ts = deploys?.messages[0]?.ts ?? '';
    const { WebClient } = await import('@slack/web-api');
    const client = new WebClient('xoxb-test', { slackApiUrl: emulator.apiUrl });
    const bytes = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('a tiny stand-in image')]);
    await client.filesUploadV2({ channel_id: deploys?.id ?? '', thread_ts: ts, file: bytes, filename: 'chart.png', title: 'checkout canary: passed', alt_text: 'checkout canary passed' });
    const reply = (await state()).channels.find((channel) => channel.name === 'deploys')?.messages[0]?.replies.at(-1);
    expect(reply?.files?.[0]).toMatchObject({ title: 'checkout canary: passed', mimetype: 'image/png', altText: 'checkout canary passed' });
    const served = await fetch(`${consoleServer.url}/sandbox/file?id=${reply?.files?.[0]?.id ?? ''}`);
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await served.arrayBuffer()).equals(bytes)).toBe(true);
    expect((await fetch(`${consoleServer.url}/sandbox/file?id=F404`)).status).toBe(404);
  });

  it('refuses a malformed gesture at the edge', async () => {
    const answer = await post('/sandbox/command', { user: 'U0ALICE', channel: 'deploys', text: 'deploy without slash' });
    expect(answer.status).toBe(400);
  });

  it('runs game days: faults, an unreachable metrics source, a restart', async () => {
    expect((await post('/sandbox/gameday/fault', { service: 'checkout', version: 'v2', errorRate: 0.05 })).body.ok).toBe(true);
    expect(fleet.fault('checkout', 'v2')).toEqual({ errorRate: 0.05 });
    await post('/sandbox/gameday/metrics', { reachable: false });
    expect(fleet.metricsReachable).toBe(false);
    expect((await post('/sandbox/gameday/restart', {})).body.ok).toBe(true);
    await expect.poll(() => restarts).toBe(1);
    await post('/sandbox/gameday/clear-faults', {});
    const after = await state();
    expect(after.fleet.faults).toEqual([]);
    expect(after.gameDay.entries.map((entry) => entry.action.kind)).toEqual(['fault_injected', 'metrics_unreachable', 'bot_restarted', 'faults_cleared']);
  });

  it('streams the whole state over Server-Sent Events, again on each change', async () => {
    const controller = new AbortController();
    const response = await fetch(`${consoleServer.url}/sandbox/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const nextState = async (): Promise<ConsoleState> => {
      for (;;) {
        const match = /event: state\ndata: (.*)\n\n/.exec(text);
        if (match) {
          text = text.slice((match.index ?? 0) + match[0].length);
          return JSON.parse(match[1] ?? '{}') as ConsoleState;
        }
        const { value } = await reader.read();
        text += decoder.decode(value);
      }
    };
    expect((await nextState()).defaultChannel).toBe('deploys');
    await post('/sandbox/gameday/fault', { service: 'checkout', version: 'v3', latencyMs: 400 });
    expect((await nextState()).fleet.faults).toEqual([{ service: 'checkout', version: 'v3', fault: { latencyMs: 400 } }]);
    controller.abort();
  });
});
