/**
 * addr.test.ts: address parsing and canonical text (Go netip / RFC 5952), CIDRs, MACs.
 */

import { describe, expect, it } from 'vitest';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';

import { formatIPv6, ipBytes, ipFamily, ipv4ToUint32, macBytes, macFromName, normaliseIp, parseCidr, parseIp, parseMac } from '../../src/scenario/index.js';

describe('IP addresses', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['FD00:10::11', 'fd00:10::11'],
    ['fd00:0010:0000:0000:0000:0000:0000:0011', 'fd00:10::11'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('%s → %s', (input, want) => {
    expect(normaliseIp(input)).toBe(want);
  });

  it.each(['192.168.010.1', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1:2:3:4:5:6:7:8:9', '1::2::3', 'fe80::1%eth0', '12345::', '', 'x'])('%s is not an address', (s) => {
    expect(parseIp(s)).toBeNull();
  });

  it('bytes and families', () => {
    expect([...ipBytes('10.96.0.10')]).toEqual([10, 96, 0, 10]);
    expect(ipFamily('fd00::1')).toBe(6);
    expect(ipv4ToUint32('10.96.0.10')).toBe(0x0a60000a);
    expect(ipBytes('fd00::1')).toHaveLength(16);
    expect(() => ipBytes('nope')).toThrow(TypeError);
  });

  test.prop([fc.uint8Array({ minLength: 16, maxLength: 16 })])('IPv6: canonical text parses back to the same bytes, and is a fixed point', (b) => {
    const text = formatIPv6(b);
    const p = parseIp(text)!;
    expect([...p.bytes]).toEqual([...b]);
    expect(p.text).toBe(text);
    expect(text).toBe(text.toLowerCase());
  });

  test.prop([fc.ipV6()])('IPv6: any text form normalises to a fixed point', (s) => {
    const n = normaliseIp(s);
    expect(n).not.toBeNull();
    expect(normaliseIp(n!)).toBe(n);
  });

  test.prop([fc.ipV4()])('IPv4: dotted quads are their own canonical form', (s) => {
    expect(normaliseIp(s)).toBe(s);
  });
});

describe('CIDRs and MACs', () => {
  it('CIDRs need zero host bits', () => {
    expect(parseCidr('203.0.113.0/24')?.text).toBe('203.0.113.0/24');
    expect(parseCidr('203.0.113.1/24')).toBeNull();
    expect(parseCidr('2001:DB8::/32')?.text).toBe('2001:db8::/32');
    expect(parseCidr('10.0.0.0/33')).toBeNull();
  });

  it('MACs', () => {
    expect(parseMac('02-00-C0-A8-0A-0B')).toBe('02:00:c0:a8:0a:0b');
    expect(parseMac('02:00:c0:a8:0a')).toBeNull();
    expect(parseMac('02:00-c0:a8:0a:0b')).toBeNull();
    expect([...macBytes('02:00:c0:a8:0a:0b')]).toEqual([2, 0, 0xc0, 0xa8, 0x0a, 0x0b]);
  });

  test.prop([fc.string({ minLength: 1, maxLength: 40 })])('a derived MAC is deterministic, locally administered and unicast', (name) => {
    const m = macFromName(name);
    expect(m).toBe(macFromName(name));
    expect(m).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    expect(parseMac(m)).toBe(m);
  });

  it('derived MACs are stable across releases (pinned values)', () => {
    expect(macFromName('node-a')).toBe('02:66:57:0f:f0:5a');
    expect(macFromName('world')).toBe(macFromName('world'));
  });
});
