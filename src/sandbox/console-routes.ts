import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { sendJson, type HttpRoute } from '../app/http-routes.js';
import type { Clock } from '../ports/clock.js';
import type { SimulatedCluster, SimulatedRoute } from '../adapters/fleet/simulated-cluster.js';
import type { FleetSnapshot, SimulatedFleet } from '../adapters/fleet/simulated-fleet.js';
import type { GameDay, GameDayEntry } from './gameday.js';
import type { EmulatedEphemeral, EmulatedMessage, EmulatedView, SlackEmulator, Violation } from './slack-emulator/index.js';

/**
 * The web console's HTTP side: the static page, one Server-Sent Events stream of the whole sandbox
 * state, and the user's gestures (commands, clicks, modal submissions, game days) turned into what
 * Slack would send the app, through the Slack emulator. Routes are Bolt customRoutes.
 */

export interface SandboxUser {
  id: string;
  name: string;
  /** What the person does in the demo story: "requester", "release manager"… */
  role: string;
}

export interface ConsoleOptions {
  emulator: SlackEmulator;
  fleet: SimulatedFleet;
  /** The simulated cluster's HTTPRoutes, shown beside the fleet (absent in tests that need none). */
  cluster?: SimulatedCluster;
  gameDay: GameDay;
  users: SandboxUser[];
  clock: Clock;
  /** How much faster than the wall sandbox time runs (shown on the console). */
  speed: number;
  /** Channel the console opens on, by name. */
  defaultChannel?: string;
}

export interface ConsoleChannel {
  id: string;
  name: string;
  isDm: boolean;
  messages: Array<EmulatedMessage & { replies: EmulatedMessage[] }>;
}

/** Everything the page renders; sent whole on each change, the page keeps no state of its own but the UI's. */
export interface ConsoleState {
  now: string;
  speed: number;
  defaultChannel: string | null;
  botUserId: string;
  users: SandboxUser[];
  channels: ConsoleChannel[];
  ephemerals: EmulatedEphemeral[];
  modals: EmulatedView[];
  homes: Record<string, EmulatedView>;
  fleet: FleetSnapshot;
  routes: SimulatedRoute[];
  gameDay: { entries: GameDayEntry[]; canRestart: boolean; restarting: boolean };
  /** Calls Slack would have refused (bad Block Kit, missing arguments): an app bug, shown on the console. */
  violations: { count: number; latest: Violation[] };
}

const CONSOLE_DIR = fileURLToPath(new URL('./console/', import.meta.url));
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const STATIC_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: `${CONSOLE_DIR}index.html`, type: 'text/html; charset=utf-8' },
  '/sandbox/console/console.js': { file: `${CONSOLE_DIR}console.js`, type: JAVASCRIPT },
  '/sandbox/console/blocks.js': { file: `${CONSOLE_DIR}blocks.js`, type: JAVASCRIPT },
  '/sandbox/console/console.css': { file: `${CONSOLE_DIR}console.css`, type: 'text/css; charset=utf-8' },
  // The page updates its DOM in place with morphdom, served as the ES module its package ships.
  '/sandbox/console/morphdom.js': { file: createRequire(import.meta.url).resolve('morphdom/dist/morphdom-esm.js'), type: JAVASCRIPT },
};

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/);
const commandBody = z.object({
  user: userId,
  channel: z.string().min(1),
  /** "/deploy checkout@v2 to production", as typed in the command bar. */
  text: z.string().trim().regex(/^\/[a-z][\w-]*(\s|$)/, 'a command starts with /name'),
});
const clickBody = z.object({
  user: userId,
  target: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('message'), channel: z.string(), ts: z.string() }),
    z.object({ kind: z.literal('ephemeral'), id: z.number().int() }),
    z.object({ kind: z.literal('view'), viewId: z.string() }),
    z.object({ kind: z.literal('home') }),
  ]),
  actionId: z.string().min(1),
  value: z.string().optional(),
});
const viewSubmitBody = z.object({ user: userId, viewId: z.string(), values: z.record(z.string(), z.string()) });
const homeBody = z.object({ user: userId });
const faultBody = z.object({
  service: z.string().min(1),
  version: z.string().min(1),
  errorRate: z.number().min(0).max(1).optional(),
  latencyMs: z.number().min(0).max(60_000).optional(),
});
const clearBody = z.object({ service: z.string().optional(), version: z.string().optional() });
const metricsBody = z.object({ reachable: z.boolean() });

