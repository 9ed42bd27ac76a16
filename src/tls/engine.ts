// Facade over the chain engine (src/tls/chain/): the rest of gwctl imports verifyChain from here.
import { verifyChain as engineVerifyChain, type ChainEngineRequest } from './chain/index.js';
import type { ChainVerdict } from './verdict.js';

export type EngineRequest = ChainEngineRequest;

export function verifyChain(req: EngineRequest): ChainVerdict {
  return engineVerifyChain(req);
}
