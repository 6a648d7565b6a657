// Issue #14 item 4: every way of writing a loopback, private or link-local address is judged by the address it
// reaches, not by its spelling: IPv4 inside IPv6 (mapped, compatible, SIIT, NAT64, 6to4, Teredo, in dotted or hex
// groups), and IPv4 in decimal, octal, hex or short form (which the URL parser or the resolver turns into dotted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressProblem, embeddedV4, literalRefusal, v6Groups } from '../../../src/shared/outbound-guard.js';

const loopbacks = [
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '0:0:0:0:0:ffff:7f00:1',
  '::FFFF:7F00:0001', // IPv4-mapped, dotted and hex
  '::127.0.0.1',
  '::7f00:1', // IPv4-compatible
  '::ffff:0:7f00:1', // SIIT (IPv4-translated)
  '64:ff9b::7f00:1',
  '64:ff9b::127.0.0.1', // NAT64 well-known prefix
  '2002:7f00:1::',
  '2002:7f00:0001:1234::5', // 6to4
  '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 inverted
  '::1',
  '0:0:0:0:0:0:0:1',
];

test('IPv4 loopback written as IPv6 is loopback, allowed only with allowPrivate', () => {
  for (const a of loopbacks) {
    assert.match(addressProblem(a, false) ?? '', /^a loopback address/, a);
    assert.equal(addressProblem(a, true), undefined, a);
  }
});

test('cloud metadata (169.254.169.254) is refused however it is written, even with allowPrivate', () => {
  for (const a of [
    '169.254.169.254',
    '::ffff:169.254.169.254',
    '::ffff:a9fe:a9fe',
    '::a9fe:a9fe',
    '::ffff:0:a9fe:a9fe',
    '64:ff9b::a9fe:a9fe',
    '2002:a9fe:a9fe::1',
    '169.254.0.1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
  ]) {
    for (const allow of [false, true]) assert.match(addressProblem(a, allow) ?? '', /^a link-local address/, `${a} ${allow}`);
  }
});

test('private networks in either family, CGNAT and unique-local included, only with allowPrivate', () => {
  for (const a of [
    '10.0.0.1',
    '::ffff:a00:1',
    '172.16.0.1',
    '::ffff:ac10:1',
    '172.31.255.255',
    '192.168.0.1',
    '::ffff:c0a8:1',
    '2002:c0a8:1::',
    '100.64.0.1',
    '100.127.255.255',
    '::ffff:6440:1',
    '192.0.0.1',
    '198.18.0.1',
    'fc00::1',
    'fdff::1',
    'fec0::1',
    '64:ff9b:1::a00:1',
  ]) {
    assert.match(addressProblem(a, false) ?? '', /^a private address/, a);
    assert.equal(addressProblem(a, true), undefined, a);
  }
});

test('unspecified, this-network, multicast, reserved and broadcast addresses never', () => {
  for (const a of [
    '0.0.0.0',
    '0.1.2.3',
    '::',
    '::ffff:0.0.0.0',
    '::ffff:0:0',
    '224.0.0.1',
    '239.255.255.250',
    '::ffff:e000:1',
    '240.0.0.1',
    '255.255.255.255',
    '::ffff:ffff:ffff',
    'ff02::1',
    'ff05::2',
  ]) {
    for (const allow of [false, true]) assert.match(addressProblem(a, allow) ?? '', /^not a unicast address/, `${a} ${allow}`);
  }
});

test('public addresses pass, in either family and inside IPv6', () => {
  for (const a of [
    '8.8.8.8',
    '93.184.216.34',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '100.63.255.255',
    '192.169.0.1',
    '169.255.0.1',
    '2606:4700::1111',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:4860:4860::8888',
  ]) {
    assert.equal(addressProblem(a, false), undefined, a);
  }
});

test('anything that is not an address literal is refused by addressProblem (a resolver answer is always one)', () => {
  for (const a of ['', 'localhost', '127.1', '2130706433', '[::1]', '1:2:3:4:5:6:7:8:9']) assert.match(addressProblem(a, true) ?? '', /not an IP address/, a);
});

test('IPv6 groups and the IPv4 they carry', () => {
  assert.deepEqual(v6Groups('::ffff:127.0.0.1'), [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
  assert.deepEqual(v6Groups('1::'), [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(v6Groups('1:2:3:4:5:6:7:8'), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(embeddedV4(v6Groups('::ffff:7f00:1')), ['127.0.0.1']);
  assert.deepEqual(embeddedV4(v6Groups('2001:0:4136:e378:8000:63bf:80ff:fffe')), ['65.54.227.120', '127.0.0.1']);
  assert.deepEqual(embeddedV4(v6Groups('::1')), []);
  assert.deepEqual(embeddedV4(v6Groups('2606:4700::1111')), []);
});

test('the URL parser normalises IPv4 hosts of http(s) URLs, and the guard judges what it gives', () => {
  const cases: [string, string][] = [
    ['http://2130706433/bp.tgz', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://0/', '0.0.0.0'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::127.0.0.1]/', '[::7f00:1]'],
    ['http://[0:0:0:0:0:ffff:7f00:1]:8080/bp.git', '[::ffff:7f00:1]'],
    ['http://[::]/', '[::]'],
    ['http://[::1]/', '[::1]'],
    ['https://[::ffff:a9fe:a9fe]/', '[::ffff:a9fe:a9fe]'],
    ['https://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254'],
    ['https://[fe80::]/', '[fe80::]'],
  ];
  for (const [url, host] of cases) {
    assert.equal(new URL(url).hostname, host, url);
    assert.ok(literalRefusal(new URL(url).hostname, false), url);
  }
  for (const url of ['https://[::ffff:a9fe:a9fe]/', 'https://0xa9.0xfe.0xa9.0xfe/', 'http://0/', 'http://[::]/'])
    assert.ok(literalRefusal(new URL(url).hostname, true), url);
  assert.equal(literalRefusal(new URL('http://[::ffff:7f00:1]/').hostname, true), undefined, 'loopback is allowed with YB_OUTBOUND_PRIVATE');
  // Syslog URLs are not "special": their host stays as written, so it goes to the resolver (and its answer to the guard).
  assert.equal(new URL('syslog+tcp://2130706433:514').hostname, '2130706433');
  assert.equal(literalRefusal('2130706433', false), undefined);
  assert.equal(new URL('syslog+tcp://[::ffff:7f00:1]:514').hostname, '[::ffff:7f00:1]');
});

test('a refusal names the IPv4 address and the setting that would allow it', () => {
  assert.match(
    literalRefusal('[::ffff:7f00:1]', false)?.message ?? '',
    /^::ffff:7f00:1 is a loopback address \(127\.0\.0\.1 written as IPv6\), which the platform does not connect to for users; set YB_OUTBOUND_PRIVATE=true/,
  );
  assert.doesNotMatch(literalRefusal('[::ffff:a9fe:a9fe]', false)?.message ?? '', /YB_OUTBOUND_PRIVATE/, 'link-local cannot be allowed');
});
