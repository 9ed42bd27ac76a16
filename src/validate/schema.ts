import { createRequire } from 'node:module';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { error, type Diagnostic, type SpecPath } from '../diagnostics/diagnostic.js';
import { suggest } from './suggest.js';

const require = createRequire(import.meta.url);
export const SCHEMA = require('../../../schemas/gateway.schema.json') as Record<string, unknown>;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  if (!compiled) {
    const ajv = new (Ajv as unknown as typeof Ajv.default)({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
    compiled = ajv.compile(SCHEMA);
  }
  return compiled;
}

/** Checks the spec against the JSON Schema; returns diagnostics carrying spec paths. */
export function validateSchema(data: unknown): Diagnostic[] {
  const validate = validator();
  if (validate(data)) return [];
  return dedupe(simplify(validate.errors ?? []).map(toDiagnostic));
}

function pathOf(instancePath: string): (string | number)[] {
  if (!instancePath) return [];
  return instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** oneOf failures drown the real cause; keep the errors of the branch that got furthest. */
function simplify(errors: ErrorObject[]): ErrorObject[] {
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  return errors.filter((e) => {
    if (e.keyword === 'oneOf') return false;
    if (!oneOfPaths.has(e.instancePath)) return true;
    // Under a string-or-object union, a "must be string"/"must be object" type error is noise.
    return e.keyword !== 'type';
  }).filter((e, _i, all) => e.keyword !== 'type' || !all.some((o) => o !== e && o.instancePath === e.instancePath && o.keyword !== 'type')) ;
}

function toDiagnostic(e: ErrorObject): Diagnostic {
  const path: SpecPath = pathOf(e.instancePath);
  const where = path.length ? String(path[path.length - 1]) : 'the spec';
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      const allowed = allowedKeys(e);
      const hint = suggest(key, allowed);
      return error('schema.unknown-key', `unknown key "${key}"${hint ? `: did you mean "${hint}"?` : allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`, [...path, key]);
    }
    case 'required':
      return error('schema.missing-key', `${where} needs "${String(p.missingProperty)}"`, path);
    case 'propertyNames':
      return error('schema.bad-name', `"${String(p.propertyName)}" is not a valid name: use letters, digits, _ . - (at most 64, starting with a letter or digit)`, [...path, String(p.propertyName)]);
    case 'enum':
      return error('schema.bad-value', `${where} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`, path);
    case 'const':
      return error('schema.bad-value', `${where} must be ${JSON.stringify(p.allowedValue)}`, path);
    case 'type':
      return error('schema.bad-type', `${where} must be ${article(String(p.type))}`, path);
    case 'pattern':
      return error('schema.bad-value', `${where} has characters or a form that is not allowed here`, path);
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return error('schema.out-of-range', `${where} must be ${e.keyword.includes('inimum') ? 'at least' : 'at most'} ${String(p.limit)}`, path);
    case 'maxLength': case 'minLength':
      return error('schema.bad-length', `${where} must be ${e.keyword === 'maxLength' ? 'at most' : 'at least'} ${String(p.limit)} characters long`, path);
    case 'maxItems': case 'minItems':
      return error('schema.bad-length', `${where} must have ${e.keyword === 'maxItems' ? 'at most' : 'at least'} ${String(p.limit)} item(s)`, path);
    case 'uniqueItems':
      return error('schema.duplicate-item', `${where} lists the same value twice`, path);
    default:
      return error('schema.invalid', `${where} ${e.message ?? 'is invalid'}`, path);
  }
}

function allowedKeys(e: ErrorObject): string[] {
  const props = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function article(type: string): string {
  const t = type.split(',').join(' or ');
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.code}|${d.path.join('/')}|${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