export function consoleState(options: ConsoleOptions): ConsoleState {
  const { emulator } = options;
  const channels = emulator.channels().map((channel) => ({
    ...channel,
    messages: emulator.messages(channel.id).map((message) => ({ ...message, replies: emulator.thread(channel.id, message.ts) })),
  }));
  const homes: Record<string, EmulatedView> = {};
  for (const user of options.users) {
    const home = emulator.home(user.id);
    if (home) homes[user.id] = home;
  }
  return {
    now: options.clock.now().toISOString(),
    speed: options.speed,
    defaultChannel: options.defaultChannel ?? null,
    botUserId: emulator.botUserId,
    users: options.users,
    channels,
    ephemerals: emulator.ephemerals,
    modals: options.users.flatMap((user) => emulator.openViews(user.id).filter((view) => view.type === 'modal')),
    homes,
    fleet: options.fleet.snapshot(),
    routes: options.cluster?.routes() ?? [],
    gameDay: { entries: options.gameDay.entries, canRestart: options.gameDay.canRestart, restarting: options.gameDay.restarting },
    violations: { count: emulator.violations.length, latest: emulator.violations.slice(-5) },
  };
}

export function consoleRoutes(options: ConsoleOptions): HttpRoute[] {
  const { emulator, gameDay } = options;
  const statics: HttpRoute[] = Object.entries(STATIC_FILES).map(([path, { file, type }]) => ({
    path,
    method: 'GET',
    handler: async (_req, res) => {
      // Read on every request: the page is tiny, and editing it needs no restart.
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    },
  }));

  return [
    ...statics,
    { path: '/sandbox/state', method: 'GET', handler: (_req, res) => sendJson(res, 200, consoleState(options)) },
    {
      // Files the app shared (stage charts), served from the emulator's store: the page shows them inline.
      path: '/sandbox/file',
      method: 'GET',
      handler: (req, res) => {
        const id = new URL(req.url ?? '/', 'http://localhost').searchParams.get('id') ?? '';
        const file = emulator.file(id);
        if (!file?.completed || !file.bytes) return sendJson(res, 404, { ok: false, error: 'no such file' });
        res.writeHead(200, { 'content-type': file.mimetype ?? 'application/octet-stream', 'content-length': String(file.bytes.length), 'cache-control': 'private, max-age=3600' });
        res.end(file.bytes);
      },
    },
    { path: '/sandbox/events', method: 'GET', handler: (req, res) => streamState(req, res, options) },
    post('/sandbox/command', commandBody, async (body) => {
      // The rest of the line goes verbatim, as Slack sends it: quoted reasons keep their spacing.
      const command = body.text.split(/\s/, 1)[0] ?? '';
      return emulator.sendCommand(body.user, command, body.text.slice(command.length).trim(), body.channel);
    }),
    post('/sandbox/click', clickBody, async (body) => {
      const target = resolveTarget(emulator, body.user, body.target);
      if (!target) return { status: 404, body: { ok: false, error: 'no such message or view' } };
      return emulator.clickButton(body.user, target, body.actionId, body.value);
    }),
    post('/sandbox/view-submit', viewSubmitBody, async (body) => emulator.submitView(body.user, body.viewId, body.values)),
    post('/sandbox/home', homeBody, async (body) => emulator.openHome(body.user)),
    post('/sandbox/gameday/fault', faultBody, async (body) => {
      gameDay.injectFault(body.service, body.version, {
        ...(body.errorRate === undefined ? {} : { errorRate: body.errorRate }),
        ...(body.latencyMs === undefined ? {} : { latencyMs: body.latencyMs }),
      });
      return { status: 200, body: { ok: true } };
    }),
    post('/sandbox/gameday/clear-faults', clearBody, async (body) => {
      gameDay.clearFaults(body.service, body.version);
      return { status: 200, body: { ok: true } };
    }),
    post('/sandbox/gameday/metrics', metricsBody, async (body) => {
      gameDay.setMetricsReachable(body.reachable);
      return { status: 200, body: { ok: true } };
    }),
    post('/sandbox/gameday/restart', z.object({}), async () => {
      if (!gameDay.canRestart) return { status: 409, body: { ok: false, error: 'this sandbox cannot restart its bot' } };
      if (gameDay.restarting) return { status: 409, body: { ok: false, error: 'a restart is already under way' } };
      // Answered before the restart: stopping the bot closes the HTTP server this request came in on.
      setTimeout(() => void gameDay.restartBot(), 100);
      return { status: 202, body: { ok: true, restarting: true } };
    }),
  ];
}

