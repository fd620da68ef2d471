import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/ports/clock.js';
import { consoleRoutes } from '../../src/sandbox/console-routes.js';
import { SimulatedFleet } from '../../src/adapters/fleet/simulated-fleet.js';
import { GameDay } from '../../src/sandbox/gameday.js';
import { serveRoutes } from '../../src/sandbox/route-server.js';
import { SlackEmulator, slackSignature } from '../../src/sandbox/slack-emulator/index.js';
import { launchChromium } from '../support/chromium.js';

/**
 * The console in a real browser against the real Slack emulator and a small stand-in app that checks
 * Slack's signatures and answers through the Web API: every Block Kit piece the product uses is
 * rendered, and every gesture reaches the app as the right user.
 */
const SECRET = 'browser-console-secret';
const received: Array<{ kind: string; user: string; detail: string }> = [];
let emulator: SlackEmulator;
let app: Server;
let consoleServer: Awaited<ReturnType<typeof serveRoutes>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
const clock = new ManualClock('2026-01-05T10:00:00Z');
const fleet = new SimulatedFleet({ clock, loads: { checkout: { requestsPerSecond: 100, errorRate: 0.005, latencyMedianMs: 80 } } });

const api = (method: string, args: Record<string, unknown>) =>
  fetch(`${emulator.apiUrl}${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', authorization: 'Bearer xoxb-test' },
    body: JSON.stringify(args),
  }).then((response) => response.json() as Promise<{ ok: boolean; ts?: string; error?: string }>);

const plain = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });

function card(status: string) {
  return [
    { type: 'header', text: plain('🚀 checkout v2 → production') },
    { type: 'section', text: md(`*Status:* ${status}`), fields: [md('*Canary*\n1% · bake 10m'), md('*Approvals*\n:x: 0 of 1')] },
    { type: 'context', elements: [md('requested by <@U0ALICE> · rollback order: checkout')] },
    { type: 'divider' },
    {
      type: 'actions',
      block_id: 'release',
      elements: [
        { type: 'button', action_id: 'approve', value: 'r1', style: 'primary', text: plain('Approve') },
        {
          type: 'button',
          action_id: 'rollback',
          value: 'r1',
          style: 'danger',
          text: plain('Roll back'),
          confirm: { title: plain('Roll back?'), text: md('Traffic returns to *v1* at once.'), confirm: plain('Roll back'), deny: plain('Cancel'), style: 'danger' },
        },
      ],
    },
  ];
}

let cardTs = '';

async function handle(form: URLSearchParams): Promise<unknown> {
  const payload = form.get('payload');
  if (!payload) {
    const user = form.get('user_id') ?? '';
    received.push({ kind: 'command', user, detail: `${form.get('command')} ${form.get('text')}` });
    if (form.get('text') === '') {
      await api('views.open', {
        trigger_id: form.get('trigger_id'),
        view: {
          type: 'modal',
          callback_id: 'deploy',
          title: plain('Deploy'),
          submit: plain('Plan'),
          close: plain('Cancel'),
          blocks: [{ type: 'input', block_id: 'what', label: plain('What to ship'), element: { type: 'plain_text_input', action_id: 'what', placeholder: plain('checkout@v2') } }],
        },
      });
      return undefined;
    }
    const posted = await api('chat.postMessage', { channel: form.get('channel_id'), text: 'release r1', blocks: card('waiting for approval') });
    cardTs = posted.ts ?? '';
    await api('chat.postMessage', { channel: form.get('channel_id'), thread_ts: cardTs, text: 'Release r1 planned: staging → production' });
    return { response_type: 'ephemeral', text: 'Planned release r1. It waits for an approval.' };
  }
  const body = JSON.parse(payload) as { type: string; user: { id: string }; actions?: Array<{ action_id: string }>; view?: { state: { values: Record<string, Record<string, { value: string }>> } } };
  if (body.type === 'block_actions') {
    const action = body.actions?.[0]?.action_id ?? '';
    received.push({ kind: 'click', user: body.user.id, detail: action });
    if (action === 'approve') await api('chat.update', { channel: 'deploys', ts: cardTs, text: 'release r1', blocks: card(`approved by <@${body.user.id}>`) });
    return undefined;
  }
  received.push({ kind: 'view_submission', user: body.user.id, detail: body.view?.state.values.what?.what?.value ?? '' });
  return undefined;
}

beforeAll(async () => {
  mkdirSync('test-artifacts', { recursive: true });
  emulator = new SlackEmulator({
    signingSecret: SECRET,
    users: [
      { id: 'U0ALICE', name: 'alice', realName: 'Alice' },
      { id: 'U0BOB', name: 'bob', realName: 'Bob' },
    ],
    channels: [{ name: 'deploys' }, { name: 'team-checkout' }],
    autoCreateChannels: true,
  });
  await emulator.start();
  app = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      if (req.headers['x-slack-signature'] !== slackSignature(SECRET, Number(req.headers['x-slack-request-timestamp']), raw)) {
        res.writeHead(401).end();
        return;
      }
      handle(new URLSearchParams(raw)).then(
        (answer) => {
          if (answer === undefined) res.writeHead(200).end();
          else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        },
        (error: unknown) => res.writeHead(500).end(String(error)),
      );
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  emulator.setAppUrl(`http://127.0.0.1:${(app.address() as AddressInfo).port}/slack/events`);
  fleet.seedServing('checkout', 'production', 'v1', 'is-seed-production-checkout', new Date('2026-01-05T09:00:00Z'));
  const gameDay = new GameDay(fleet, clock);
  consoleServer = await serveRoutes(
    consoleRoutes({
      emulator,
      fleet,
      gameDay,
      clock,
      speed: 30,
      defaultChannel: 'deploys',
      users: [
        { id: 'U0ALICE', name: 'Alice', role: 'checkout team' },
        { id: 'U0BOB', name: 'Bob', role: 'release manager' },
      ],
    }),
  );
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(consoleServer.url);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await emulator?.stop();
  await new Promise<void>((resolve) => (app ? app.close(() => resolve()) : resolve()));
});

