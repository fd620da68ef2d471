import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActionIds } from '../../src/adapters/slack/action-ids.js';
import { startApp, type RunningApp } from '../../src/app/start-app.js';
import { parseEnv } from '../../src/config/env.js';
import { AUDIT_CSV_COLUMNS } from '../../src/domain/audit/audit-entry.js';
import { SlackEmulator, type EmulatedEphemeral } from '../../src/sandbox/slack-emulator/index.js';
import type { Database } from '../../src/store/db.js';
import { pgliteKind } from '../support/databases.js';
import { BOT_TOKEN, PEOPLE, SIGNING_SECRET, exampleConfig } from '../support/slack-app-harness.js';
import { eventually } from '../support/slack-wait.js';

const AUDIT_TOKEN = 'audit-export-token-for-tests';

/**
 * Who did what, read back two ways from the one event log: `/release history` in Slack (signed
 * commands and a button click to page back), and GET /audit for compliance tools, JSON lines and
 * CSV behind a bearer token. The production composition (startApp) against the Slack emulator.
 */
describe('audit history', () => {
  let database: Database;
  let slack: SlackEmulator;
  let app: RunningApp;
  let releaseId: string;
  const startedAt = new Date(Date.now() - 1000);

  async function command(user: string, name: string, text: string): Promise<EmulatedEphemeral> {
    const before = slack.ephemeralsFor(user).length;
    expect((await slack.sendCommand(user, name, text, 'deploys')).status).toBe(200);
    return eventually(`the answer to ${name} ${text}`, () => slack.ephemeralsFor(user)[before]);
  }

  beforeAll(async () => {
    database = await pgliteKind.open();
    slack = new SlackEmulator({
      signingSecret: SIGNING_SECRET,
      botToken: BOT_TOKEN,
      strict: true,
      users: [
        { id: PEOPLE.alice, name: 'alice' },
        { id: PEOPLE.bob, name: 'bob' },
        { id: PEOPLE.mallory, name: 'mallory' },
      ],
      channels: [{ name: 'deploys' }],
    });
    await slack.start();
    const env = parseEnv({
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      AUDIT_EXPORT_TOKEN: AUDIT_TOKEN,
    });
    app = await startApp({ env, config: exampleConfig(), logger: pino({ level: 'silent' }), database });
    slack.setAppUrl(`${app.url}/slack/events`);

    const planned = await command(PEOPLE.alice, '/deploy', 'checkout@v9.9.9 to staging');
    releaseId = /Release `([\w-]+)`/.exec(planned.text)?.[1] ?? '';
    expect(releaseId).not.toBe('');
    expect((await command(PEOPLE.mallory, '/deploy', 'payments@v2.0.0 to production')).text).toMatch(/not_authorized|may not/);
    // Enough freezes and unfreezes of production to need a second page.
    for (let round = 1; round <= 8; round += 1) {
      expect((await command(PEOPLE.bob, '/freeze', `production 2h incident ${round}`)).text).toContain('frozen');
      expect((await command(PEOPLE.bob, '/unfreeze', 'production')).text).not.toMatch(/not_frozen/);
    }
  });
  afterAll(async () => {
    await app?.stop();
    await slack?.stop();
    await database?.close();
  });

  it('lists who did what in an environment, newest first, and pages back with a button', async () => {
    const first = await command(PEOPLE.alice, '/release', 'history production');
    const texts = first.blocks.filter((block) => block.type === 'section').map((block) => String((block.text as { text: string }).text));
    expect(texts).toHaveLength(15);
    expect(texts[0]).toContain(`<@${PEOPLE.bob}> unfroze`);
    expect(texts[1]).toContain(`<@${PEOPLE.bob}> froze`);
    expect(texts[1]).toContain('incident 8');
    expect(first.blocks[0]).toMatchObject({ type: 'header', text: { text: 'History · production' } });

    await slack.clickButton(PEOPLE.alice, first, ActionIds.historyOlder);
    const second = await eventually('page 2', () => slack.ephemeralsFor(PEOPLE.alice).find((ephemeral) => ephemeral.text.includes('History · production') && ephemeral !== first && ephemeral.blocks.some((block) => JSON.stringify(block).includes('page 2'))));
    const older = second.blocks.filter((block) => block.type === 'section').map((block) => String((block.text as { text: string }).text));
    // 16 freeze rows + mallory's refused production deploy = 17: two on the second page, the oldest first refused.
    expect(older).toHaveLength(2);
    expect(older[0]).toContain('froze production');
    expect(older[0]).toContain('incident 1');
    expect(older[1]).toContain(`<@${PEOPLE.mallory}> was refused`);
    expect(older[1]).toContain('`not_authorized`');
    expect(JSON.stringify(second.blocks)).toContain('That is everything recorded.');
    expect(slack.violations).toEqual([]);
  });

  it('scopes the history to a service', async () => {
    const answer = await command(PEOPLE.alice, '/release', 'history checkout');
    const texts = answer.blocks.filter((block) => block.type === 'section').map((block) => String((block.text as { text: string }).text));
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain(`<@${PEOPLE.alice}> deployed checkout in staging · release \`${releaseId}\``);
  });

  it('answers an unknown scope with what was wrong and a suggestion', async () => {
    const answer = await command(PEOPLE.alice, '/release', 'history prodution');
    expect(answer.text).toContain('`prodution` is neither a service nor an environment');
    expect(JSON.stringify(answer.blocks)).toContain('production');
  });

  it('exports the log as JSON lines and CSV behind the bearer token', async () => {
    const since = encodeURIComponent(startedAt.toISOString());
    const auth = { authorization: `Bearer ${AUDIT_TOKEN}` };

    const missing = await fetch(`${app.url}/audit?since=${since}`);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(await missing.json()).toEqual({ ok: false, error: 'an Authorization: Bearer <token> header is required' });
    const wrong = await fetch(`${app.url}/audit?since=${since}`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toBe('the bearer token is not valid');
    const noSince = await fetch(`${app.url}/audit`, { headers: auth });
    expect(noSince.status).toBe(400);
    expect((await noSince.json()).error).toContain('since');
    const badSince = await fetch(`${app.url}/audit?since=yesterday`, { headers: auth });
    expect(badSince.status).toBe(400);
    const unacceptable = await fetch(`${app.url}/audit?since=${since}`, { headers: { ...auth, accept: 'application/xml' } });
    expect(unacceptable.status).toBe(406);

    const jsonl = await fetch(`${app.url}/audit?since=${since}`, { headers: auth });
    expect(jsonl.status).toBe(200);
    expect(jsonl.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = (await jsonl.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const ids = lines.map((line) => line.id as number);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    const deploy = lines.find((line) => line.action === 'deploy');
    expect(deploy).toMatchObject({ actor: PEOPLE.alice, releaseId, environment: 'staging', services: ['checkout'] });
    expect(lines.filter((line) => line.action === 'freeze')).toHaveLength(8);
    expect(lines.filter((line) => line.action === 'unfreeze')).toHaveLength(8);
    expect(lines.find((line) => line.action === 'refused')).toMatchObject({ actor: PEOPLE.mallory, code: 'not_authorized' });
    // The engine's own steps are exported too, marked as progress.
    expect(lines.some((line) => line.action === 'progress' && line.releaseId === releaseId)).toBe(true);

    const csv = await fetch(`${app.url}/audit?since=${since}`, { headers: { ...auth, accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (await csv.text()).split('\r\n').filter((row) => row.length > 0);
    expect(rows[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    // Messages may hold line breaks (quoted), so count rows by their id column instead of lines.
    const csvAgain = await (await fetch(`${app.url}/audit?since=${since}&format=csv`, { headers: auth })).text();
    expect(csvAgain.match(/\r\n\d+,\d{4}-/g)?.length).toBe(lines.length);
    expect(rows.some((row) => row.includes(`,${PEOPLE.bob},freeze,,production,,freeze,,`))).toBe(true);

    const later = await fetch(`${app.url}/audit?since=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`, { headers: auth });
    expect(await later.text()).toBe('');
  });
});
