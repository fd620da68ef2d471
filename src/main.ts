import { PgliteThread } from './store/pglite-thread.js';

/**
 * The server's entry point, and with src/cli/main.ts the only place that reads process.env.
 * `node dist/main.js` (the container) runs against Slack and refuses to start without its tokens;
 * the sandbox runs only when asked (SANDBOX=1, `durable-delivery sandbox`) — or under `npm start`,
 * which passes --dev: on a developer's machine no tokens means "show me the sandbox".
 *
 * Without DATABASE_URL the embedded database's thread starts first, loading PGlite while this
 * thread loads the app's modules and reads the config; it opens nothing until the config is good
 * (serve closes it unused when the start is refused or the parsed environment names Postgres).
 */
const embeddedDatabase = process.env.DATABASE_URL ? undefined : PgliteThread.start();
const { serve } = await import('./app/serve.js');
const code = await serve(process.env, process.argv.includes('--dev') ? 'unless-slack' : 'when-asked', { embeddedDatabase });
if (code !== 0) process.exit(code);
