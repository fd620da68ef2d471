import { serve } from './app/serve.js';

/**
 * The server's entry point, and with src/cli/main.ts the only place that reads process.env.
 * `node dist/main.js` (the container) runs against Slack and refuses to start without its tokens;
 * the sandbox runs only when asked (SANDBOX=1, `durable-delivery sandbox`) — or under `npm start`,
 * which passes --dev: on a developer's machine no tokens means "show me the sandbox".
 */
const code = await serve(process.env, process.argv.includes('--dev') ? 'unless-slack' : 'when-asked');
if (code !== 0) process.exit(code);
