// The C codec reads back what the TypeScript builder wrote, for arbitrary packets; incremental
// checksum updates equal full recomputation; arbitrary bytes never crash the parser.
import { describe, expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { buildPacket, tcpFlags, IPPROTO, type PacketSpec } from '../../src/packet/build.js';
import { ipv6Bytes, ipv6Text } from '../../src/packet/addr.js';
import { parsePackets, checkChecksums, packBatch } from '../../src/packet/parse.js';
import { packetSpec } from '../../src/testing/arbitraries/packetSpec.js';
import { addon } from '../../src/native.js';

const canon6 = (t: string) => ipv6Text(ipv6Bytes(t));

function expectedL4(spec: PacketSpec): number {
  if (spec.tcp) return IPPROTO.TCP;
  if (spec.udp) return IPPROTO.UDP;
  if (spec.icmp) return IPPROTO.ICMP;
  return IPPROTO.ICMPV6;
}

describe('codec properties', () => {
  test.prop([packetSpec()], { numRuns: 400 })('build → parse returns the same fields', (spec) => {
    const frame = buildPacket(spec);
    const [p] = parsePackets([frame]);
    expect(p!.ok, String(p!.error)).toBe(true);
    expect(p!.vlans).toEqual(spec.eth?.vlans ?? []);
    const payloadLen = typeof spec.payload === 'number' ? spec.payload : (spec.payload?.length ?? 0);
    if (spec.ipv4) {
      expect(p!.l3).toBe('ipv4');
      expect([p!.src, p!.dst, p!.ttl, p!.ipId, p!.tos, p!.df]).toEqual([spec.ipv4.src, spec.ipv4.dst, spec.ipv4.ttl, spec.ipv4.id, spec.ipv4.tos, spec.ipv4.df]);
      const optLen = Math.ceil((spec.ipv4.options?.length ?? 0) / 4) * 4;
      expect(p!.l3HdrLen).toBe(20 + optLen);
      expect(p!.ipv4OptLen).toBe(optLen);
    } else {
      expect(p!.l3).toBe('ipv6');
      expect(canon6(p!.src as string)).toBe(canon6(spec.ipv6!.src));
      expect(canon6(p!.dst as string)).toBe(canon6(spec.ipv6!.dst));
      expect([p!.ttl, p!.tos, p!.flowLabel]).toEqual([spec.ipv6!.hopLimit, spec.ipv6!.trafficClass, spec.ipv6!.flowLabel]);
      expect((p!.ext as unknown[]).length).toBe(spec.ipv6!.ext?.length ?? 0);
    }
    expect(p!.l4Proto).toBe(expectedL4(spec));
    expect(p!.frag).toBe('none');
    if (spec.tcp) {
      expect([p!.sport, p!.dport, p!.tcpSeq, p!.tcpAck, p!.tcpWin]).toEqual([spec.tcp.sport, spec.tcp.dport, spec.tcp.seq, spec.tcp.ack, spec.tcp.window]);
      expect((p!.tcpFlags as number) & 0xff).toBe(tcpFlags(spec.tcp.flags));
      for (const o of spec.tcp.options ?? []) {
        if (o.kind === 'mss') expect(p!.mss).toBeDefined();
        if (o.kind === 'ts') expect(p!.tsVal).toBeDefined();
      }
    } else if (spec.udp) {
      expect([p!.sport, p!.dport]).toEqual([spec.udp.sport, spec.udp.dport]);
    } else {
      const m = spec.icmp ?? spec.icmpv6!;
      expect([p!.icmpType, p!.icmpId, p!.icmpSeq]).toEqual([m.type, m.id, m.seq]);
    }
    expect(p!.payloadLen).toBe(payloadLen);
    expect(p!.truncated).toBe(false);
  });

  test.prop([packetSpec()], { numRuns: 300 })('every built packet has valid checksums', (spec) => {
    expect(checkChecksums([buildPacket(spec)])).toEqual([0]);
  });

  test.prop([packetSpec({ maxPayload: 200 }), fc.nat(), fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.boolean()], { numRuns: 1000 })(
    'an incremental checksum update equals a full recomputation',
    (spec, at, bytes, wide) => {
      const frame = Buffer.from(buildPacket(spec));
      const [p] = parsePackets([frame]);
      // Pick an even offset inside the IP packet (header fields, addresses, ports, payload).
      const l3 = p!.l3Off as number;
      const w = wide ? 4 : 2;
      const span = frame.length - l3 - w;
      const off = l3 + ((at % (span + 1)) & ~1);
      const val = Buffer.from(bytes.subarray(0, w));
      // Keep the packet parseable with the same shape: leave version/ihl/lengths/protocol,
      // IPv6 payload length/next header, TCP data offset and UDP length alone.
      const l4 = p!.l4Off as number;
      // Checksum fields themselves are not data to update. The IPv4 flags/fragment offset
      // (l3 + 6) would turn the packet into a fragment, whose L4 checksum cannot be checked.
      const fixed: [number, number][] = [[l3, l3 + 4], [l3 + 8, l3 + 12]];
      if (spec.tcp) fixed.push([l4 + 16, l4 + 18]);
      if (spec.udp) fixed.push([l4 + 6, l4 + 8]);
      if (spec.icmp || spec.icmpv6) fixed.push([l4 + 2, l4 + 4]);
      if (p!.l3 === 'ipv6') fixed.splice(0, 2, [l3, l3 + 8]);
      else fixed.push([l3 + 6, l3 + 8]);
      if (spec.tcp) fixed.push([l4 + 12, l4 + 14]);
      if (spec.udp) fixed.push([l4 + 4, l4 + 6]);
      if (p!.l3 === 'ipv6') for (const e of p!.ext as { off: number; len: number }[]) fixed.push([e.off, e.off + e.len]);
      if (p!.l3 === 'ipv4' && (p!.ipv4OptLen as number) > 0) fixed.push([l3 + 20, l3 + 20 + (p!.ipv4OptLen as number)]);
      if (spec.icmp || spec.icmpv6) fixed.push([l4, l4 + 2]);
      if (fixed.some(([a, b]) => off < b && off + w > a)) return;
      // A real field lies in one header: skip writes that straddle the L3/L4 boundary.
      if (off < l4 && off + w > l4) return;
      // A UDP checksum of 0 means "none" in IPv4 and is never the result of an update.
      const incremental = addon().csumUpdateField(frame, off, val);
      const full = Buffer.from(frame);
      val.copy(full, off);
      const b = packBatch([full]);
      addon().fixChecksums(b.data, b.index, 1);
      expect(checkChecksums([incremental])).toEqual([0]);
      expect(incremental.toString('hex')).toBe(b.data.toString('hex'));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 200 }), fc.constantFrom(1, 101, 113, 228, 229, 276, 12, 14, 999)], { numRuns: 3000 })(
    'arbitrary bytes never crash the parser, and a refusal carries a reason',
    (bytes, linktype) => {
      const [p] = parsePackets([bytes], linktype);
      if (!p!.ok) expect(p!.error).toMatch(/^[a-z0-9 ]+: /);
    },
  );

  test.prop([packetSpec(), fc.nat()], { numRuns: 500 })('every prefix of a valid packet parses or is refused with a reason', (spec, cut) => {
    const frame = buildPacket(spec);
    const n = cut % (frame.length + 1);
    const [p] = parsePackets([frame.subarray(0, n)]);
    if (!p!.ok) expect(typeof p!.error).toBe('string');
    else expect(n >= 14).toBe(true);
  });
});
