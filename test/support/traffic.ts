/**
 * Upstreams and clients for traffic tests: uploads counted as they stream, server-sent events in
 * lock step with the client, a minimal WebSocket echo (RFC 6455, short text frames), and a server
 * that never answers. All on 127.0.0.1, plain or TLS.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttp,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttps } from 'node:https';
import { createServer as createTcp, type Socket } from 'node:net';

export interface TlsFiles {
  chainFile: string;
  keyFile: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  close(): Promise<void>;
}

/** An http(s) server on 127.0.0.1:port with `handler`, and `onUpgrade` for WebSocket. */
export async function serve(
  port: number,
  handler: Handler,
  opts: { tls?: TlsFiles; onUpgrade?: (req: IncomingMessage, socket: Socket) => void } = {},
): Promise<TestServer> {
  const server = opts.tls
    ? createHttps({ cert: readFileSync(opts.tls.chainFile), key: readFileSync(opts.tls.keyFile) }, handler)
    : createHttp(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  if (opts.onUpgrade) server.on('upgrade', (req: IncomingMessage, socket: Socket) => opts.onUpgrade!(req, socket));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Counts request body bytes as they arrive; `firstBytes` resolves when the first chunk is in;
 * `cutOff` counts requests whose body ended without its end (the gateway closed the connection).
 */
export class UploadSink {
  received = 0;
  requests = 0;
  cutOff = 0;
  private first?: () => void;
  firstBytes = new Promise<void>((r) => {
    this.first = r;
  });

  reset(): void {
    this.received = 0;
    this.firstBytes = new Promise<void>((r) => {
      this.first = r;
    });
  }

  readonly handler: Handler = (req, res) => {
    this.requests++;
    let bytes = 0;
    const hash = createHash('sha256');
    req.on('data', (c: Buffer) => {
      if (bytes === 0) this.first?.();
      bytes += c.length;
      this.received += c.length;
      hash.update(c);
    });
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ bytes, sha256: hash.digest('hex'), url: req.url }));
    });
    req.on('close', () => {
      if (!req.complete) this.cutOff++;
    });
  };
}

/**
 * Sends `count` events, each only after the client confirmed the previous one (`ack`), so the
 * client can only see them all if each arrives on its own.
 */
export class EventSource {
  private acks: (() => void)[] = [];
  private waiting: Promise<void>[] = [];
  constructor(readonly count: number) {
    for (let i = 0; i < count; i++) this.waiting.push(new Promise((r) => this.acks.push(r)));
  }

  ack(i: number): void {
    this.acks[i]?.();
  }

  readonly handler: Handler = async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (let i = 0; i < this.count; i++) {
      res.write(`id: ${i}\ndata: event ${i}\n\n`);
      const acked = await Promise.race([
        this.waiting[i].then(() => true),
        new Promise<boolean>((r) => setTimeout(() => r(false), 10_000)),
      ]);
      if (!acked) {
        res.end('data: the client never saw this event on its own\n\n');
        return;
      }
    }
    res.end();
  };
}

/** Reads server-sent events from the gateway, acknowledging each to `source` as it arrives. */
export function readEvents(port: number, path: string, source: EventSource): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: 'localhost' }, agent: false }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(event)?.[1] ?? '';
          events.push(data);
          source.ack(events.length - 1);
        }
      });
      res.on('end', () => resolve(events));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Answers the WebSocket handshake and echoes each text frame back (RFC 6455, frames under 126 bytes). */
