import { readFileSync } from 'node:fs';
import { packagePath } from '../package-root.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { loadValidator } from './schema-validator.js';
import { show } from '../text/show.js';
import { suggest } from './suggest.js';

export const SCHEMA = JSON.parse(readFileSync(packagePath('schemas', 'gateway.schema.json'), 'utf8')) as Record<
  string,
  unknown
>;

/** A hostile document can fail thousands of times; the first ones say enough. */
export const MAX_SCHEMA_DIAGNOSTICS = 50;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // The build's precompiled validator when it matches SCHEMA; ajv compiles one otherwise.
  if (!compiled) compiled = loadValidator(SCHEMA).validate;
  return compiled;
}

/** Checks the spec against the JSON Schema; returns diagnostics carrying spec paths. */
export function validateSchema(data: unknown): Diagnostic[] {
  const validate = validator();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // The first distinct diagnostics, in ajv's order; the rest are not even worded.
  const found: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const e of simplify(errors)) {
    const d = toDiagnostic(e);
    const k = `${d.code}|${d.path.join('/')}|${d.message}`;
    if (seen.has(k)) continue;
    seen.add(k);
    if (found.push(d) === MAX_SCHEMA_DIAGNOSTICS) break;
  }
  // An invalid spec always gets a finding, whatever simplify() made of ajv's errors.
  if (!found.length) found.push(error('schema.invalid', 'the spec does not match the schema', []));
  return found;
}

/** "must be a string or an object", from the types a oneOf's branches accept. */
function unionTypeDiagnostic(e: ErrorObject): Diagnostic {
  const path = pathOf(e.instancePath);
  const branches = (e.schema as { type?: string; $ref?: string }[] | undefined) ?? [];
  const definitions = (SCHEMA.definitions ?? {}) as Record<string, { type?: string }>;
  const typeOf = (b: { type?: string; $ref?: string }) =>
    b.type ??
    (b.$ref?.startsWith('#/definitions/') ? definitions[b.$ref.slice('#/definitions/'.length)]?.type : undefined);
  const types = [...new Set(branches.map(typeOf).filter((t): t is string => !!t))];
  return error(
    'schema.bad-type',
    `${path.length ? field(path) : 'the spec'} must be ${types.length ? types.map(article).join(' or ') : 'something else'}`,
    path,
  );
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** oneOf failures drown the real cause; keep the errors of the branch that got furthest. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  // A bad map key gives a "propertyNames" error plus the failed key pattern at the map itself.
  const badNames = new Set(errors.filter((e) => e.keyword === 'propertyNames').map((e) => e.instancePath));
  // A union's own error says only "no branch matched": it stays when nothing more precise does,
  // i.e. every branch failed on its type alone (a list where a string or an object belongs).
  // `explained`: every path at or above an error more precise than that (one pass, not one per
  // union error: a spec of 500,000 bad routes took minutes).
  const explained = new Set<string>();
  for (const o of errors) {
    if (o.keyword === 'oneOf' || o.keyword === 'type') continue;
    explained.add('');
    for (let i = o.instancePath.indexOf('/', 1); i >= 0; i = o.instancePath.indexOf('/', i + 1))
      explained.add(o.instancePath.slice(0, i));
    explained.add(o.instancePath);
  }
  const kept = errors.filter((e) => {
    if (e.keyword === 'oneOf') return !explained.has(e.instancePath);
    if (
      badNames.has(e.instancePath) &&
      e.keyword !== 'propertyNames' &&
      (e as { propertyName?: unknown }).propertyName !== undefined
    )
      return false;
    if (!oneOfPaths.has(e.instancePath)) return true;
    // Under a string-or-object union, a "must be string"/"must be object" type error is noise.
    return e.keyword !== 'type';
  });
  // A type error where something more precise was found at the same place says less.
  const precise = new Set(kept.filter((o) => o.keyword !== 'type').map((o) => o.instancePath));
  return kept.filter((e) => e.keyword !== 'type' || !precise.has(e.instancePath));
}

