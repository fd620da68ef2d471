import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { App, LogLevel } from '@slack/bolt';

/**
 * The ack-latency floor (DESIGN.md §6): a bare Bolt app in HTTP mode whose listeners only call
 * ack(), its Web API pointed at a local stub (BENCH_SLACK_API_URL) so auth.test succeeds. Prints
 * `{ ready, url }` on stdout.
 */
const app = new App({
  token: process.env.BENCH_BOT_TOKEN,
  signingSecret: process.env.BENCH_SIGNING_SECRET!,
  clientOptions: { slackApiUrl: process.env.BENCH_SLACK_API_URL! },
  logLevel: LogLevel.ERROR,
});
app.command(/.*/, async ({ ack }) => {
  await ack();
});
app.action(/.*/, async ({ ack }) => {
  await ack();
});
const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
const { port } = server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${port}` })}\n`);
process.on('SIGTERM', () => {
  void app.stop().finally(() => process.exit(0));
});
