import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6, isListenAddress, parseHostPort } from '../../src/validate/addresses.js';

test('IPv6 addresses are accepted exactly when nginx accepts them (measured with nginx -t on 1.22.1)', () => {
  for (const ok of ['::1', '::', '1::8', 'fe80::1', '::ffff:1.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:7:8', '::0:0:0:0:0:0:0', '::0:0:0:0:0.0.0.0', '1:2:3:4:5:6:1.2.3.4']) assert.ok(isIPv6(ok), ok);
  // Node's isIP accepts these; nginx refuses them ("invalid IPv6 address"), or they are no IPv6 at all.
  for (const bad of ['0:0:0:0:0:0:0::', '1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', '1.2.3.4', '', ':::']) assert.ok(!isIPv6(bad), bad);
  assert.equal(parseHostPort('[0:0:0:0:0:0:0::]:443'), undefined);
  assert.equal(parseHostPort('[::1]:443')?.text, '[::1]:443');
  assert.ok(!isListenAddress('[1:2:3:4:5:6:7::]'));
});
