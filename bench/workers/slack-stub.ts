import { SlackStub } from '../support/slack-stub.js';

/**
 * The Slack stub as a process of its own, so the answers a product posts to its response_urls (100 a
 * second and more) cost the load generator nothing: the floor and the products are then measured by
 * the same, equally idle client. Prints `{ ready, url }` on stdout; GET /__counts answers the calls so far.
 */
// Counts only: a long run's answers would otherwise pile up in memory.
const stub = new SlackStub({ keepResponses: false });
const url = await stub.start();
process.stdout.write(`${JSON.stringify({ ready: true, url })}\n`);
process.on('SIGTERM', () => void stub.down().finally(() => process.exit(0)));
