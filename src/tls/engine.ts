// Facade over the chain engine (src/tls/chain/); TEMPORARY stub until the engine lands.
import type { ChainRequest, ChainVerdict } from './verdict.js';

export type EngineRequest = ChainRequest & { trustStoreName?: string; warnDays?: number };

export function verifyChain(_req: EngineRequest): ChainVerdict {
  return { ok: true, chain: [], requiredDepth: 1, nginx: null, findings: [] };
}
