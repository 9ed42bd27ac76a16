/**
 * Child process of bench/health.ts: serves TLS on the ports given (argv: CHAIN KEY PORT...),
 * counting health checks and TLS handshakes, reported to the parent once a second over IPC.
 * The peers are spread over several such processes, as real peers are separate machines: one
 * process doing every handshake would be the bottleneck the benchmark measured.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [chain, key, ...ports] = process.argv.slice(2);
const tls = { cert: readFileSync(chain), key: readFileSync(key) };
let checks = 0;
let handshakes = 0;
for (const port of ports) {
  const s = createServer(tls, (req, res) => {
    if (req.headers['user-agent'] === 'gwctl-health-check') checks++;
    res.end('ok');
  });
  // Like nginx's keepalive_timeout (75 s) rather than Node's 5 s: checks of one peer arrive in
  // whichever nginx worker accepted them, so each worker's idle connection may wait a few seconds.
  s.keepAliveTimeout = 60_000;
  s.on('secureConnection', () => handshakes++);
  s.listen(Number(port), '127.0.0.1');
}
setInterval(() => process.send?.({ checks, handshakes }), 250);
