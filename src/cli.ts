import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { FatalError, type Severity } from './diagnostics/diagnostic.js';
import type { CommandContext, CommandResult, Format } from './commands/context.js';

/** The only module that touches the process: argv in, stdout/stderr and an exit code out. */
export function runCli(): void {
  const isTty = Boolean(process.stdout.isTTY);
  const env = process.env;
  main(process.argv.slice(2), { cwd: process.cwd(), color: isTty && !env.NO_COLOR && env.TERM !== 'dumb' })
    .then((r) => {
      if (r.stdout) process.stdout.write(r.stdout);
      if (r.stderr) process.stderr.write(r.stderr);
      process.exitCode = r.exitCode;
    });
}

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const DEFAULT_WARN_DAYS = 30;

/** Parses argv and runs one command; never throws, never exits. */
export async function main(argv: string[], env: { cwd: string; color: boolean; now?: Date }): Promise<CommandResult> {
  let result: CommandResult | undefined;
  let out = '';
  let err = '';
  const program = new Command('gwctl')
    .description('Declarative, verified upstream TLS for NGINX/OpenResty gateways.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'))
    .addOption(new Option('--fail-severity <severity>', 'lowest severity that fails the run').choices(['error', 'warning', 'info']).default('error'))
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => { out += s; }, writeErr: (s) => { err += s; } });

  const ctx = (): CommandContext => {
    const o = program.opts<{ format: Format; failSeverity: Severity }>();
    return { format: o.format, failSeverity: o.failSeverity, color: env.color && o.format === 'human', cwd: env.cwd, now: env.now ?? new Date() };
  };
  const run = async (fn: () => Promise<CommandResult>) => { result = await fn(); };

  program.command('validate')
    .description('check a spec: schema, references, files, keys; writes nothing')
    .argument('<spec>', 'gateway spec (YAML)')
    .addHelpText('after', '\nExamples:\n  gwctl validate gateway.yaml\n  gwctl validate gateway.yaml --format json')
    .action((spec: string) => run(async () => (await import('./commands/validate.js')).validateCommand(spec, ctx())));

  program.command('verify-chain')
    .description("predict what nginx will do with each upstream's certificate chain")
    .argument('[spec]', 'gateway spec (YAML)')
    .option('--upstream <name>', 'only this upstream')
    .option('--at <time>', 'evaluate at this ISO-8601 time instead of now', parseTime)
    .option('--warn-days <days>', 'warn about certificates expiring within this many days', parseCount, DEFAULT_WARN_DAYS)
    .option('--chain <file>', 'PEM chain the upstream serves, leaf first (no spec needed)')
    .option('--ca <file>', 'PEM trust anchors (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--name <dns>', 'server name nginx checks (proxy_ssl_name)')
    .option('--depth <n>', 'proxy_ssl_verify_depth (default: nginx default 1)', parseCount)
    .addHelpText('after', '\nExamples:\n  gwctl verify-chain gateway.yaml\n  gwctl verify-chain gateway.yaml --upstream orders --at 2027-01-01T00:00:00Z\n  gwctl verify-chain --chain orders-chain.pem --ca root.pem --name orders.internal --depth 2')
    .action((spec: string | undefined, o: { upstream?: string; at?: Date; warnDays: number; chain?: string; ca?: string[]; name?: string; depth?: number }) => run(async () => {
      const cmd = await import('./commands/verify-chain.js');
      if (o.chain !== undefined || o.ca !== undefined) {
        if (spec !== undefined) throw new FatalError('give either a spec or --chain/--ca, not both');
        if (o.chain === undefined || o.ca === undefined) throw new FatalError('--chain and --ca go together');
        return cmd.verifyChainFilesCommand({ chain: o.chain, ca: o.ca, name: o.name, depth: o.depth, at: o.at, warnDays: o.warnDays }, ctx());
      }
      if (spec === undefined) throw new FatalError('missing spec (or --chain FILE --ca FILE)');
      if (o.name !== undefined || o.depth !== undefined) throw new FatalError('--name and --depth go with --chain; in a spec they are tls.serverName and tls.verifyDepth');
      return cmd.verifyChainSpecCommand(spec, { upstream: o.upstream, at: o.at, warnDays: o.warnDays }, ctx());
    }));

  program.command('render')
    .description('validate, verify, then write DIR/nginx.conf and the files it references')
    .argument('<spec>', 'gateway spec (YAML)')
    .requiredOption('--out <dir>', 'output directory (an nginx prefix)')
    .option('--check', 'write nothing; fail when DIR differs from what would be written')
    .option('--warn-days <days>', 'warn about certificates expiring within this many days', parseCount, DEFAULT_WARN_DAYS)
    .addHelpText('after', '\nExamples:\n  gwctl render gateway.yaml --out out/\n  gwctl render gateway.yaml --out out/ --check   # in CI: fail on drift')
    .action((spec: string, o: { out: string; check?: boolean; warnDays: number }) => run(async () => (await import('./commands/render.js')).renderCommand(spec, { out: o.out, check: !!o.check, warnDays: o.warnDays }, ctx())));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      const ok = e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help';
      return { exitCode: ok ? 0 : 2, stdout: out, stderr: err };
    }
    if (e instanceof FatalError) return { exitCode: 2, stdout: '', stderr: `gwctl: ${e.message}\n` };
    return { exitCode: 2, stdout: '', stderr: `gwctl: internal error: ${(e as Error).message}\n` };
  }
  if (!result) {
    return { exitCode: argv.length === 0 ? 2 : 0, stdout: out, stderr: argv.length === 0 ? program.helpInformation() : err };
  }
  return { ...result, stdout: out + result.stdout, stderr: err + result.stderr };
}

function parseTime(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO-8601 time such as 2027-01-31T00:00:00Z');
  return d;
}

function parseCount(v: string): number {
  if (!/^\d{1,6}$/.test(v)) throw new InvalidArgumentError('expected a whole number');
  return Number(v);
}
