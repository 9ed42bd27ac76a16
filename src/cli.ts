import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { FatalError, type Severity } from './diagnostics/diagnostic.js';
import type { CommandContext, CommandResult, Format } from './commands/context.js';
import { FORMATS, parseCount, parseDepth, parseServerName, parseTime } from './cli-args.js';
import { escapeUnsafeLines } from './text/show.js';
import { DEFAULT_WARN_DAYS } from './load/spec-defaults.js';
import { packagePath } from './package-root.js';

/** `--warn-days`, the same on every command that looks at certificate lifetimes. */
function warnDaysOption(): Option {
  return new Option('--warn-days <days>', 'warn about certificates expiring within this many days')
    .argParser(parseCount)
    .default(DEFAULT_WARN_DAYS);
}

/** The only module that touches the process: argv in, stdout/stderr and an exit code out. */
export function runCli(): void {
  const env = process.env;
  // Human diagnostics and progress go to stderr, so that is the stream whose terminal matters.
  const stderrTty = Boolean(process.stderr.isTTY);
  let progressShown = false;
  const progress =
    stderrTty && !isCi(env) && env.TERM !== 'dumb'
      ? (message: string) => {
          const width = Math.max(20, (process.stderr.columns || 80) - 1);
          process.stderr.write(`\r\u001b[2K${message.length > width ? `${message.slice(0, width - 1)}…` : message}`);
          progressShown = true;
        }
      : undefined;
  main(process.argv.slice(2), {
    cwd: process.cwd(),
    color: stderrTty && !env.NO_COLOR && env.TERM !== 'dumb',
    env,
    progress,
    stdin: process.stdin,
  }).then((r) => {
    if (progressShown) process.stderr.write('\r\u001b[2K');
    if (r.stdout) process.stdout.write(r.stdout);
    if (r.stderr) process.stderr.write(r.stderr);
    process.exitCode = r.exitCode;
  });
}

/** CI systems set CI (GitHub Actions, GitLab, CircleCI, Travis, Buildkite, ...): no progress there. */
function isCi(env: NodeJS.ProcessEnv): boolean {
  return (!!env.CI && env.CI !== 'false' && env.CI !== '0') || !!env.GITHUB_ACTIONS || !!env.BUILD_NUMBER;
}

