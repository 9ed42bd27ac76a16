import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gwctl } from '../support/gwctl.js';
import { nginxTest } from '../support/nginx.js';
import { makePki } from '../support/pki.js';
import { STACK_TRACE, positionOf, runBin, snapshot, snapshotDiff } from './support.js';

/**
 * Hostile and broken input, table-driven. Every row renders a spec into a directory that holds a
 * previous good output and asserts: the exit code; a diagnostic with the expected code at the
 * file:line:column of the offending field; no stack trace; nothing echoed that could forge log
 * lines or drive a terminal (raw control characters, megabytes of input, a file's content); and
 * nothing on disk changed (full snapshot of the working directory before and after).
 * Rows marked `bin` run through the real bin as well, in a child process.
 */

let dir: string;
let base: string;
const F: Record<string, string> = {};
let keyBody: string;

const BASE = (f: Record<string, string>) => `version: 1
runtime: { flavor: nginx }
listen:
  - port: 18080
    address: 127.0.0.1
  - port: 18443
    tls: { certificate: ${f.listenerChain}, key: ${f.listenerKey} }
trustStores:
  internal:
    certificates: [${f.root}]
clientCertificates:
  gateway:
    certificate: ${f.clientChain}
    key: ${f.clientKey}
upstreams:
  orders:
    servers: ["127.0.0.1:9443", { address: "127.0.0.2:9443", weight: 2 }]
    keepalive: 8
    hostHeader: orders.example.com
    tls:
      trustStore: internal
      serverName: orders.internal
      clientCertificate: gateway
      presentedChain: ${f.ordersChain}
      protocols: [TLSv1.2, TLSv1.3]
      ciphers: HIGH:!aNULL
  legacy:
    servers: ["127.0.0.1:9444"]
    tls:
      verify: false
      insecureReason: vendor appliance with a self-signed certificate
  status:
    servers: ["127.0.0.1:9080"]
routes:
  - path: /orders/
    upstream: orders
    host: api.example.com
  - path: /legacy/
    upstream: legacy
  - path: /status
    upstream: status
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwctl-hostile-'));
  const pki = await makePki(join(dir, 'pki'));
  const root = pki.root('Hostile Root CA');
  const issuing = pki.intermediate(root, 'Hostile Issuing CA');
  const orders = pki.leaf(issuing, { cn: 'orders.internal', dns: ['orders.internal'] });
  const client = pki.leaf(issuing, { cn: 'gateway-client', client: true });
  const listener = pki.leaf(issuing, { cn: 'api.example.com', dns: ['api.example.com'] });
  const rel = (p: string) => relative(dir, p);
  Object.assign(F, {
    root: rel(root.cert),
    ordersChain: rel(orders.chain),
    clientChain: rel(client.chain),
    clientKey: rel(client.key),
    listenerChain: rel(listener.chain),
    listenerKey: rel(listener.key),
    otherKey: rel(orders.key),
  });
  keyBody = readFileSync(client.key, 'utf8').split('\n')[1];
  const bad = (name: string, content: string | Buffer) => {
    writeFileSync(join(dir, 'bad', name), content);
    return `bad/${name}`;
  };
  mkdirSync(join(dir, 'bad/a-directory.pem'), { recursive: true });
  const rootPem = readFileSync(root.cert, 'utf8');
  Object.assign(F, {
    missing: 'bad/missing.pem',
    directory: 'bad/a-directory.pem',
    empty: bad('empty.pem', ''),
    truncated: bad('truncated.pem', rootPem.slice(0, Math.floor(rootPem.length / 2))),
    der: bad('root.der', execFileSync('openssl', ['x509', '-in', root.cert, '-outform', 'DER'])),
    garbage: bad(
      'garbage.pem',
      Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256).map((b) => (b === 0x30 ? 0x31 : b))),
    ),
    badBase64: bad('bad-base64.pem', '-----BEGIN CERTIFICATE-----\nnot*base64!\n-----END CERTIFICATE-----\n'),
    notACert: bad(
      'not-a-cert.pem',
      `-----BEGIN CERTIFICATE-----\n${Buffer.from('hello, I am not ASN.1').toString('base64')}\n-----END CERTIFICATE-----\n`,
    ),
    passwd: '/etc/passwd',
    // Outside dir: the snapshot of dir reads every file, and reading a FIFO would block.
    fifo: makeFifo(),
    bigPassword: bad('big.pass', 'correct horse\n'.repeat(8000)),
    devZero: '/dev/zero',
    dollarKey: bad('key$HOME.pem', readFileSync(client.key)),
    newlineKey: bad('key\nnewline.pem', readFileSync(client.key)),
  });
  chmodSync(join(dir, F.dollarKey), 0o600);
  chmodSync(join(dir, F.newlineKey), 0o600);
  base = BASE(F);
  writeFileSync(join(dir, 'gw.yaml'), base);
  const r = await gwctl(['render', 'gw.yaml', '--out', 'out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.ok(nginxTest(join(dir, 'out')).ok);
});

function makeFifo(): string {
  const fifo = join(mkdtempSync(join(tmpdir(), 'gwctl-fifo-')), 'password.fifo');
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

interface Row {
  name: string;
  /** The spec for this row (from the good one): text, or bytes. */
  spec: (base: string) => string | Buffer;
  exit: 1 | 2;
  /** Expected diagnostic code (exit 1), or a pattern of the one-line message (exit 2). */
  code?: string;
  message?: RegExp;
  /** Where the offending field starts: its first occurrence in the spec, or an offset. */
  at?: string | ((spec: string) => number);
  /** Also run through the real bin. */
  bin?: boolean;
  /** Arguments instead of rendering case.yaml. */
  args?: string[];
  /** Text that must not appear in the output (a file's content, key material). */
  secret?: () => string[];
}

const sub = (from: string, to: string) => (s: string) => {
  assert.ok(s.includes(from), `the base spec has ${JSON.stringify(from)}`);
  return s.replace(from, to);
};
/** A YAML double-quoted scalar for any string (JSON is YAML). */
const dq = (s: string) => JSON.stringify(s);

const META = [';', '{', '}', '"', "'", '$', '\n', '\u0000', '#', '\\', ' '];

const ROWS: Row[] = [
  // nginx metacharacters in every value that reaches nginx.conf
  ...META.map(
    (m): Row => ({
      name: `upstream name with ${JSON.stringify(m)}`,
      spec: sub('  legacy:\n', `  ${dq(`leg${m}acy`)}:\n`),
      exit: 1,
      code: 'schema.bad-name',
      at: dq(`leg${m}acy`),
      bin: m === '\n',
    }),
  ),
  ...[';', '$', '"', '\n'].map(
    (m): Row => ({
      name: `trust store name with ${JSON.stringify(m)}`,
      spec: sub('  internal:\n', `  ${dq(`int${m}ernal`)}:\n`),
      exit: 1,
      code: 'schema.bad-name',
      at: dq(`int${m}ernal`),
    }),
  ),
  {
    name: 'client certificate name with a brace',
    spec: sub('  gateway:\n', '  "gate{way}":\n'),
    exit: 1,
    code: 'schema.bad-name',
    at: '"gate{way}"',
  },
  ...META.map(
    (m): Row => ({
      name: `serverName with ${JSON.stringify(m)}`,
      spec: sub('serverName: orders.internal', `serverName: ${dq(`orders${m}internal`)}`),
      exit: 1,
      code: 'tls.bad-server-name',
      at: dq(`orders${m}internal`),
      bin: m === ';',
    }),
  ),
  {
    name: 'serverName that is an IP address',
    spec: sub('serverName: orders.internal', 'serverName: 10.0.0.12'),
    exit: 1,
    code: 'tls.ip-server-name',
    at: '10.0.0.12',
    bin: true,
  },
  {
    name: 'serverName that is an IPv6 address',
    spec: sub('serverName: orders.internal', 'serverName: "::1"'),
    exit: 1,
    code: 'tls.ip-server-name',
    at: '"::1"',
  },
  ...[...META, ':'].map(
    (m): Row => ({
      name: `server address with ${JSON.stringify(m)}`,
      spec: sub('"127.0.0.1:9443"', dq(`127.0.0.1${m}x:9443`)),
      exit: 1,
      code: 'upstream.bad-server',
      at: dq(`127.0.0.1${m}x:9443`),
    }),
  ),
  {
    name: 'server object address with an injected directive',
    spec: sub('"127.0.0.2:9443"', dq('127.0.0.2:9443; proxy_pass http://evil')),
    exit: 1,
    code: 'upstream.bad-server',
    at: dq('127.0.0.2:9443; proxy_pass http://evil'),
    bin: true,
  },
  // Numeric hosts other than the dotted quad: nginx -t refuses some, the resolver reinterprets others.
  ...['999.1.1.1', '1.2.3.4.5', '1.2.3', '0x7f.0.0.1', '2130706433'].map(
    (h): Row => ({
      name: `server host ${h}`,
      spec: sub('"127.0.0.1:9443"', dq(`${h}:9443`)),
      exit: 1,
      code: 'upstream.bad-server',
      at: dq(`${h}:9443`),
      bin: h === '1.2.3',
    }),
  ),
  {
    name: 'listen address 999.1.1.1',
    spec: sub('address: 127.0.0.1', 'address: 999.1.1.1'),
    exit: 1,
    code: 'listen.bad-address',
    at: '999.1.1.1',
  },
  {
    name: 'serverName with an all-digit last label',
    spec: sub('serverName: orders.internal', 'serverName: orders.123'),
    exit: 1,
    code: 'tls.bad-server-name',
    at: 'orders.123',
  },
  {
    name: 'route host 1.2.3',
    spec: sub('host: api.example.com', 'host: "1.2.3"'),
    exit: 1,
    code: 'route.bad-host',
    at: '"1.2.3"',
  },
  {
    name: 'hostHeader 2130706433',
    spec: sub('hostHeader: orders.example.com', 'hostHeader: "2130706433:80"'),
    exit: 1,
    code: 'upstream.bad-host-header',
    at: '"2130706433:80"',
  },
  {
    name: 'server port 0',
    spec: sub('"127.0.0.1:9443"', '"127.0.0.1:0"'),
    exit: 1,
    code: 'upstream.bad-server',
    at: '"127.0.0.1:0"',
  },
  {
    name: 'server port 65536',
    spec: sub('"127.0.0.1:9443"', '"127.0.0.1:65536"'),
    exit: 1,
    code: 'upstream.bad-server',
    at: '"127.0.0.1:65536"',
  },
  {
    name: 'server without a port',
    spec: sub('"127.0.0.1:9443"', '"orders.internal"'),
    exit: 1,
    code: 'upstream.bad-server',
    at: '"orders.internal"',
  },
  {
    name: 'server IPv6 with junk in the brackets',
    spec: sub('"127.0.0.1:9443"', '"[::1;]:9443"'),
    exit: 1,
    code: 'upstream.bad-server',
    at: '"[::1;]:9443"',
  },
  ...[';', '$', ' ', '\n'].map(
    (m): Row => ({
      name: `listen address with ${JSON.stringify(m)}`,
      spec: sub('address: 127.0.0.1', `address: ${dq(`127.0.0.1${m}`)}`),
      exit: 1,
      code: 'listen.bad-address',
      at: dq(`127.0.0.1${m}`),
    }),
  ),
  ...['\n', '\u0000', '\t', '\u001b[2J', '\u202e', '\u00a0', '\u034f', '\u{e0041}', '\u3164'].map(
    (m): Row => ({
      name: `route path with ${JSON.stringify(m)}`,
      spec: sub('path: /legacy/', `path: ${dq(`/leg${m}acy/`)}`),
      exit: 1,
      code: 'route.bad-path',
      at: dq(`/leg${m}acy/`),
      bin: m === '\u001b[2J',
    }),
  ),
  // Route paths nginx would never match as written: it matches the decoded, normalised path.
  ...[
    '/leg%20acy/',
    '/legacy?x=1',
    '/legacy#top',
    '/legacy//v1/',
    '/legacy/./v1/',
    '/legacy/../v1/',
    `/${'😀'.repeat(1100)}`,
  ].map(
    (p): Row => ({
      name: `route path ${p.slice(0, 16)}`,
      spec: sub('path: /legacy/', `path: ${dq(p)}`),
      exit: 1,
      code: 'route.bad-path',
      at: dq(p).slice(0, 12),
    }),
  ),
  // Lone surrogates are no characters: refused wherever they are, never written as U+FFFD.
  {
    name: 'route path with a lone surrogate',
    spec: sub('path: /legacy/', 'path: "/leg\\ud800acy/"'),
    exit: 1,
    code: 'yaml.lone-surrogate',
    at: '"/leg',
    bin: true,
  },
  {
    name: 'insecureReason with a lone surrogate',
    spec: sub(
      'insecureReason: vendor appliance with a self-signed certificate',
      'insecureReason: "vendor \\udc00 appliance"',
    ),
    exit: 1,
    code: 'yaml.lone-surrogate',
    at: '"vendor',
  },
  {
    name: 'an upstream name (a key) with a lone surrogate',
    spec: sub('  legacy:\n', '  "leg\\ud800acy":\n'),
    exit: 1,
    code: 'yaml.lone-surrogate',
    at: '"leg',
  },
  {
    name: 'route path not starting with /',
    spec: sub('path: /legacy/', 'path: "@legacy"'),
    exit: 1,
    code: 'route.bad-path',
    at: '"@legacy"',
  },
  ...[';', '$', '"', ' ', '\n', '{'].map(
    (m): Row => ({
      name: `route host with ${JSON.stringify(m)}`,
      spec: sub('host: api.example.com', `host: ${dq(`api${m}example.com`)}`),
      exit: 1,
      code: 'route.bad-host',
      at: dq(`api${m}example.com`),
    }),
  ),
  ...[';', '$', '"', '\n'].map(
    (m): Row => ({
      name: `hostHeader with ${JSON.stringify(m)}`,
      spec: sub('hostHeader: orders.example.com', `hostHeader: ${dq(`orders${m}example.com`)}`),
      exit: 1,
      code: 'upstream.bad-host-header',
      at: dq(`orders${m}example.com`),
    }),
  ),
  ...['\n', '\u0000', '\r', '\u001b]0;pwned\u0007', '\u202e'].map(
    (m): Row => ({
      name: `insecureReason with ${JSON.stringify(m)}`,
      spec: sub(
        'insecureReason: vendor appliance with a self-signed certificate',
        `insecureReason: ${dq(`vendor${m}proxy_pass http://evil;`)}`,
      ),
      exit: 1,
      code: 'tls.bad-insecure-reason',
      at: dq(`vendor${m}proxy_pass http://evil;`),
      bin: m === '\n',
    }),
  ),
  ...[';', '"', '$', ' ', '\n', '{'].map(
    (m): Row => ({
      name: `ciphers with ${JSON.stringify(m)}`,
      spec: sub('ciphers: HIGH:!aNULL', `ciphers: ${dq(`HIGH${m}x`)}`),
      exit: 1,
      code: 'schema.bad-value',
      at: dq(`HIGH${m}x`),
    }),
  ),
  {
    name: 'protocol with an injected token',
    spec: sub('protocols: [TLSv1.2, TLSv1.3]', 'protocols: [TLSv1.2, "TLSv1.3; proxy_ssl_verify off"]'),
    exit: 1,
    code: 'schema.bad-value',
    at: '"TLSv1.3; proxy_ssl_verify off"',
  },
  {
    name: 'nginxVersion with an injected directive',
    spec: sub(
      'runtime: { flavor: nginx }',
      'runtime: { flavor: nginx, nginxVersion: "1.22.1\\nload_module evil.so;" }',
    ),
    exit: 1,
    code: 'schema.bad-value',
    at: '"1.22.1',
  },
  {
    name: 'modulesPath with "$"',
    spec: sub('runtime: { flavor: nginx }', 'runtime: { flavor: nginx, modulesPath: "/usr/lib/$nginx/modules" }'),
    exit: 1,
    code: 'path.unrenderable',
    at: '"/usr/lib/$nginx/modules"',
  },
  {
    name: 'modulesPath with a newline',
    spec: sub(
      'runtime: { flavor: nginx }',
      'runtime: { flavor: nginx, modulesPath: "/usr/lib/nginx/modules\\n;load_module x" }',
    ),
    exit: 1,
    code: 'path.unrenderable',
    at: '"/usr/lib/nginx/modules',
  },
  {
    name: 'client key path with "$" (the file exists)',
    spec: (s) => sub(`key: ${F.clientKey}`, `key: ${dq(F.dollarKey)}`)(s),
    exit: 1,
    code: 'path.unrenderable',
    at: (s) => s.indexOf(`key: ${dq(F.dollarKey)}`) + 5,
    bin: true,
  },
  {
    name: 'client key path with a newline (the file exists)',
    spec: (s) => sub(`key: ${F.clientKey}`, `key: ${dq(F.newlineKey)}`)(s),
    exit: 1,
    code: 'path.unrenderable',
    at: (s) => s.indexOf(`key: ${dq(F.newlineKey)}`) + 5,
  },
  {
    name: 'listener key path with a NUL byte',
    spec: (s) => sub(`key: ${F.listenerKey}`, `key: ${dq(`${F.listenerKey}\u0000.pem`)}`)(s),
    exit: 1,
    code: 'path.bad',
    at: (s) => s.indexOf(`key: ${dq(`${F.listenerKey}\u0000.pem`)}`) + 5,
  },
  // Oversized values
  {
    name: 'a 3,000-character route path',
    spec: sub('path: /legacy/', `path: /${'a'.repeat(3000)}/`),
    exit: 1,
    code: 'schema.bad-length',
    at: `/${'a'.repeat(20)}`,
  },
  {
    name: 'a 300-character serverName',
    spec: sub('serverName: orders.internal', `serverName: ${'a'.repeat(300)}.internal`),
    exit: 1,
    code: 'schema.bad-length',
    at: 'a'.repeat(300),
  },
  {
    name: 'a 100-character upstream name',
    spec: sub('  legacy:\n', `  ${'l'.repeat(100)}:\n`),
    exit: 1,
    code: 'schema.bad-name',
    at: 'l'.repeat(100),
  },
  {
    name: 'a 1,000-character unknown key',
    spec: sub('    keepalive: 8\n', `    keepalive: 8\n    ${'k'.repeat(1000)}: 1\n`),
    exit: 1,
    code: 'schema.unknown-key',
    at: 'k'.repeat(1000),
    bin: true,
  },
  {
    name: 'a 100 KB key',
    spec: sub('    keepalive: 8\n', `    keepalive: 8\n    ${'k'.repeat(100_000)}: 1\n`),
    exit: 1,
    code: 'yaml.syntax',
    at: 'k'.repeat(100_000),
  },
  {
    name: 'a 100 KB insecureReason',
    spec: sub(
      'insecureReason: vendor appliance with a self-signed certificate',
      `insecureReason: ${'why '.repeat(25_000)}`,
    ),
    exit: 1,
    code: 'schema.bad-length',
    at: 'why why',
    bin: true,
  },
  {
    name: '300 servers (more than 256)',
    spec: sub(
      'servers: ["127.0.0.1:9444"]',
      `servers: [${Array.from({ length: 300 }, (_, i) => `"127.0.0.1:${10000 + i}"`).join(', ')}]`,
    ),
    exit: 1,
    code: 'schema.bad-length',
    at: '["127.0.0.1:10000"',
  },
  {
    name: 'a spec over the 4 MB limit',
    spec: (s) => `${s}# ${'x'.repeat(4 * 1024 * 1024)}\n`,
    exit: 2,
    message: /case\.yaml: \d+ bytes is larger than the 4194304-byte limit/,
    bin: true,
  },
  // YAML: alias bombs, deep nesting, broken syntax, binary
  {
    name: 'YAML alias bomb ("billion laughs")',
    spec: (s) =>
      `${s}x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n${Array.from({ length: 9 }, (_, i) => `x${i + 1}: &a${i + 1} [${Array(9).fill(`*a${i}`).join(', ')}]`).join('\n')}\n`,
    exit: 1,
    code: 'yaml.aliases',
    at: '*a0',
    bin: true,
  },
  {
    name: 'flow nesting 10,000 deep',
    spec: (s) => `${s}deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
    exit: 1,
    code: 'yaml.too-deep',
    at: (s) => s.indexOf('[[[') + 64,
    bin: true,
  },
  {
    name: 'compact block nesting 5,000 deep',
    spec: (s) => `${s}deep:\n  ${'- '.repeat(5000)}x\n`,
    exit: 1,
    code: 'yaml.too-deep',
    at: (s) => s.indexOf('- - ') + 2 * 64,
  },
  {
    name: 'explicit-key nesting 5,000 deep',
    spec: (s) => `${s}deep: ${'? '.repeat(5000)}x\n`,
    exit: 1,
    code: 'yaml.too-deep',
    at: (s) => s.indexOf('? ? ') + 2 * 64,
  },
  {
    name: 'indentation nesting 300 deep',
    spec: (s) => `${s}deep:\n${Array.from({ length: 300 }, (_, i) => `${' '.repeat(i + 1)}-`).join('\n')}\n`,
    exit: 1,
    code: 'yaml.too-deep',
    at: (s) => s.indexOf(`\n${' '.repeat(257)}-`) + 1,
  },
  {
    name: 'a duplicate key',
    spec: sub('    keepalive: 8\n', '    keepalive: 8\n    keepalive: 9\n'),
    exit: 1,
    code: 'yaml.duplicate-key',
    at: 'keepalive: 9',
  },
  {
    name: 'an unclosed quote',
    spec: sub('serverName: orders.internal', 'serverName: "orders.internal'),
    exit: 1,
    code: 'yaml.syntax',
  },
  { name: 'a tab in the indentation', spec: sub('    keepalive: 8', '\tkeepalive: 8'), exit: 1, code: 'yaml.syntax' },
  {
    name: 'binary garbage with NUL bytes',
    spec: () =>
      Buffer.concat([Buffer.from('version: 1\n'), Buffer.from(Array.from({ length: 2000 }, (_, i) => (i * 31) % 256))]),
    exit: 1,
    code: 'yaml.binary',
    at: (s) => s.indexOf('\u0000'),
    bin: true,
  },
  {
    name: 'Latin-1 text that is not UTF-8',
    spec: (s) => Buffer.from(s.replace('vendor appliance', 'vendor appliance caf\u00e9'), 'latin1'),
    exit: 1,
    code: 'yaml.encoding',
    at: (s) => s.indexOf('\ufffd'),
  },
  {
    name: 'a YAML merge key (not part of YAML 1.2)',
    spec: sub('    keepalive: 8\n', '    <<: { keepalive: 8 }\n'),
    exit: 1,
    code: 'schema.unknown-key',
    at: '<<',
  },
  // The parser must not be switched to other rules, types or data, and its API must not show.
  {
    name: 'a %YAML 1.1 directive (1.1 typing: off, <<, octal)',
    spec: (s) => `%YAML 1.1\n---\n${s}`,
    exit: 1,
    code: 'yaml.version',
    at: '%YAML',
    bin: true,
  },
  { name: 'a %YAML 1.3 directive', spec: (s) => `%YAML 1.3\n---\n${s}`, exit: 1, code: 'yaml.version', at: '%YAML' },
  {
    name: 'a second YAML document',
    spec: (s) => `${s}---\nversion: 1\n`,
    exit: 1,
    code: 'yaml.multiple-documents',
    at: '---',
    bin: true,
  },
  {
    name: 'a map as a map key',
    spec: sub('    keepalive: 8\n', '    keepalive: 8\n    ? {serverName: x}\n    : x\n'),
    exit: 1,
    code: 'yaml.complex-key',
    at: '{serverName: x}',
    bin: true,
  },
  {
    name: 'a list as a map key',
    spec: sub('    keepalive: 8\n', '    keepalive: 8\n    ? [a, b]\n    : x\n'),
    exit: 1,
    code: 'yaml.complex-key',
    at: '[a, b]',
  },
  {
    name: 'a !!float tag',
    spec: sub('port: 18080', 'port: !!float 18080'),
    exit: 1,
    code: 'yaml.tag',
    at: '!!float',
    bin: true,
  },
  {
    name: 'a !!str tag that resolves',
    spec: sub('keepalive: 8', 'keepalive: !!str 8'),
    exit: 1,
    code: 'yaml.tag',
    at: '!!str',
  },
  {
    name: 'a local tag with an anchor',
    spec: sub('serverName: orders.internal', 'serverName: !x &n orders.internal'),
    exit: 1,
    code: 'yaml.tag',
    at: '!x',
  },
  { name: 'an empty spec', spec: () => '', exit: 1, code: 'schema.bad-type', at: () => 0 },
  { name: 'a spec that is a list', spec: () => '- version: 1\n', exit: 1, code: 'schema.bad-type', at: '- version' },
  {
    name: 'a missing spec',
    spec: (s) => s,
    args: ['render', 'nope.yaml', '--out', 'out'],
    exit: 2,
    message: /nope\.yaml: cannot read the spec \(ENOENT\)/,
    bin: true,
  },
  {
    name: 'a spec that is a directory',
    spec: (s) => s,
    args: ['render', 'bad', '--out', 'out'],
    exit: 2,
    message: /bad: is a directory, not a spec file/,
  },
  {
    name: 'a spec that is a device',
    spec: (s) => s,
    args: ['render', '/dev/zero', '--out', 'out'],
    exit: 2,
    message: /\/dev\/zero: is not a regular file/,
  },
  {
    name: 'a spec whose file name holds a newline and a terminal escape',
    spec: (s) => s,
    args: ['render', 'evil\n1:1  error  fake\u001b[2J.yaml', '--out', 'out'],
    exit: 2,
    message:
      /^gwctl: "evil\\n1:1  error  fake\\u001b\[2J\.yaml": the spec's file name contains control or invisible characters/,
    bin: true,
  },
  // Types and ranges
  {
    name: 'port as a string',
    spec: sub('port: 18080', 'port: "18080"'),
    exit: 1,
    code: 'schema.bad-type',
    at: '"18080"',
  },
  {
    name: 'port 0',
    spec: sub('port: 18080', 'port: 0'),
    exit: 1,
    code: 'schema.out-of-range',
    at: (s) => s.indexOf('port: 0') + 6,
  },
  { name: 'port 70000', spec: sub('port: 18080', 'port: 70000'), exit: 1, code: 'schema.out-of-range', at: '70000' },
  { name: 'port 8080.5', spec: sub('port: 18080', 'port: 8080.5'), exit: 1, code: 'schema.bad-type', at: '8080.5' },
  { name: 'port .inf', spec: sub('port: 18080', 'port: .inf'), exit: 1, code: 'schema.bad-type', at: '.inf' },
  { name: 'port 1e400', spec: sub('port: 18080', 'port: 1e400'), exit: 1, code: 'schema.bad-type', at: '1e400' },
  { name: 'keepalive -1', spec: sub('keepalive: 8', 'keepalive: -1'), exit: 1, code: 'schema.out-of-range', at: '-1' },
  {
    name: 'weight 0',
    spec: sub('weight: 2', 'weight: 0'),
    exit: 1,
    code: 'schema.out-of-range',
    at: (s) => s.indexOf('weight: 0') + 8,
  },
  {
    name: 'verifyDepth 2147483648 (one past what nginx hands OpenSSL)',
    spec: sub('      trustStore: internal\n', '      trustStore: internal\n      verifyDepth: 2147483648\n'),
    exit: 1,
    code: 'schema.out-of-range',
    at: '2147483648',
  },
  {
    name: 'verify: no (a string in YAML 1.2, not false)',
    spec: sub('verify: false', 'verify: no'),
    exit: 1,
    code: 'schema.bad-type',
    at: (s) => s.indexOf('verify: no') + 8,
  },
  {
    name: 'version 2',
    spec: sub('version: 1', 'version: 2'),
    exit: 1,
    code: 'schema.bad-value',
    at: (s) => s.indexOf('version: 2') + 9,
  },
  {
    name: 'servers as a string',
    spec: sub('servers: ["127.0.0.1:9444"]', 'servers: "127.0.0.1:9444"'),
    exit: 1,
    code: 'schema.bad-type',
    at: '"127.0.0.1:9444"',
  },
  {
    name: 'listen as a map',
    spec: (s) => s.replace(/listen:\n(  - .*\n|    .*\n)*/, 'listen: { port: 18080 }\n'),
    exit: 1,
    code: 'schema.bad-type',
    at: '{ port: 18080 }',
  },
  {
    name: 'an unknown key',
    spec: sub('      serverName: orders.internal', '      serverName: orders.internal\n      proxy_ssl_verify: "off"'),
    exit: 1,
    code: 'schema.unknown-key',
    at: 'proxy_ssl_verify',
    bin: true,
  },
  {
    name: 'verify: false without insecureReason',
    spec: sub('      insecureReason: vendor appliance with a self-signed certificate\n', ''),
    exit: 1,
    code: 'tls.insecure-without-reason',
    at: (s) => s.indexOf('verify: false') + 8,
  },
  {
    name: 'a reference to an unknown trust store',
    spec: sub('trustStore: internal', 'trustStore: internl'),
    exit: 1,
    code: 'ref.unknown',
    at: 'internl',
  },
];

/** Rows for files: each points one field at a broken or foreign file. */
const FILE_ROWS = (): Row[] => {
  const fields: { field: string; from: () => string; kind: 'certificate' | 'key' }[] = [
    { field: 'trust store certificate', from: () => `[${F.root}]`, kind: 'certificate' },
    { field: 'presentedChain', from: () => `presentedChain: ${F.ordersChain}`, kind: 'certificate' },
    { field: 'client certificate', from: () => `certificate: ${F.clientChain}`, kind: 'certificate' },
    { field: 'client key', from: () => `key: ${F.clientKey}`, kind: 'key' },
    { field: 'listener key', from: () => `key: ${F.listenerKey}`, kind: 'key' },
  ];
  const broken: {
    what: string;
    file: () => string;
    code: (kind: 'certificate' | 'key') => string;
    secret?: () => string[];
  }[] = [
    { what: 'missing', file: () => F.missing, code: () => 'file.missing' },
    { what: 'a directory', file: () => F.directory, code: () => 'file.directory' },
    { what: 'empty', file: () => F.empty, code: () => 'pem.empty' },
    { what: 'truncated', file: () => F.truncated, code: () => 'pem.truncated' },
    { what: 'DER instead of PEM', file: () => F.der, code: () => 'pem.der' },
    { what: 'binary garbage', file: () => F.garbage, code: (k) => (k === 'key' ? 'key.not-a-key' : 'pem.none') },
    {
      what: 'PEM with bad base64',
      file: () => F.badBase64,
      code: (k) => (k === 'key' ? 'key.not-a-key' : 'pem.bad-base64'),
    },
    {
      what: 'PEM that is not a certificate',
      file: () => F.notACert,
      code: (k) => (k === 'key' ? 'key.not-a-key' : 'pem.bad-certificate'),
    },
    {
      what: '/etc/passwd',
      file: () => F.passwd,
      code: (k) => (k === 'key' ? 'key.not-a-key' : 'pem.none'),
      secret: () =>
        readFileSync('/etc/passwd', 'utf8')
          .split('\n')
          .filter((l) => l.length > 8)
          .slice(0, 5),
    },
    { what: '/dev/zero', file: () => F.devZero, code: () => 'file.not-regular' },
    {
      what: 'a key where a certificate belongs / the other way round',
      file: () => '',
      code: (k) => (k === 'key' ? 'key.not-a-key' : 'pem.wrong-kind'),
      secret: () => [keyBody],
    },
  ];
  const rows: Row[] = [];
  for (const f of fields) {
    for (const b of broken) {
      const target = b.file() || (f.kind === 'key' ? F.root : F.clientKey);
      const from = f.from();
      const to = from.startsWith('[') ? `[${dq(target)}]` : from.replace(/: .*$/, `: ${dq(target)}`);
      rows.push({
        name: `${f.field}: ${b.what}`,
        spec: sub(from, to),
        exit: 1,
        code: b.code(f.kind),
        at: (spec) => spec.indexOf(to) + (to.startsWith('[') ? 1 : to.indexOf('"')),
        secret: b.secret,
        bin: b.what === '/etc/passwd' || (b.what === 'DER instead of PEM' && f.kind === 'certificate'),
      });
    }
  }
  // A key that belongs to another certificate.
  rows.push({
    name: 'client key of another certificate',
    spec: sub(`key: ${F.clientKey}`, `key: ${F.otherKey}`),
    exit: 1,
    code: 'key.mismatch',
    at: F.otherKey,
    secret: () => [keyBody],
  });
  // passwordFile that cannot be rendered, and one that cannot be read.
  rows.push({
    name: 'passwordFile with "$"',
    spec: sub(`key: ${F.clientKey}\n`, `key: ${F.clientKey}\n    passwordFile: "pass$word.txt"\n`),
    exit: 1,
    code: 'path.unrenderable',
    at: '"pass$word.txt"',
  });
  // A password file is read like every other file: regular files only, and only a few KB.
  const passwordFiles: { what: string; file: () => string }[] = [
    { what: 'a FIFO', file: () => F.fifo },
    { what: '/dev/zero', file: () => F.devZero },
    { what: 'a directory', file: () => F.directory },
    { what: 'a 100 KB file', file: () => F.bigPassword },
  ];
  for (const p of passwordFiles) {
    const file = dq(p.file());
    rows.push({
      name: `client passwordFile: ${p.what}`,
      spec: sub(`key: ${F.clientKey}\n`, `key: ${F.clientKey}\n    passwordFile: ${file}\n`),
      exit: 1,
      code: 'key.password-file',
      at: file,
      bin: p.what === 'a FIFO',
    });
    rows.push({
      name: `listener passwordFile: ${p.what}`,
      spec: sub(`key: ${F.listenerKey} }`, `key: ${F.listenerKey}, passwordFile: ${file} }`),
      exit: 1,
      code: 'key.password-file',
      at: file,
    });
  }
  return rows;
};

/** The text gwctl positions against: the bytes decoded as UTF-8 (bad bytes become U+FFFD). */
function text(spec: string | Buffer): string {
  return typeof spec === 'string' ? spec : new TextDecoder('utf-8').decode(spec);
}

function resolveAt(row: Row, spec: string): { line: number; column: number } | undefined {
  if (row.at === undefined) return undefined;
  if (typeof row.at === 'string') return positionOf(spec, row.at);
  const offset = row.at(spec);
  const before = spec.slice(0, offset);
  return { line: before.split('\n').length, column: offset - before.lastIndexOf('\n') };
}

/** Nothing a spec or file supplied can reach the terminal raw. */
function assertSafeOutput(text: string, row: Row): void {
  assert.doesNotMatch(text, STACK_TRACE, `${row.name}: stack trace or crash`);
  assert.doesNotMatch(
    text,
    /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/,
    `${row.name}: a raw control character reached the output`,
  );
  assert.ok(text.length < 16_000, `${row.name}: ${text.length} characters of output (an oversized value echoed?)`);
  assert.doesNotMatch(text, /PRIVATE KEY/);
  for (const s of row.secret?.() ?? [])
    assert.ok(!text.includes(s), `${row.name}: echoed ${JSON.stringify(s.slice(0, 30))}`);
}

test('hostile and broken input: exit code, position of the field, no stack trace, nothing changed on disk', async (t) => {
  const rows = [...ROWS, ...FILE_ROWS()];
  const names = new Set<string>();
  for (const row of rows) {
    assert.ok(!names.has(row.name), `duplicate row ${row.name}`);
    names.add(row.name);
    const spec = text(row.spec(base));
    writeFileSync(join(dir, 'case.yaml'), row.spec(base));
    const before = snapshot(dir);
    const args = row.args ?? ['render', 'case.yaml', '--out', 'out'];
    const r = await gwctl(args, dir);
    const output = r.stdout + r.stderr;
    assert.equal(r.exitCode, row.exit, `${row.name}: exit code\n${output}`);
    assertSafeOutput(output, row);
    if (row.exit === 2) {
      assert.match(r.stderr, row.message!, row.name);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${row.name}: one line`);
    } else {
      const at = resolveAt(row, spec);
      const where = at ? `case\\.yaml:${at.line}:${at.column}` : 'case\\.yaml:\\d+:\\d+';
      assert.match(
        r.stderr,
        new RegExp(`^${where}  error +.+  \\[${row.code!.replace(/\./g, '\\.')}\\]$`, 'm'),
        `${row.name}: expected ${row.code} at ${JSON.stringify(at)}\n${output}`,
      );
    }
    assert.deepEqual(snapshotDiff(before, snapshot(dir)), [], `${row.name}: something changed on disk`);
  }
  t.diagnostic(`${rows.length} rows`);
});