export function webSocketEcho(req: IncomingMessage, socket: Socket): void {
  const key = String(req.headers['sec-websocket-key'] ?? '');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC11B65`).digest('base64');
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const frame = readFrame(buffer);
      if (!frame) return;
      buffer = buffer.subarray(frame.size);
      if (frame.opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      socket.write(frameOf(`echo: ${frame.payload.toString('utf8')}`, false));
    }
  });
  socket.on('error', () => {});
}

function frameOf(text: string, masked: boolean): Buffer {
  const payload = Buffer.from(text, 'utf8');
  if (payload.length > 125) throw new Error('test frames are short');
  if (!masked) return Buffer.concat([Buffer.from([0x81, payload.length]), payload]);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, body]);
}

function readFrame(b: Buffer): { opcode: number; payload: Buffer; size: number } | undefined {
  if (b.length < 2) return undefined;
  const opcode = b[0] & 0x0f;
  const masked = (b[1] & 0x80) !== 0;
  const length = b[1] & 0x7f;
  if (length > 125) throw new Error('test frames are short');
  const start = 2 + (masked ? 4 : 0);
  if (b.length < start + length) return undefined;
  let payload = Buffer.from(b.subarray(start, start + length));
  if (masked) {
    const mask = b.subarray(2, 6);
    payload = Buffer.from(payload.map((x, i) => x ^ mask[i % 4]));
  }
  return { opcode, payload, size: start + length };
}

/**
 * Opens a WebSocket through the gateway, sends each message and collects the replies.
 * Resolves with the handshake status and the texts received.
 */
export function webSocketExchange(
  port: number,
  path: string,
  messages: string[],
): Promise<{ status: number; replies: string[] }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      agent: false,
      headers: {
        host: 'localhost',
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.from('gwctl-test-key!!').toString('base64'),
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error('WebSocket exchange timed out'));
    }, 10_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, replies: [] });
    });
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      const replies: string[] = [];
      let buffer = head;
      const next = () => {
        if (replies.length === messages.length) {
          clearTimeout(timer);
          socket.end(frameOf('', true).fill(0x88, 0, 1));
          resolve({ status: res.statusCode ?? 0, replies });
          return;
        }
        socket.write(frameOf(messages[replies.length], true));
      };
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (let f = readFrame(buffer); f; f = readFrame(buffer)) {
          buffer = buffer.subarray(f.size);
          if (f.opcode === 0x1) {
            replies.push(f.payload.toString('utf8'));
            next();
          }
        }
      });
      socket.on('error', () => {});
      next();
    });
    req.on('error', reject);
    req.end();
  });
}

/** Accepts requests and never answers them (until closed). */
export const silent: Handler = () => {};

/**
 * Accepts TCP connections and never reads or writes: a TLS client waits for the ServerHello
 * forever, and a sender stalls once the socket buffers are full.
 */
export async function holdOpen(port: number): Promise<TestServer> {
  const held = new Set<Socket>();
  const server = createTcp({ pauseOnConnect: true }, (s) => {
    held.add(s);
    s.on('error', () => {});
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of held) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/**
 * Uploads `total` bytes of a repeating pattern through the gateway (Content-Length, or chunked), in 1 MiB
 * writes that wait for the socket to drain (memory stays flat). `beforeRest` runs after the first
 * MiB is written and before the rest is (to see whether the upstream already has bytes).
 */
export function upload(
  port: number,
  path: string,
  total: number,
  beforeRest?: () => Promise<void>,
  /** Send the body chunked (no Content-Length), each 1 MiB write one chunk. */
  chunked = false,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(1024 * 1024, 'gwctl-upload-');
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: {
          host: 'localhost',
          'content-type': 'application/octet-stream',
          ...(chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(total) }),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      // nginx answers 413 (or an early error) and closes while the client still writes.
      if (e.code !== 'EPIPE' && e.code !== 'ECONNRESET') reject(e);
    });
    let sent = 0;
    const write = async () => {
      while (sent < total) {
        const n = Math.min(chunk.length, total - sent);
        req.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        sent += n;
        if (sent === n && beforeRest) await beforeRest();
        if (req.writableNeedDrain) await new Promise<void>((r) => req.once('drain', () => r()));
        if (req.destroyed) return;
      }
      req.end();
    };
    write().catch(reject);
  });
}

/** The sha256 of what `upload` sends. */
export function uploadDigest(total: number): string {
  const chunk = Buffer.alloc(1024 * 1024, 'gwctl-upload-');
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; sent += chunk.length)
    hash.update(chunk.subarray(0, Math.min(chunk.length, total - sent)));
  return hash.digest('hex');
}

/** Sends only the headers of a POST declaring `length` bytes and returns the status nginx answers with. */
export function declareBody(port: number, path: string, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      agent: false,
      headers: { host: 'localhost', 'content-length': String(length) },
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
    req.flushHeaders();
  });
}