function toDiagnostic(e: ErrorObject): Diagnostic {
  const path: SpecPath = pathOf(e.instancePath);
  const where = path.length ? field(path) : 'the spec';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = allowedKeys(e);
      const hint = suggest(key, allowed);
      return error(
        'schema.unknown-key',
        `unknown key ${show(key)}${hint ? `: did you mean "${hint}"?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`,
        [...path, key],
      );
    }
    case 'oneOf':
      return unionTypeDiagnostic(e);
    case 'required':
      return error('schema.missing-key', `${where} needs "${String(p.missingProperty)}"`, path);
    case 'propertyNames':
      return error(
        'schema.bad-name',
        `${show(String(p.propertyName))} is not a valid name: use letters, digits, _ . - (at most 64, starting with a letter or digit)`,
        [...path, String(p.propertyName)],
      );
    case 'enum':
      return error(
        'schema.bad-value',
        `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
        path,
      );
    case 'const':
      return error('schema.bad-value', `${where} must be ${JSON.stringify(p.allowedValue)}`, path);
    case 'type':
      // A duration, size or version of the wrong type (read: 0, nginxVersion: 1.25 read by YAML as
      // a number) gets the forms that work rather than "must be a string".
      return error('schema.bad-type', `${where} ${patternHint(e) ?? `must be ${article(String(p.type))}`}`, path);
    case 'pattern':
      return error(
        'schema.bad-value',
        `${where} ${patternHint(e) ?? 'has characters or a form that is not allowed here'}`,
        path,
      );
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return error(
        'schema.out-of-range',
        `${where} must be ${e.keyword.includes('inimum') ? 'at least' : 'at most'} ${String(p.limit)}`,
        path,
      );
    case 'maxLength':
    case 'minLength':
      return error(
        'schema.bad-length',
        `${where} must be ${e.keyword === 'maxLength' ? 'at most' : 'at least'} ${String(p.limit)} characters long`,
        path,
      );
    case 'maxItems':
    case 'minItems':
      return error(
        'schema.bad-length',
        `${where} must have ${e.keyword === 'maxItems' ? 'at most' : 'at least'} ${String(p.limit)} item(s)`,
        path,
      );
    case 'uniqueItems':
      return error('schema.duplicate-item', `${where} lists the same value twice`, path);
    default:
      return error('schema.invalid', `${where} ${e.message ?? 'is invalid'}`, path);
  }
}

/** The field a message names: its key, or `servers[2]` for an array item; odd keys escaped. */
function field(path: SpecPath): string {
  const last = path[path.length - 1];
  if (typeof last === 'number') {
    const parent = path[path.length - 2];
    return `${parent === undefined ? '' : typeof parent === 'string' && /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(parent) ? parent : show(parent)}[${last}]`;
  }
  return /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/.test(last) ? last : show(last);
}

/** Fields whose pattern stands for a unit of measure say which forms they take. */
const PATTERN_HINTS: Record<string, string> = {
  duration: 'must be a duration greater than zero: a number and ms, s, m or h (e.g. 500ms, 5s, 2m)',
  size: 'must be a size: bytes, or a number and k, m or g (e.g. 512k, 10m, 2g); 0 = no limit',
  hostPath:
    'must be an absolute path: where the file lives on the gateway host, which nginx.conf names as written (e.g. /etc/gateway/keys/client.key)',
  failTimeout: 'must be seconds (an integer) or a duration greater than zero: a number and s, m or h (e.g. 30s)',
  nginxVersion:
    'must be the nginx core version as three numbers, e.g. 1.22.1: `nginx -v` tells (OpenResty: the first three numbers of `openresty -v`)',
};

function patternHint(e: ErrorObject): string | undefined {
  const definition = /^#\/definitions\/([A-Za-z]+)\//.exec(e.schemaPath)?.[1];
  const key = e.instancePath.split('/').pop() ?? '';
  return PATTERN_HINTS[definition ?? ''] ?? PATTERN_HINTS[key];
}

function allowedKeys(e: ErrorObject): string[] {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function article(type: string): string {
  const t = type.split(',').join(' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}
