import { lstatSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join, resolve, sep } from 'node:path';
import { packagePath } from '../package-root.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { DEFAULT_MODULES_PATH } from '../plan/plan.js';
import { MODULE_FILES } from '../tls/material.js';
import { show } from '../text/show.js';
import { ConfReadError, readNginxConf, type ConfStatement } from './nginx-conf-reader.js';

/**
 * What `nginx -t` may be given: `gwctl test DIR`, `render --test` and `render --check --test` run
 * nginx on an nginx.conf a pull request controls (DIR committed to the repository, or rendered
 * from a spec it changed). Loading a module runs its code, and some directives run code or open
 * files while nginx reads its configuration. So before nginx runs, the configuration is read
 * (nginx-conf-reader.ts) and refused unless:
 *
 * - every directive is one gwctl's templates write (the list is read from templates/, so it
 *   follows them); `include` is refused everywhere, map blocks included;
 * - every `load_module` names one of the modules gwctl loads (MODULE_FILES) inside a trusted
 *   modules directory: DEFAULT_MODULES_PATH or one the person running gwctl names in
 *   GWCTL_TRUSTED_MODULES (never the spec's runtime.modulesPath, which the pull request
 *   chooses), resolved through symlinks, a regular file not writable by group or others;
 * - no key is loaded through an OpenSSL engine ("engine:..."), which loads a shared object;
 * - logs, pid and temp paths stay inside the prefix (nginx -t creates the log files).
 */

/** The environment variable naming more trusted module directories (":"-separated, absolute). */
export const TRUSTED_MODULES_ENV = 'GWCTL_TRUSTED_MODULES';

const TEMPLATES = packagePath('templates') + sep;
const PATH_DIRECTIVES = new Set(['pid', 'error_log', 'access_log', 'client_body_temp_path', 'proxy_temp_path']);
const KEY_DIRECTIVES = new Set([
  'ssl_certificate_key',
  'proxy_ssl_certificate_key',
  'ssl_certificate',
  'proxy_ssl_certificate',
]);
/** Blocks whose entries are data, not directives (but where nginx still honours `include`). */
const DATA_BLOCKS = new Set(['map', 'types']);

let templateDirectives: Set<string> | undefined;

