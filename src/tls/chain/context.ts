import { V } from './errors.js';
import type { VerifyContext } from './types.js';

/** verify_cb_cert(): record the error (V.OK re-reports the current one); nginx's callback always continues. */
export function report(ctx: VerifyContext, code: number, depth: number): void {
  if (code !== V.OK) ctx.error = code;
  ctx.seen.push({ code: ctx.error, depth });
}

/** Raised where X509_verify_cert() gives up without the callback (internal errors). */
export class VerifyAbort extends Error {
  constructor(
    readonly code: number,
    why: string,
  ) {
    super(why);
  }
}
