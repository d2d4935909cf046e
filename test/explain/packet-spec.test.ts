// The packet SPEC of `explain --packet`: what parses to what, and what is refused with which words.
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { buildDescribedPacket, formatPacketSpec, parsePacketSpec } from '../../src/explain/packet-spec.js';
import { parsePackets } from '../../src/packet/parse.js';

describe('parsePacketSpec', () => {
  it.each([
    ['the scenario.md example', 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn len=1400', { protocol: 'tcp', family: 4, src: '203.0.113.7', sport: 40000, dst: '198.51.100.10', dport: 80, flags: ['syn'], len: 1400 }],
    ['TCP without flags is a SYN', 'tcp 1.2.3.4:5 > 6.7.8.9:80', { flags: ['syn'], len: 0 }],
    ['several flags, comma or space', 'TCP 1.2.3.4:5 > 6.7.8.9:80 ack,psh fin', { flags: ['ack', 'psh', 'fin'] }],
    ['IPv6 in brackets', 'udp [2001:db8:c::7]:53000 > [2001:db8:5::10]:7777 len=10', { protocol: 'udp', family: 6, src: '2001:db8:c::7', dst: '2001:db8:5::10', sport: 53000, dport: 7777, len: 10 }],
    ['icmp takes bare addresses', 'icmp 203.0.113.7 > 198.51.100.10 id=7 seq=2', { protocol: 'icmp', src: '203.0.113.7', id: 7, seq: 2 }],
    ['icmp over IPv6', 'icmp [2001:db8::1] > 2001:db8::2', { protocol: 'icmp', family: 6, dst: '2001:db8::2' }],
    ['`>` without spaces and arrows', 'udp 1.2.3.4:5>6.7.8.9:53', { dport: 53 }],
    ['an arrow', 'udp 1.2.3.4:5 → 6.7.8.9:53 ttl=3', { dport: 53, ttl: 3 }],
  ])('parses %s', (_, spec, expected) => {
    // Act
    const d = parsePacketSpec(spec);
    // Assert
    expect(d).toMatchObject(expected);
  });

  it.each([
    ['an unknown protocol', 'sctp 1.2.3.4:1 > 5.6.7.8:2', /"sctp" is not a protocol.*tcp, udp or icmp/],
    ['no `>`', 'tcp 1.2.3.4:1 5.6.7.8:2', /no `>` between source and destination/],
    ['no destination', 'tcp 1.2.3.4:1 >', /no destination/],
    ['a source without port', 'tcp 203.0.113.7 > 198.51.100.10:80', /the source "203.0.113.7" has no port/],
    ['a destination without port', 'udp 203.0.113.7:1 > 198.51.100.10', /the destination "198.51.100.10" has no port/],
    ['a port on icmp', 'icmp 1.2.3.4:1 > 5.6.7.8', /icmp has no ports/],
    ['a port out of range', 'tcp 1.2.3.4:70000 > 5.6.7.8:80', /source port "70000" is not a port number/],
    ['port 0', 'tcp 1.2.3.4:0 > 5.6.7.8:80', /source port "0"/],
    ['a bad address', 'tcp 1.2.3.x:1 > 5.6.7.8:80', /source address "1.2.3.x" is not an IPv4 or IPv6 address/],
    ['IPv6 without brackets', 'tcp 2001:db8::1:80 > 5.6.7.8:80', /looks like an IPv6 address: write it in brackets/],
    ['mixed families', 'tcp 1.2.3.4:1 > [2001:db8::1]:80', /source is IPv4 but the destination IPv6/],
    ['an unknown flag', 'tcp 1.2.3.4:1 > 5.6.7.8:80 sin', /unknown flag "sin"/],
    ['a flag on UDP', 'udp 1.2.3.4:1 > 5.6.7.8:80 syn', /"syn" is a TCP flag; udp packets have no flags/],
    ['an unknown option', 'udp 1.2.3.4:1 > 5.6.7.8:80 size=3', /unknown option "size="/],
    ['len too large', 'tcp 1.2.3.4:1 > 5.6.7.8:80 len=70000', /len must be a whole number from 0 to 65495/],
    ['len not a number', 'udp 1.2.3.4:1 > 5.6.7.8:80 len=abc', /len=abc/],
    ['a repeated option', 'udp 1.2.3.4:1 > 5.6.7.8:80 len=1 len=2', /len= given twice/],
    ['an empty SPEC', '   ', /empty packet SPEC/],
  ])('refuses %s, naming it', (_, spec, message) => {
    // Act / Assert: an InputError for --packet whose text names the problem
    let err: unknown;
    try {
      parsePacketSpec(spec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).location.file).toBe('--packet');
    expect((err as InputError).message).toMatch(message);
  });

  it('builds the frame the SPEC describes, and formats back to an equivalent SPEC', () => {
    // Arrange
    const d = parsePacketSpec('tcp 203.0.113.7:40000 > 198.51.100.10:80 ack psh len=1460 ttl=9');
    // Act
    const p = parsePackets([buildDescribedPacket(d)])[0]!;
    // Assert: a 1500-byte IPv4 packet with ACK|PSH, TTL 9, and the SPEC round-trips
    expect(p).toMatchObject({ ok: true, l3: 'ipv4', l3Len: 1500, ttl: 9, sport: 40000, dport: 80, tcpFlags: 0x18, payloadLen: 1460 });
    expect(parsePacketSpec(formatPacketSpec(d))).toEqual(d);
  });
});