function resolveTarget(
  emulator: SlackEmulator,
  user: string,
  target: z.infer<typeof clickBody>['target'],
): EmulatedMessage | EmulatedEphemeral | EmulatedView | undefined {
  switch (target.kind) {
    case 'message':
      return emulator.message(target.channel, target.ts);
    case 'ephemeral':
      return emulator.ephemerals.find((ephemeral) => ephemeral.id === target.id && ephemeral.user === user);
    case 'view':
      return emulator.view(target.viewId);
    case 'home':
      return emulator.home(user);
  }
}

/**
 * A POST route taking JSON: parsed with zod at the edge; the app's answer (or its absence while a
 * game day restarts it) goes back to the page as JSON.
 */
function post<T>(path: string, schema: z.ZodType<T>, run: (body: T) => Promise<{ status: number; body: unknown }>): HttpRoute {
  return {
    path,
    method: 'POST',
    handler: async (req, res) => {
      let raw: unknown;
      try {
        raw = JSON.parse((await readBody(req)) || '{}');
      } catch {
        return sendJson(res, 400, { ok: false, error: 'invalid JSON' });
      }
      const parsed = schema.safeParse(raw);
      if (!parsed.success) return sendJson(res, 400, { ok: false, error: z.prettifyError(parsed.error) });
      try {
        const answer = await run(parsed.data);
        sendJson(res, 200, { ok: answer.status < 400, status: answer.status, answer: answer.body });
      } catch (error) {
        // The app being down (a game-day restart) or a click on something gone: tell the page, keep serving.
        sendJson(res, 502, { ok: false, error: (error as Error).message });
      }
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_000_000) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Coalesces bursts of changes (a card update plus a thread line) into one push. */
const PUSH_DEBOUNCE_MS = 50;
/** The console's clock line and a keep-alive through proxies. */
const TICK_MS = 1000;

function streamState(req: IncomingMessage, res: ServerResponse, options: ConsoleOptions): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  const push = () => res.write(`event: state\ndata: ${JSON.stringify(consoleState(options))}\n\n`);
  let pending: NodeJS.Timeout | undefined;
  const schedule = () => {
    pending ??= setTimeout(() => {
      pending = undefined;
      push();
    }, PUSH_DEBOUNCE_MS);
  };
  const unsubscribes = [options.emulator.subscribe(schedule), options.fleet.subscribe(schedule), options.gameDay.subscribe(schedule), ...(options.cluster ? [options.cluster.subscribe(schedule)] : [])];
  const tick = setInterval(() => res.write(`event: tick\ndata: ${JSON.stringify({ now: options.clock.now().toISOString() })}\n\n`), TICK_MS);
  push();
  req.on('close', () => {
    clearInterval(tick);
    if (pending) clearTimeout(pending);
    for (const unsubscribe of unsubscribes) unsubscribe();
  });
}
