import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDnsName, isIPv6, isListenAddress, numericHostProblem, parseHostPort } from '../../src/validate/addresses.js';

test('IPv6 addresses are accepted exactly when nginx accepts them (measured with nginx -t on 1.22.1)', () => {
  for (const ok of [
    '::1',
    '::',
    '1::8',
    'fe80::1',
    '::ffff:1.2.3.4',
    '::1.2.3.4',
    '1:2:3:4:5:6:7:8',
    '::0:0:0:0:0:0:0',
    '::0:0:0:0:0.0.0.0',
    '1:2:3:4:5:6:1.2.3.4',
  ])
    assert.ok(isIPv6(ok), ok);
  // Node's isIP accepts these; nginx refuses them ("invalid IPv6 address"), or they are no IPv6 at all.
  for (const bad of [
    '0:0:0:0:0:0:0::',
    '1:2:3:4:5:6:7::',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    '1.2.3.4',
    '',
    ':::',
  ])
    assert.ok(!isIPv6(bad), bad);
  assert.equal(parseHostPort('[0:0:0:0:0:0:0::]:443'), undefined);
  assert.equal(parseHostPort('[::1]:443')?.text, '[::1]:443');
  assert.ok(!isListenAddress('[1:2:3:4:5:6:7::]'));
});

test('numeric hosts: only the dotted quad is an address; other numeric forms and all-digit last labels are refused, with the reason', () => {
  for (const bad of [
    '999.1.1.1',
    '1.2.3.4.5',
    '1.2.3',
    '0x7f.0.0.1',
    '2130706433',
    '0x7f000001',
    '01.2.3.4',
    '1.2.3.4.',
    'host.123',
    '123',
  ]) {
    assert.ok(!isDnsName(bad), bad);
    assert.ok(!isListenAddress(bad), bad);
    assert.equal(parseHostPort(`${bad}:80`), undefined, bad);
    assert.ok(numericHostProblem(bad), bad);
  }
  assert.match(numericHostProblem('1.2.3')!, /1\.2\.0\.3/);
  assert.match(numericHostProblem('host.123')!, /RFC 3696/);
  for (const ok of ['1.2.3.4', '255.255.255.255']) {
    assert.equal(numericHostProblem(ok), undefined, ok);
    assert.equal(parseHostPort(`${ok}:80`)?.text, `${ok}:80`);
  }
  for (const name of ['orders.internal', '1a.example', 'x.1a', '123.example.com', 'a-1.b2', 'deadbeef']) {
    assert.ok(isDnsName(name), name);
    assert.equal(numericHostProblem(name), undefined, name);
  }
});