test('the real bin, for a representative subset: same exit code and position, no stack trace', async () => {
  const rows = [...ROWS, ...FILE_ROWS()].filter((r) => r.bin);
  assert.ok(rows.length >= 12);
  for (const row of rows) {
    const spec = text(row.spec(base));
    const file = `bin-${rows.indexOf(row)}.yaml`;
    writeFileSync(join(dir, file), row.spec(base));
    const before = snapshot(join(dir, 'out'));
    const args = row.args ?? ['render', file, '--out', 'out'];
    const r = await runBin(args, { cwd: dir });
    const output = r.stdout + r.stderr;
    assert.equal(r.exitCode, row.exit, `${row.name}: exit code\n${output}`);
    assertSafeOutput(output, row);
    if (row.exit === 2)
      assert.match(
        r.stderr,
        new RegExp(row.message!.source.replace('case\\.yaml', file.replace('.', '\\.'))),
        row.name,
      );
    else {
      const at = resolveAt(row, spec);
      assert.ok(at);
      assert.match(
        r.stderr,
        new RegExp(
          `^${file.replace('.', '\\.')}:${at.line}:${at.column}  error +.+  \\[${row.code!.replace(/\./g, '\\.')}\\]$`,
          'm',
        ),
        `${row.name}\n${output}`,
      );
    }
    assert.deepEqual(snapshotDiff(before, snapshot(join(dir, 'out'))), [], row.name);
  }
});

