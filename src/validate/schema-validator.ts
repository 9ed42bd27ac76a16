import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Options, ValidateFunction } from 'ajv';
import { packagePath } from '../package-root.js';

/**
 * The spec schema's validator. Compiling the schema with ajv costs more than everything else
 * `gwctl validate` does (see docs/startup.md), so the build writes a standalone validator
 * (scripts/build-validator.mjs) next to this module; it is used when it was generated from this
 * very schema, and ajv compiles one at run time otherwise (a plain `tsc` build, an edited schema).
 */
const require = createRequire(import.meta.url);

/** One set of options for both paths, so both report the same errors. */
export const AJV_OPTIONS: Options = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true };
export const PRECOMPILED_FILE = 'gateway-schema.validate.cjs';

export function schemaDigest(schema: object): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('hex');
}

export function loadValidator(schema: object): { validate: ValidateFunction; precompiled: boolean } {
  const pre = loadPrecompiled(schema, packagePath('dist', 'src', 'validate', PRECOMPILED_FILE));
  return pre ? { validate: pre, precompiled: true } : { validate: compileValidator(schema), precompiled: false };
}

/** A standalone validator module, or undefined when it is missing or was built from another schema. */
export function loadPrecompiled(schema: object, file: string): ValidateFunction | undefined {
  let mod: (ValidateFunction & { schemaSha256?: string }) | undefined;
  try {
    mod = require(file) as ValidateFunction & { schemaSha256?: string };
  } catch {
    return undefined;
  }
  return typeof mod === 'function' && mod.schemaSha256 === schemaDigest(schema) ? mod : undefined;
}

export function compileValidator(schema: object): ValidateFunction {
  return newAjv({}).compile(schema);
}

/** CommonJS source of a standalone validator for `schema`, stamped with the schema's digest. */
export function standaloneSource(schema: object): string {
  const standalone = (require('ajv/dist/standalone') as { default: (ajv: unknown, v: ValidateFunction) => string })
    .default;
  const ajv = newAjv({ code: { source: true } });
  const source = standalone(ajv, ajv.compile(schema));
  return `${source}\nmodule.exports.schemaSha256 = ${JSON.stringify(schemaDigest(schema))};\n`;
}

function newAjv(extra: Options) {
  // Loaded only here: the precompiled path never loads ajv's compiler.
  const Ajv = (require('ajv') as typeof import('ajv')).default;
  return new Ajv({ ...AJV_OPTIONS, ...extra });
}
