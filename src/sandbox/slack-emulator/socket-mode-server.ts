import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Slack's side of Socket Mode, enough for one app connection: the WebSocket handshake and text
 * frames (RFC 6455, written here so the emulator needs no WebSocket library), `hello` on connect,
 * envelopes out, and acknowledgements (`{ envelope_id, payload }`) back.
 */

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export class SocketModeConnection {
  readonly #socket: Duplex;
  readonly #pending = new Map<string, (payload: unknown) => void>();
  #buffer = Buffer.alloc(0);
  #closed = false;

  private constructor(socket: Duplex) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#close());
    socket.on('error', () => this.#close());
  }

  /** Completes the handshake of an HTTP upgrade request and says hello, as Slack does. */
  static accept(req: IncomingMessage, socket: Duplex): SocketModeConnection {
    const key = String(req.headers['sec-websocket-key'] ?? '');
    const accept = createHash('sha1').update(key + GUID).digest('base64');
    socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`, '', ''].join('\r\n'));
    const connection = new SocketModeConnection(socket);
    connection.#sendText(JSON.stringify({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0DELIVERY' }, debug_info: { host: 'emulator' } }));
    return connection;
  }

  get open(): boolean {
    return !this.#closed;
  }

  /** Sends an envelope and waits for the app's acknowledgement; answers its payload (or undefined). */
  deliver(type: EnvelopeType, payload: unknown, options: { retryAttempt?: number } = {}): Promise<unknown> {
    const envelopeId = randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...(type === 'events_api' ? { retry_attempt: options.retryAttempt ?? 0, retry_reason: options.retryAttempt ? 'timeout' : '' } : {}),
    };
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error('the app is not connected'));
      this.#pending.set(envelopeId, resolve);
      this.#sendText(JSON.stringify(envelope));
    });
  }

  close(): void {
    if (this.#closed) return;
    this.#sendFrame(0x8, Buffer.alloc(0));
    this.#socket.end();
    this.#close();
  }

  #close(): void {
    this.#closed = true;
    for (const resolve of this.#pending.values()) resolve(undefined);
    this.#pending.clear();
  }

  #sendText(text: string): void {
    this.#sendFrame(0x1, Buffer.from(text, 'utf8'));
  }

  #sendFrame(opcode: number, payload: Buffer): void {
    if (this.#closed) return;
    const length = payload.length;
    let header: Buffer;
    if (length < 126) header = Buffer.from([0x80 | opcode, length]);
    else if (length < 65_536) {
      header = Buffer.alloc(4);
      header[0] = 0x80 | opcode;
      header[1] = 126;
      header.writeUInt16BE(length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x80 | opcode;
      header[1] = 127;
      header.writeBigUInt64BE(BigInt(length), 2);
    }
    this.#socket.write(Buffer.concat([header, payload]));
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      if (this.#buffer.length < 2) return;
      const first = this.#buffer[0] ?? 0;
      const second = this.#buffer[1] ?? 0;
      const opcode = first & 0x0f;
      const masked = (second & 0x80) !== 0;
      let length = second & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (this.#buffer.length < 4) return;
        length = this.#buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (this.#buffer.length < 10) return;
        length = Number(this.#buffer.readBigUInt64BE(2));
        offset = 10;
      }
      const maskLength = masked ? 4 : 0;
      if (this.#buffer.length < offset + maskLength + length) return;
      const mask = this.#buffer.subarray(offset, offset + maskLength);
      const payload = Buffer.from(this.#buffer.subarray(offset + maskLength, offset + maskLength + length));
      if (masked) for (let index = 0; index < payload.length; index += 1) payload[index] = (payload[index] ?? 0) ^ (mask[index % 4] ?? 0);
      this.#buffer = this.#buffer.subarray(offset + maskLength + length);
      this.#frame(opcode, payload);
    }
  }

  #frame(opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x1: {
        let message: { envelope_id?: string; payload?: unknown };
        try {
          message = JSON.parse(payload.toString('utf8')) as typeof message;
        } catch {
          return;
        }
        const resolve = message.envelope_id ? this.#pending.get(message.envelope_id) : undefined;
        if (resolve && message.envelope_id) {
          this.#pending.delete(message.envelope_id);
          resolve(message.payload);
        }
        return;
      }
      case 0x8:
        this.close();
        return;
      case 0x9:
        this.#sendFrame(0xa, payload);
        return;
      default:
        // Pongs and continuation frames: the client sends neither in a way that matters here.
        return;
    }
  }
}