test('odd but valid input keeps working: CRLF PEM, PEM inside `openssl x509 -text` output, metacharacters where they are safe', async () => {
  const odd = join(dir, 'odd');
  mkdirSync(odd, { recursive: true });
  // CRLF line ends and text around the PEM blocks.
  const crlf = join(odd, 'root-crlf.pem');
  writeFileSync(crlf, readFileSync(join(dir, F.root), 'utf8').replace(/\n/g, '\r\n'));
  const texty = join(odd, 'chain-text.pem');
  const chainFile = join(dir, F.ordersChain);
  const blocks = readFileSync(chainFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g)!;
  writeFileSync(
    texty,
    blocks.map((b) => execFileSync('openssl', ['x509', '-text'], { input: b, encoding: 'utf8' })).join('\n'),
  );
  // A key path with spaces, quotes, semicolons and braces (nginx.conf quotes it), and a
  // modules directory whose name needs quoting too.
  const weirdKey = join(odd, 'my key; "gateway" {1}.pem');
  copyFileSync(join(dir, F.clientKey), weirdKey);
  chmodSync(weirdKey, 0o600);
  const modules = join(odd, 'mods; "x" {y}');
  mkdirSync(modules);
  for (const m of ['ndk_http_module.so', 'ngx_http_lua_module.so'])
    symlinkSync(`/usr/lib/nginx/modules/${m}`, join(modules, m));
  const spec = base
    .replace(`certificates: [${F.root}]`, `certificates: [${dq(relative(dir, crlf))}]`)
    .replace(`presentedChain: ${F.ordersChain}`, `presentedChain: ${dq(relative(dir, texty))}`)
    .replace(`key: ${F.clientKey}`, `key: ${dq(relative(dir, weirdKey))}`)
    .replace('runtime: { flavor: nginx }', `runtime: { flavor: nginx, modulesPath: ${dq(modules)} }`)
    .replace('path: /legacy/', `path: ${dq('/le"g;a{c}y$1\\ x/')}`)
    .replace(
      'insecureReason: vendor appliance with a self-signed certificate',
      `insecureReason: ${dq('vendor; box {1} "legacy" $x # not a comment end \\')}`,
    );
  writeFileSync(join(dir, 'odd.yaml'), spec);
  const r = await gwctl(['render', 'odd.yaml', '--out', 'odd-out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const conf = readFileSync(join(dir, 'odd-out/nginx.conf'), 'utf8');
  assert.ok(conf.includes('location "/le\\"g;a{c}y$1\\\\ x/" {'), conf);
  assert.ok(conf.includes(`proxy_ssl_certificate_key "${dir}/odd/my key; \\"gateway\\" {1}.pem";`), conf);
  const t = nginxTest(join(dir, 'odd-out'));
  assert.ok(t.ok, `nginx -t loads the key and modules from the quoted paths: ${t.output}`);
  // The trust bundle and client chain are re-encoded: the text around the PEM is gone.
  const oddFiles = readdirSync(join(dir, 'odd-out/tls'));
  assert.ok(oddFiles.length >= 2, 'the trust bundle and the client chain were written');
  for (const f of oddFiles)
    assert.doesNotMatch(readFileSync(join(dir, 'odd-out/tls', f), 'utf8'), /Certificate:|Signature Algorithm|\r/);
});

test('a trust store bundle that also holds a private key: a warning naming the file, no key material echoed, rendered bundle without the key', async () => {
  const leaky = join(dir, 'bad', 'root-with-key.pem');
  writeFileSync(leaky, readFileSync(join(dir, F.root), 'utf8') + readFileSync(join(dir, F.clientKey), 'utf8'));
  writeFileSync(
    join(dir, 'leaky.yaml'),
    base.replace(`certificates: [${F.root}]`, `certificates: [bad/root-with-key.pem]`),
  );
  const r = await gwctl(['render', 'leaky.yaml', '--out', 'leaky-out'], dir);
  assert.equal(r.exitCode, 0, r.stderr);
  const at = positionOf(readFileSync(join(dir, 'leaky.yaml'), 'utf8'), 'bad/root-with-key.pem');
  assert.match(
    r.stderr,
    new RegExp(
      `^leaky\\.yaml:${at.line}:${at.column}  warning  bad/root-with-key\\.pem: this CA bundle also holds a private key.*\\[pem\\.private-key\\]$`,
      'm',
    ),
  );
  assertSafeOutput(r.stdout + r.stderr, { name: 'leaky bundle', spec: () => '', exit: 1, secret: () => [keyBody] });
  const leakyFiles = readdirSync(join(dir, 'leaky-out/tls'));
  assert.ok(leakyFiles.length >= 1, 'the trust bundle was written');
  for (const f of leakyFiles) assert.doesNotMatch(readFileSync(join(dir, 'leaky-out/tls', f), 'utf8'), /PRIVATE KEY/);
});
