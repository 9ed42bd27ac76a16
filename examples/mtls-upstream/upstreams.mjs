#!/usr/bin/env node
// Starts the example's upstreams on loopback, so that a request goes through the gateway:
//   orders (TLS, 127.0.0.1:9443): serves pki/orders-chain.crt and requires a client certificate
//                                  issued under pki/demo-root-ca.crt (the gateway's)
//   status (plain http, 127.0.0.1:9080)
// Each answers every request with JSON saying who answered, what was asked and which client
// certificate was presented.
//
//   node examples/mtls-upstream/upstreams.mjs        (or: npm run example:upstreams)
//
// Options (for other setups, e.g. docs/walkthrough.md): --orders-port N --plain-port N
// --cert CHAIN.pem --key KEY.pem --client-ca CA.pem (the TLS upstream's material).
// Ctrl-C stops both.
import { readFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const pki = (name) => fileURLToPath(new URL(`pki/${name}`, import.meta.url));
const { values } = parseArgs({
  options: {
    'orders-port': { type: 'string', default: '9443' },
    'plain-port': { type: 'string', default: '9080' },
    cert: { type: 'string', default: pki('orders-chain.crt') },
    key: { type: 'string', default: pki('orders-server.key') },
    'client-ca': { type: 'string', default: pki('demo-root-ca.crt') },
  },
});

function handler(name) {
  return (req, res) => {
    const peer = req.socket.getPeerCertificate?.();
    const body = {
      upstream: name,
      method: req.method,
      path: req.url,
      host: req.headers.host ?? null,
      clientCertificate: peer?.subject ? peer.subject.CN : null,
    };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  };
}

const listen = (server, port, what) =>
  new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`${what}: cannot listen on 127.0.0.1:${port}: ${e.message}`)));
    server.listen(Number(port), '127.0.0.1', () => {
      console.log(`${what} listening on 127.0.0.1:${port}`);
      resolve();
    });
  });

const orders = createHttps(
  {
    cert: readFileSync(values.cert),
    key: readFileSync(values.key),
    ca: readFileSync(values['client-ca']),
    requestCert: true, // mutual TLS: no client certificate from this CA, no connection
    rejectUnauthorized: true,
  },
  handler('orders'),
);
const plain = createHttp(handler('status'));
try {
  await listen(orders, values['orders-port'], 'orders (TLS, client certificate required)');
  await listen(plain, values['plain-port'], 'status (plain http)');
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
