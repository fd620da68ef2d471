import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/** Posts a message to a Slack response_url (the ephemeral answer to a command, after its ack). */
export interface ResponseUrls {
  post(responseUrl: string, message: unknown): Promise<void>;
}

/**
 * Answers to response_urls as one JSON POST each over kept-alive connections. Bolt's respond()
 * goes through axios (config merging, interceptors, a redirect follower), which profiled at ~0.5 ms
 * of the event loop per answer at 100 commands a second: more than the rest of a `/release` but
 * the render. Like the answers recovered after a restart, these go straight to Slack (no
 * HTTP(S)_PROXY).
 */
export class KeepAliveResponseUrls implements ResponseUrls {
  readonly #http = new HttpAgent({ keepAlive: true });
  readonly #https = new HttpsAgent({ keepAlive: true });

  post(responseUrl: string, message: unknown): Promise<void> {
    const url = new URL(responseUrl);
    const body = JSON.stringify(typeof message === 'string' ? { text: message } : message);
    const secure = url.protocol === 'https:';
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          agent: secure ? this.#https : this.#http,
          headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) },
        },
        (response: IncomingMessage) => {
          response.resume();
          response.once('error', reject);
          response.once('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve();
            else reject(new Error(`response_url answered ${status}`));
          });
        },
      );
      request.once('error', reject);
      request.end(body);
    });
  }

  /** Closes the idle connections (on stop). */
  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