/** Directive names gwctl's templates write (outside the Lua code of *_by_lua_block blocks). */
export function renderedDirectives(): Set<string> {
  if (templateDirectives) return templateDirectives;
  const names = new Set<string>();
  const files = ['nginx.conf.hbs', ...readdirSync(join(TEMPLATES, 'partials')).map((f) => `partials/${f}`)];
  for (const f of files) {
    let luaEnd: string | undefined;
    for (const raw of readFileSync(join(TEMPLATES, f), 'utf8').split('\n')) {
      if (luaEnd !== undefined) {
        if (raw === luaEnd) luaEnd = undefined;
        continue;
      }
      const m = /^(\s*)([a-z_][a-z0-9_]*)(?=[\s;{]|$)/.exec(raw);
      if (!m) continue;
      names.add(m[2]);
      if (m[2].endsWith('_by_lua_block') && !raw.trimEnd().endsWith('}')) luaEnd = `${m[1]}}`;
    }
  }
  names.delete('include');
  templateDirectives = names;
  return names;
}

export interface GuardOptions {
  /** The prefix nginx -t gets (DIR, or its staged copy). */
  dir: string;
  /** The file named in findings (DIR/nginx.conf as the user knows it). */
  confShown: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** Findings that stop nginx -t from running; empty when the configuration may be tested. */
export function guardNginxConf(text: string, o: GuardOptions): Diagnostic[] {
  const at = (code: string, message: string, line: number): Diagnostic => ({
    ...error(code, message),
    file: o.confShown,
    line,
    column: 1,
  });
  let statements: ConfStatement[];
  try {
    statements = readNginxConf(text);
  } catch (e) {
    if (!(e instanceof ConfReadError)) throw e;
    return [
      at(
        'test.unreadable-conf',
        `gwctl cannot read this nginx.conf the way nginx would (${e.message}), so it does not let nginx -t load it`,
        e.line,
      ),
    ];
  }
  const allowed = renderedDirectives();
  const trusted = trustedModuleDirs(o.env);
  const out: Diagnostic[] = [];
  const visit = (list: ConfStatement[], parent: string | undefined) => {
    for (const s of list) {
      const name = s.words[0];
      if (parent !== undefined && DATA_BLOCKS.has(parent)) {
        if (name === 'include')
          out.push(
            at(
              'test.untrusted-directive',
              `"include" inside ${parent}{} would read another file: gwctl never writes it`,
              s.line,
            ),
          );
        continue;
      }
      if (!allowed.has(name)) {
        out.push(
          at(
            'test.untrusted-directive',
            `${show(name)} is not a directive gwctl writes; nginx -t runs on configuration a pull request may control, so gwctl only lets it read what gwctl renders (render this directory again with gwctl render)`,
            s.line,
          ),
        );
        continue;
      }
      if (name === 'load_module')
        out.push(...moduleProblems(s, o.dir, trusted).map((m) => at('test.untrusted-module', m, s.line)));
      if (KEY_DIRECTIVES.has(name) && /^engine:/i.test(s.words[1] ?? ''))
        out.push(
          at(
            'test.untrusted-directive',
            `${name} loads its key through an OpenSSL engine, which loads a shared object: gwctl never writes that`,
            s.line,
          ),
        );
      if (PATH_DIRECTIVES.has(name) && s.words[1] !== undefined && !insidePrefix(s.words[1]))
        out.push(
          at(
            'test.untrusted-directive',
            `${name} ${show(s.words[1])} is outside the prefix; nginx -t would create or open it: gwctl keeps logs, pid and temp files in DIR`,
            s.line,
          ),
        );
      if (s.block) visit(s.block, name);
    }
  };
  visit(statements, undefined);
  return out;
}

function insidePrefix(p: string): boolean {
  return !isAbsolute(p) && !p.split('/').includes('..');
}

/** DEFAULT_MODULES_PATH and the directories GWCTL_TRUSTED_MODULES names, real paths. */
export function trustedModuleDirs(env: Readonly<Record<string, string | undefined>>): string[] {
  const dirs = [DEFAULT_MODULES_PATH, ...(env[TRUSTED_MODULES_ENV] ?? '').split(':').filter((d) => isAbsolute(d))];
  const out: string[] = [];
  for (const d of dirs) {
    try {
      out.push(realpathSync(d));
    } catch {
      /* absent here: trusts nothing */
    }
  }
  return out;
}

function moduleProblems(s: ConfStatement, prefix: string, trusted: string[]): string[] {
  const declared = s.words[1] ?? '';
  // ngx_load_module resolves a relative path against the prefix.
  const path = resolve(prefix, declared);
  if (!MODULE_FILES.includes(basename(path)))
    return [
      `load_module ${show(declared)}: gwctl only loads ${MODULE_FILES.join(' and ')}; loading a module runs its code, so nginx -t does not load others`,
    ];
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return [`load_module ${show(declared)}: no such file on this machine`];
  }
  const where = trusted.length ? trusted.join(', ') : DEFAULT_MODULES_PATH;
  if (!trusted.some((d) => real.startsWith(d.endsWith(sep) ? d : d + sep)))
    return [
      `load_module ${show(declared)} is ${show(real)}, outside the trusted module directories (${where}): loading a module runs its code, and this path comes from the spec or a committed nginx.conf, which a pull request controls; install the module there, or, if you (not the pull request) trust that directory, name it in ${TRUSTED_MODULES_ENV}`,
    ];
  const st = lstatSync(real);
  if (!st.isFile()) return [`load_module ${show(declared)}: ${show(real)} is not a regular file`];
  if (st.mode & 0o022)
    return [
      `load_module ${show(declared)}: ${show(real)} is writable by group or others, so anyone could change the code nginx -t would run; chmod go-w it`,
    ];
  return [];
}