export interface MainEnvironment {
  cwd: string;
  /** Colour human output (cli.ts: stderr is a terminal and NO_COLOR is unset). */
  color: boolean;
  now?: Date;
  /** Environment variables (GWCTL_NGINX, PATH); none when absent. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where progress goes; absent when nobody is watching (no terminal, CI). */
  progress?: (message: string) => void;
  /** Standard input (gwctl explain reads log lines from it). */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

const VERSION = (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;

/** Parses argv and runs one command; never throws, never exits. */
export async function main(argv: string[], env: MainEnvironment): Promise<CommandResult> {
  let result: CommandResult | undefined;
  let out = '';
  let err = '';
  const program = new Command('gwctl')
    .description('Declarative, verified upstream TLS for NGINX/OpenResty gateways.')
    .version(VERSION, '-V, --version')
    .addOption(
      new Option(
        '--format <format>',
        'output format: human (stderr), json, github (workflow annotations), sarif (code scanning)',
      )
        .choices(FORMATS)
        .default('human'),
    )
    .addOption(
      new Option('--fail-severity <severity>', 'lowest severity that fails the run')
        .choices(['error', 'warning', 'info'])
        .default('error'),
    )
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage and examples)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => {
        out += s;
      },
      writeErr: (s) => {
        err += s;
      },
    });

  const ctx = (): CommandContext => {
    const o = program.opts<{ format: Format; failSeverity: Severity }>();
    return {
      format: o.format,
      failSeverity: o.failSeverity,
      color: env.color && o.format === 'human',
      cwd: env.cwd,
      now: env.now ?? new Date(),
      env: env.env ?? {},
      version: VERSION,
      progress: o.format === 'human' ? env.progress : undefined,
    };
  };
  const run = async (fn: () => Promise<CommandResult>) => {
    result = await fn();
  };

  program
    .command('validate')
    .description('check specs: schema, references, files, keys; writes nothing')
    .argument('<spec...>', 'gateway spec(s) (YAML)')
    .addHelpText(
      'after',
      '\nExamples:\n  gwctl validate gateway.yaml\n  gwctl validate gateway.yaml --format json\n  gwctl validate gateways/*.yaml --format github   # annotations in a GitHub Actions job',
    )
    .action((specs: string[]) =>
      run(async () => (await import('./commands/validate.js')).validateCommand(specs, ctx())),
    );

  program
    .command('verify-chain')
    .description("predict what nginx will do with each upstream's certificate chain")
    .argument('[spec...]', 'gateway spec(s) (YAML)')
    .option('--upstream <name>', 'only this upstream')
    .option('--at <time>', 'evaluate at this ISO-8601 time instead of now', parseTime)
    .addOption(warnDaysOption())
    .option('--chain <file>', 'PEM chain the upstream serves, leaf first (no spec needed)')
    .option('--ca <file>', 'PEM trust anchors (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option(
      '--crl <file>',
      "PEM CRLs, as proxy_ssl_crl: every certificate of the chain then needs its issuer's CRL (repeatable)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--name <dns>', 'server name nginx checks (proxy_ssl_name)', parseServerName)
    .option('--depth <n>', 'proxy_ssl_verify_depth, 0-2147483647 (default: nginx default 1)', parseDepth)
    .addHelpText(
      'after',
      '\nExamples:\n  gwctl verify-chain gateway.yaml\n  gwctl verify-chain gateway.yaml --upstream orders --at 2027-01-01T00:00:00Z\n  gwctl verify-chain --chain orders-chain.pem --ca root.pem --name orders.internal --depth 2',
    )
    .action(
      (
        specs: string[],
        o: {
          upstream?: string;
          at?: Date;
          warnDays: number;
          chain?: string;
          ca?: string[];
          crl?: string[];
          name?: string;
          depth?: number;
        },
      ) =>
        run(async () => {
          const spec = specs.length ? specs : undefined;
          const cmd = await import('./commands/verify-chain.js');
          if (o.chain !== undefined || o.ca !== undefined) {
            if (spec !== undefined) throw new FatalError('give either a spec or --chain/--ca, not both');
            if (o.chain === undefined || o.ca === undefined) throw new FatalError('--chain and --ca go together');
            return cmd.verifyChainFilesCommand(
              { chain: o.chain, ca: o.ca, crl: o.crl, name: o.name, depth: o.depth, at: o.at, warnDays: o.warnDays },
              ctx(),
            );
          }
          if (spec === undefined) throw new FatalError('missing spec (or --chain FILE --ca FILE)');
          if (o.name !== undefined || o.depth !== undefined || o.crl !== undefined)
            throw new FatalError(
              "--name, --depth and --crl go with --chain; in a spec they are tls.serverName, tls.verifyDepth and the trust store's crl",
            );
          return cmd.verifyChainSpecCommand(spec, { upstream: o.upstream, at: o.at, warnDays: o.warnDays }, ctx());
        }),
    );

  program
    .command('probe')
    .description('connect to upstreams as nginx will, take the chain they really serve, and verify it')
    .argument('<target>', 'HOST:PORT, or a gateway spec (YAML): every server of every TLS upstream')
    .option('--upstream <name>', 'spec form: only this upstream')
    .option(
      '--save [file]',
      "write the served chain as PEM: to FILE (HOST:PORT form), or to each upstream's presentedChain, else chains/UPSTREAM.pem beside the spec",
    )
    .option('--force', 'with --save: replace a file gwctl probe did not write (kept as FILE.bak)')
    .option(
      '--server-name <dns>',
      'HOST:PORT form: proxy_ssl_name, sent as SNI and checked (default: HOST)',
      parseServerName,
    )
    .option('--ca <file>', 'HOST:PORT form: PEM trust anchors (repeatable)', (v: string, prev: string[] = []) => [
      ...prev,
      v,
    ])
    .option('--depth <n>', 'HOST:PORT form: proxy_ssl_verify_depth (default 1)', parseDepth)
    .option('--client-cert <file>', 'HOST:PORT form: client certificate to present (leaf first)')
    .option('--client-key <file>', 'HOST:PORT form: its key')
    .option('--timeout <seconds>', 'give up on a server after this many seconds', parseCount, 10)
    .option('--at <time>', 'verify at this ISO-8601 time instead of now', parseTime)
    .addOption(warnDaysOption())
    .addHelpText(
      'after',
      '\nExamples:\n  gwctl probe gateway.yaml                       # every server of every TLS upstream\n  gwctl probe gateway.yaml --upstream orders --save\n  gwctl probe orders-1.internal:8443 --server-name orders.internal --ca root.pem --depth 2',
    )
    .action(
      (
        target: string,
        o: {
          upstream?: string;
          save?: boolean | string;
          force?: boolean;
          serverName?: string;
          ca?: string[];
          depth?: number;
          clientCert?: string;
          clientKey?: string;
          timeout: number;
          at?: Date;
          warnDays: number;
        },
      ) =>
        run(async () => {
          const cmd = await import('./commands/probe.js');
          if (o.timeout < 1) throw new FatalError('--timeout: expected at least 1 second');
          const common = { timeoutSeconds: o.timeout, at: o.at, warnDays: o.warnDays, force: o.force };
          if (cmd.isHostPort(target, env.cwd)) {
            if (o.upstream !== undefined) throw new FatalError('--upstream goes with a spec, not HOST:PORT');
            if (o.save === true) throw new FatalError('--save FILE: with HOST:PORT, name the file to write');
            return cmd.probeHostCommand(
              target,
              {
                ...common,
                serverName: o.serverName,
                ca: o.ca ?? [],
                depth: o.depth,
                clientCert: o.clientCert,
                clientKey: o.clientKey,
                save: o.save || undefined,
              },
              ctx(),
            );
          }
          if ([o.serverName, o.ca, o.depth, o.clientCert, o.clientKey].some((v) => v !== undefined))
            throw new FatalError(
              '--server-name, --ca, --depth, --client-cert and --client-key go with HOST:PORT; a spec gives them per upstream (tls.serverName, trustStore, verifyDepth, clientCertificate)',
            );
          if (typeof o.save === 'string')
            throw new FatalError(
              "--save takes no file with a spec: each upstream's chain goes to its presentedChain (else chains/UPSTREAM.pem)",
            );
          if (o.force && !o.save) throw new FatalError('--force goes with --save');
          return cmd.probeSpecCommand(target, { ...common, upstream: o.upstream, save: !!o.save }, ctx());
        }),
    );

  program
    .command('explain')
    .description('explain nginx error-log lines about upstream TLS: the cause, the likely reasons, the fix')
    .argument('[line]', 'one error-log line (else --log FILE, else lines on standard input)')
    .option('--log <file>', 'an nginx error log, read line by line (any size)')
    .option('--spec <spec>', 'the spec the gateway was rendered from: name the upstream, server and field to change')
    .addHelpText(
      'after',
      "\nExamples:\n  gwctl explain '... upstream SSL certificate verify error: (20:unable to get local issuer certificate) ...'\n  gwctl explain --log /var/log/nginx/error.log --spec gateway.yaml\n  tail -n 100 error.log | gwctl explain --spec gateway.yaml --format json",
    )
    .action((line: string | undefined, o: { log?: string; spec?: string }) =>
      run(async () =>
        (await import('./commands/explain.js')).explainCommand(
          { line, log: o.log, spec: o.spec, stdin: env.stdin as import('node:stream').Readable & { isTTY?: boolean } },
          ctx(),
        ),
      ),
    );

  program
    .command('render')
    .description('validate, verify, then write DIR/nginx.conf and the files it references')
    .argument('<spec>', 'gateway spec (YAML)')
    .requiredOption('--out <dir>', 'output directory (an nginx prefix)')
    .option('--check', 'write nothing; fail when DIR differs from what would be written')
    .option('--test', 'then run nginx -t (or openresty -t) on DIR, as `gwctl test` does')
    .option('--nginx <path>', 'with --test: the nginx or openresty binary (default: $GWCTL_NGINX, openresty, nginx)')
    .addOption(warnDaysOption())
    .addHelpText(
      'after',
      '\nExamples:\n  gwctl render gateway.yaml --out out/\n  gwctl render gateway.yaml --out out/ --test          # and check it with nginx -t\n  gwctl render gateway.yaml --out out/ --check   # in CI: fail on drift',
    )
    .action((spec: string, o: { out: string; check?: boolean; test?: boolean; nginx?: string; warnDays: number }) =>
      run(async () => {
        if (o.nginx !== undefined && !o.test) throw new FatalError('--nginx goes with --test');
        const test = o.test ? { nginx: o.nginx } : undefined;
        return (await import('./commands/render.js')).renderCommand(
          spec,
          { out: o.out, check: !!o.check, warnDays: o.warnDays, test },
          ctx(),
        );
      }),
    );

  program
    .command('test')
    .description(
      'check the keys a rendered output directory names (exists, mode, passphrase, certificate), then run nginx -t (or openresty -t); errors point back at the spec',
    )
    .argument('<dir>', 'the rendered output (an nginx prefix holding nginx.conf)')
    .option(
      '--nginx <path>',
      'the nginx or openresty binary (default: $GWCTL_NGINX, else openresty, else nginx on PATH, else /usr/local/openresty/bin/openresty, /usr/sbin/nginx)',
    )
    .option(
      '--spec <spec>',
      'the spec DIR was rendered from: nginx errors are also shown at the spec field they came from',
    )
    .addHelpText(
      'after',
      '\nExit codes: 0 nginx -t passed, 1 it failed, 2 no nginx binary (or DIR has no nginx.conf).\n\nExamples:\n  gwctl test out/\n  gwctl test out/ --spec gateway.yaml --format github\n  GWCTL_NGINX=/usr/local/openresty/bin/openresty gwctl test out/',
    )
    .action((dir: string, o: { nginx?: string; spec?: string }) =>
      run(async () => (await import('./commands/test.js')).testCommand(dir, { nginx: o.nginx, spec: o.spec }, ctx())),
    );

  program
    .command('import')
    .description("write a gateway spec from another gateway's configuration")
    .action(() => {
      throw new FatalError('name what to import: gwctl import kong KONG.yml --out DIR');
    })
    .command('kong')
    .description(
      "Kong's declarative config (kong.yml, decK's files; _format_version 1.1, 2.1, 3.0) to DIR/gateway.yaml and PEM files",
    )
    .argument('<kong-file>', 'the Kong declarative config (YAML or JSON)')
    .requiredOption('--out <dir>', 'a new or empty directory for gateway.yaml and its PEM files')
    .addOption(
      new Option(
        '--verify-default <on|off>',
        "Kong's global proxy_ssl_verify, for services that leave tls_verify unset",
      )
        .choices(['on', 'off'])
        .default('off'),
    )
    .option(
      '--verify-depth-default <n>',
      "Kong's global proxy_ssl_verify_depth, for services that leave tls_verify_depth unset (default: nginx's 1)",
      parseDepth,
      1,
    )
    .option(
      '--trusted-ca <file>',
      'the CA file kong.conf names in nginx_proxy_proxy_ssl_trusted_certificate, for services without ca_certificates',
    )
    .option('--listen <[address:]port>', "the gateway's listener (default: Kong's proxy port, 8000)")
    .addOption(
      new Option(
        '--flavor <flavor>',
        "runtime.flavor of the spec: openresty (Kong's own runtime) or stock nginx with the Lua module",
      )
        .choices(['openresty', 'nginx'])
        .default('openresty'),
    )
    .option(
      '--status-listen <[address:]port>',
      'the status listener health checks run through, when Kong has active checks (default: 127.0.0.1:8100)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  gwctl import kong kong.yml --out gateway/\n  gwctl import kong kong.yml --out gateway/ --verify-default on --trusted-ca /etc/kong/upstream-ca.pem\n\nSee docs/kong.md for what is mapped and what is not.',
    )
    .action(
      (
        file: string,
        o: {
          out: string;
          verifyDefault: 'on' | 'off';
          verifyDepthDefault: number;
          trustedCa?: string;
          listen?: string;
          statusListen?: string;
          flavor: 'openresty' | 'nginx';
        },
      ) =>
        run(async () => {
          const cmd = await import('./commands/import.js');
          return cmd.importKongCommand(
            file,
            {
              out: o.out,
              verifyDefault: o.verifyDefault === 'on',
              verifyDepthDefault: o.verifyDepthDefault,
              trustedCa: o.trustedCa,
              listen: cmd.parseListen(o.listen, '--listen') ?? { port: 8000 },
              statusListen: cmd.parseListen(o.statusListen, '--status-listen'),
              flavor: o.flavor,
            },
            ctx(),
          );
        }),
    );

  program.addHelpText(
    'after',
    [
      '',
      'Exit codes: 0 all good; 1 findings at or above --fail-severity; 2 gwctl could not do its job.',
      'Environment: NO_COLOR disables colour; GWCTL_NGINX names the nginx binary for test and render --test.',
      '',
      'Examples:',
      '  gwctl validate gateway.yaml',
      '  gwctl verify-chain gateway.yaml --format json',
      '  gwctl render gateway.yaml --out out/ --test',
      '  gwctl render gateway.yaml --out out/ --check --format sarif > gwctl.sarif',
    ].join('\n'),
  );

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // `gwctl` alone prints the help to stderr and is a usage error; `gwctl help`, --help and --version are not.
      const ok =
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version' ||
        (e.code === 'commander.help' && argv.length > 0);
      if (ok) return { exitCode: 0, stdout: out, stderr: escapeUnsafeLines(err) };
      const usage =
        err
          .split('\n')
          .find((l) => l.trim() !== '')
          ?.replace(/^error: /, '') ?? 'bad arguments';
      // commander quotes the offending argument as given.
      return { ...(await stopped(argv, env, usage)), stderr: escapeUnsafeLines(err) };
    }
    if (e instanceof FatalError) return stopped(argv, env, e.message);
    return stopped(
      argv,
      env,
      `internal error: ${(e as Error).message}${env.env?.GWCTL_DEBUG ? `\n${(e as Error).stack}` : ''}`,
    );
  }
  if (!result) {
    return {
      exitCode: argv.length === 0 ? 2 : 0,
      stdout: out,
      stderr: argv.length === 0 ? program.helpInformation() : err,
    };
  }
  return { ...result, stdout: out + result.stdout, stderr: err + result.stderr };
}

/**
 * Exit 2 before any command reported: still one document in the requested format on stdout
 * (a pipeline parsing JSON or uploading SARIF must not get empty input). The format is read from
 * argv itself, since parsing may have stopped before it.
 */
async function stopped(argv: readonly string[], env: MainEnvironment, message: string): Promise<CommandResult> {
  const { fatalResult } = await import('./commands/context.js');
  const command = argv.find((a) => COMMANDS.includes(a));
  return fatalResult({ format: requestedFormat(argv), cwd: env.cwd, version: VERSION, color: false }, message, command);
}

const COMMANDS = ['validate', 'verify-chain', 'render', 'test', 'import', 'probe', 'explain'];

function requestedFormat(argv: readonly string[]): Format {
  let format: Format = 'human';
  argv.forEach((a, i) => {
    const value = a.startsWith('--format=') ? a.slice('--format='.length) : a === '--format' ? argv[i + 1] : undefined;
    if (value !== undefined && (FORMATS as readonly string[]).includes(value)) format = value as Format;
  });
  return format;
}
