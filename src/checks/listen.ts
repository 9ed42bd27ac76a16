import { isListenAddress, numericHostProblem, unixSocketProblem } from '../text/addresses.js';
import { show } from '../text/show.js';
import type { Check, Finding } from './types.js';

export const listenBadAddress: Check = {
  code: 'listen.bad-address',
  severity: 'error',
  scope: 'listen',
  needs: 'spec',
  summary: 'A listener address is not an IP address or host name',
  help: 'Write an IPv4 address, an [IPv6] address in brackets, or a host name; leave `address` out to listen on every address.',
  run: ({ spec }) =>
    spec.listen.flatMap((l, i): Finding[] =>
      l.address !== undefined && !isListenAddress(l.address)
        ? [
            {
              path: ['listen', i, 'address'],
              message: `${show(l.address)} ${unixSocketProblem(l.address) ?? numericHostProblem(l.address) ?? 'is not an IPv4 address, [IPv6] address or host name'}`,
            },
          ]
        : [],
    ),
};

export const listenDuplicate: Check = {
  code: 'listen.duplicate',
  severity: 'error',
  scope: 'listen',
  needs: 'spec',
  summary: 'Two listeners use the same address and port',
  help: 'nginx cannot bind one address and port twice ("duplicate listen options"): remove one listener or change its port.',
  run: ({ spec }) => {
    const out: Finding[] = [];
    const ports = new Map<string, number>();
    spec.listen.forEach((l, i) => {
      const key = `${l.address ?? '*'}:${l.port}`;
      if (ports.has(key))
        out.push({
          path: ['listen', i, 'port'],
          message: `port ${l.port} is already listened on by listen[${ports.get(key)}]`,
        });
      ports.set(key, i);
    });
    return out;
  },
};
