import { validateSchema } from '../../validate/schema.js';

/**
 * Spec fields the mapping uses that arrived in the contract's second wave: each is emitted only
 * when this gwctl's schema accepts it, and otherwise listed as "not mapped yet", so the import
 * never writes a spec that does not validate.
 */
export interface Capabilities {
  stripPath: boolean;
  buffering: boolean;
  timeouts: boolean;
  healthCheck: boolean;
  successStatuses: boolean;
  retry: boolean;
}

const BASE = { version: 1, listen: [{ port: 8000 }], upstreams: { u: { servers: ['a.internal:80'] } } };

const HEALTH = { path: '/', interval: '5s', timeout: '1s', healthyAfter: 1, unhealthyAfter: 1 };
/** Health checks run through the status listener (issue 10), so a spec with one has the other. */
const STATUS = { port: 8100, address: '127.0.0.1' };

function accepts(spec: unknown): boolean {
  return validateSchema(spec).length === 0;
}

export function capabilities(): Capabilities {
  const route = (extra: object) => ({ ...BASE, routes: [{ path: '/', upstream: 'u', ...extra }] });
  const upstream = (extra: object) => ({ ...BASE, upstreams: { u: { servers: ['a.internal:80'], ...extra } } });
  return {
    stripPath: accepts(route({ stripPath: true })),
    buffering: accepts(route({ buffering: { request: false, response: false } })),
    timeouts: accepts(upstream({ timeouts: { connect: '5s', read: '1500ms', send: '60s' } })),
    healthCheck: accepts({ ...upstream({ healthCheck: HEALTH }), status: STATUS }),
    successStatuses: accepts({
      ...upstream({ healthCheck: { ...HEALTH, successStatuses: [200, 302] } }),
      status: STATUS,
    }),
    retry: accepts(upstream({ retry: { tries: 6, nonIdempotent: 'unsent' } })),
  };
}
