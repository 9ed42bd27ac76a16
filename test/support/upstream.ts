import { createServer as createHttps, type Server } from 'node:https';
import { createServer as createHttp } from 'node:http';
import type { Agent, IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';

export interface EchoReply {
  server: string;
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  sni: string | null;
  clientCertificate: string | null;
}

export interface UpstreamOptions {
  /** Label returned in every reply, to tell upstreams apart. */
  label: string;
  port: number;
  /** PEM files: the chain the server serves (leaf first) and its key. Absent: plain http. */
  chainFile?: string;
  keyFile?: string;
  /** CA file: require a client certificate signed by it (mutual TLS). */
  clientCaFile?: string;
  /** Serve even material below OpenSSL's default security level (SHA-1, small keys), to see what nginx does with it. */
  anySecurityLevel?: boolean;
}

/** A real upstream on 127.0.0.1 that echoes what it received as JSON. */
export async function startUpstream(o: UpstreamOptions): Promise<{ close(): Promise<void>; requests: EchoReply[] }> {
  const requests: EchoReply[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const socket = req.socket as TLSSocket;
      const peer = o.clientCaFile && socket.getPeerCertificate ? socket.getPeerCertificate() : undefined;
      const reply: EchoReply = {
        server: o.label,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        sni: (socket as TLSSocket & { servername?: string | false }).servername || null,
        clientCertificate: peer?.subject ? String(peer.subject.CN) : null,
      };
      requests.push(reply);
      // Tests make the upstream answer with a given status or extra header (e.g. X-Accel-Redirect).
      const status = Number(req.headers['x-test-reply-status'] ?? 200);
      const extra = String(req.headers['x-test-reply-header'] ?? '');
      const sep = extra.indexOf(':');
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(sep > 0 ? { [extra.slice(0, sep).trim()]: extra.slice(sep + 1).trim() } : {}),
      });
      res.end(JSON.stringify(reply));
    });
  };
  let server: Server | ReturnType<typeof createHttp>;
  if (o.chainFile) {
    server = createHttps(
      {
        cert: readFileSync(o.chainFile),
        key: readFileSync(o.keyFile!),
        ca: o.clientCaFile ? readFileSync(o.clientCaFile) : undefined,
        requestCert: !!o.clientCaFile,
        rejectUnauthorized: !!o.clientCaFile,
        ciphers: o.anySecurityLevel ? 'DEFAULT:@SECLEVEL=0' : undefined,
      },
      handler,
    );
  } else {
    server = createHttp(handler);
  }
  await new Promise<void>((resolve) => server.listen(o.port, '127.0.0.1', resolve));
  return {
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

/** A plain HTTP request to the gateway on loopback. */
export async function request(
  port: number,
  path: string,
  init: { method?: string; host?: string; body?: string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<{ status: number; body: string; json?: EchoReply; headers: Record<string, string | string[] | undefined> }> {
  const { request: httpRequest } = await import('node:http');
  // Without an agent every request is its own connection (and may land on any nginx worker).
  const connection = init.agent ? 'keep-alive' : 'close';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: { host: init.host ?? 'localhost', connection, ...init.headers },
        agent: init.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: EchoReply | undefined;
          try {
            json = JSON.parse(body) as EchoReply;
          } catch {
            /* not from an echo upstream */
          }
          resolve({ status: res.statusCode ?? 0, body, json, headers: res.headers });
        });
      },
    );
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
