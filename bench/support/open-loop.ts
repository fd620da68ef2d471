import { Agent, request } from 'node:http';
import type { SignedRequest } from './slack-requests.js';

/**
 * An open-loop load at a fixed rate: request i is due at start + i / rate, sent then whether or not
 * earlier ones were answered, and its latency runs from when it was due to when its answer was read.
 * A server that stalls is charged for every request that waited behind the stall, so the figures need
 * no correction for coordinated omission. (autocannon's `overallRate` sends each connection's quota
 * for the second back to back and then pauses, so "100 req/s" arrives as a burst at the top of each
 * second; and it corrects with an expected interval of ⌈1 / rate⌉ = 1 ms, which adds a synthetic sample
 * per millisecond of any slow answer. Both inflate a p99 in ways that have nothing to do with the app.)
 */

export interface OpenLoopOptions {
  rate: number;
  seconds: number;
  /** Kept-alive connections at most; a request due while all are busy waits (and is charged for it). */
  maxSockets?: number;
  timeoutMs?: number;
}

export interface OpenLoopResult {
  /** Latencies of the answered requests in ms, ascending. */
  latencies: number[];
  p50: number;
  p99: number;
  p99_9: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export async function openLoop(url: string, path: string, next: () => SignedRequest, options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  const target = new URL(path, url);
  try {
    await new Promise<void>((resolve) => {
      const start = performance.now();
      const dueAt = (index: number) => start + index * interval;
      const done = () => {
        settled += 1;
        if (settled === total) resolve();
      };
      const send = (index: number) => {
        const signed = next();
        const due = dueAt(index);
        const req = request(target, { method: 'POST', agent, headers: { ...signed.headers, 'content-length': Buffer.byteLength(signed.body) }, timeout: options.timeoutMs ?? 10_000 }, (res) => {
          res.resume();
          res.once('end', () => {
            latencies.push(performance.now() - due);
            if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) non2xx += 1;
            done();
          });
        });
        req.once('timeout', () => req.destroy(new Error('timed out')));
        req.once('error', () => {
          errors += 1;
          done();
        });
        req.end(signed.body);
      };
      let sent = 0;
      const tick = () => {
        const now = performance.now();
        while (sent < total && dueAt(sent) <= now) send(sent++);
        if (sent < total) setTimeout(tick, Math.max(0, dueAt(sent) - performance.now()));
      };
      tick();
    });
  } finally {
    agent.destroy();
  }
  latencies.sort((a, b) => a - b);
  const at = (quantile: number) => latencies[Math.min(latencies.length - 1, Math.ceil(quantile * latencies.length) - 1)] ?? Number.NaN;
  return { latencies, p50: at(0.5), p99: at(0.99), p99_9: at(0.999), requests: latencies.length, non2xx, errors };
}