async function command(text: string) {
  await page.getByTestId('command-input').fill(text);
  await page.getByTestId('command-input').press('Enter');
}

describe('sandbox console in chromium', () => {
  it('shows the channels, the acting user and the fleet', async () => {
    await expect.poll(() => page.getByTestId('connection').textContent()).toBe('live');
    expect(await page.locator('#channel-header').textContent()).toContain('deploys');
    expect(await page.getByTestId('user-switcher').inputValue()).toBe('U0ALICE');
    const seeded = page.locator('[data-testid="fleet-set"][data-version="v1"]');
    expect(await seeded.getAttribute('data-weight')).toBe('100');
  });

  it('sends a command and renders the card, its thread and the ephemeral answer', async () => {
    await command('/deploy checkout@v2 to production');
    await page.locator('.block.header', { hasText: 'checkout v2 → production' }).waitFor();
    expect(received.at(-1)).toEqual({ kind: 'command', user: 'U0ALICE', detail: '/deploy checkout@v2 to production' });
    expect(await page.locator('.field').allTextContents()).toEqual(['Canary1% · bake 10m', 'Approvals❌ 0 of 1']);
    expect(await page.locator('.block.context').first().textContent()).toContain('requested by @Alice');
    expect(await page.locator('[data-testid="ephemeral"]').textContent()).toContain('Only visible to you');
    await page.getByTestId('replies').click();
    expect(await page.getByTestId('thread').textContent()).toContain('Release r1 planned: staging → production');
  });

  it('acts as another user: Bob does not see Alice’s ephemeral, and approves', async () => {
    await page.getByTestId('user-switcher').selectOption('U0BOB');
    await expect.poll(() => page.locator('[data-testid="ephemeral"]').count()).toBe(0);
    await page.locator('#messages button[data-action-id="approve"]').click();
    await page.locator('#messages .section-text', { hasText: 'approved by @bob' }).waitFor();
    expect(received.at(-1)).toEqual({ kind: 'click', user: 'U0BOB', detail: 'approve' });
    expect(await page.locator('#messages .edited').count()).toBe(1);
  });

  it('asks for confirmation before a destructive button reaches the app', async () => {
    const before = received.length;
    await page.locator('#messages button[data-action-id="rollback"]').click();
    await page.getByTestId('confirm-dialog').getByText('Traffic returns to').waitFor();
    await page.getByTestId('confirm-no').click();
    expect(received.length).toBe(before);
    await page.locator('#messages button[data-action-id="rollback"]').click();
    await page.getByTestId('confirm-yes').click();
    await expect.poll(() => received.at(-1)).toEqual({ kind: 'click', user: 'U0BOB', detail: 'rollback' });
  });

  it('opens the modal the app asked for and submits it', async () => {
    await command('/deploy');
    await page.getByTestId('modal').getByText('What to ship').waitFor();
    await page.locator('[data-input-action-id="what"]').fill('checkout@v3');
    await page.screenshot({ path: 'test-artifacts/console-modal.png' });
    await page.getByTestId('modal-submit').click();
    await expect.poll(() => received.at(-1)).toEqual({ kind: 'view_submission', user: 'U0BOB', detail: 'checkout@v3' });
    await expect.poll(() => page.getByTestId('modal').isHidden()).toBe(true);
  });

  it('injects a game-day fault from the console', async () => {
    await page.getByTestId('gd-version').fill('v2');
    await page.getByTestId('gd-error-rate').fill('8');
    await page.getByTestId('gd-inject-errors').click();
    await page.getByTestId('gameday-log').getByText('checkout@v2: 8.0% errors').waitFor();
    expect(fleet.fault('checkout', 'v2')).toEqual({ errorRate: 0.08 });
    await page.screenshot({ path: 'test-artifacts/console-rendering.png' });
  });
});
