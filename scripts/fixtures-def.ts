/**
 * fixtures-def.ts: the definition of every capture under fixtures/captures/, as a function, so
 * `npm run fixtures` writes them and a test checks the committed files still match this code.
 * Every byte is made here with the project's packet builder and writers; nothing is opaque.
 */
import { buildPacket, buildArp, fragmentIPv4, type PacketSpec } from '../src/packet/build.js';
import { pcapBytes, LINKTYPE_ETHERNET, LINKTYPE_RAW } from '../src/capture/pcap-writer.js';
import { pcapngBytes } from '../src/capture/pcapng-writer.js';

const CLIENT = { ip: '203.0.113.7', mac: '02:00:cb:00:71:07', ip6: '2001:db8:c::7' };
const VIP = { ip: '198.51.100.10', mac: '02:00:c0:a8:0a:0b', ip6: '2001:db8:5::10' };
const T0 = 1_700_000_000;

type Rec = { ts: { sec: number; nsec: number }; data: Uint8Array; origlen?: number };

function at(i: number, stepUs = 1000): { sec: number; nsec: number } {
  const us = i * stepUs;
  return { sec: T0 + Math.floor(us / 1e6), nsec: (us % 1e6) * 1000 };
}

const toVip = (p: Omit<PacketSpec, 'eth' | 'ipv4'>, extra: Partial<NonNullable<PacketSpec['ipv4']>> = {}): Uint8Array =>
  buildPacket({ eth: { src: CLIENT.mac, dst: VIP.mac }, ipv4: { src: CLIENT.ip, dst: VIP.ip, ...extra }, ...p });
const fromVip = (p: Omit<PacketSpec, 'eth' | 'ipv4'>, extra: Partial<NonNullable<PacketSpec['ipv4']>> = {}): Uint8Array =>
  buildPacket({ eth: { src: VIP.mac, dst: CLIENT.mac }, ipv4: { src: VIP.ip, dst: CLIENT.ip, ...extra }, ...p });

const SYN_OPTIONS = [
  { kind: 'mss' as const, value: 1460 },
  { kind: 'sackOk' as const },
  { kind: 'ts' as const, val: 1000, ecr: 0 },
  { kind: 'nop' as const },
  { kind: 'ws' as const, shift: 7 },
];

/** A TCP connection to the VIP: handshake with options, two full-size segments each way, FIN. */
export function tcpConversation(sport = 40000, dport = 80): Uint8Array[] {
  const c = (flags: string, seq: number, ack: number, payload = 0, id = 0) =>
    toVip({ tcp: { sport, dport, flags, seq, ack, window: 502, options: flags === 'S' ? SYN_OPTIONS : [] }, payload }, { id });
  const s = (flags: string, seq: number, ack: number, payload = 0, id = 0) =>
    fromVip({ tcp: { sport: dport, dport: sport, flags, seq, ack, window: 509, options: flags === 'SA' ? SYN_OPTIONS.map((o) => (o.kind === 'ts' ? { ...o, val: 5000, ecr: 1000 } : o)) : [] }, payload }, { id });
  const cs = 1000, ss = 9000;
  // 1460 bytes of payload fill a 1500-byte IPv4 packet exactly.
  return [
    c('S', cs, 0, 0, 1),
    s('SA', ss, cs + 1, 0, 0),
    c('A', cs + 1, ss + 1, 0, 2),
    c('PA', cs + 1, ss + 1, 1460, 3),
    c('PA', cs + 1461, ss + 1, 1460, 4),
    s('A', ss + 1, cs + 2921, 0, 1),
    s('PA', ss + 1, cs + 2921, 1460, 2),
    s('PA', ss + 1461, cs + 2921, 1460, 3),
    c('A', cs + 2921, ss + 2921, 0, 5),
    c('FA', cs + 2921, ss + 2921, 0, 6),
    s('FA', ss + 2921, cs + 2922, 0, 4),
    c('A', cs + 2922, ss + 2922, 0, 7),
  ];
}

export function udpExchange(sport = 53000, dport = 7777): Uint8Array[] {
  return [
    toVip({ udp: { sport, dport }, payload: 40 }, { id: 10, df: false }),
    fromVip({ udp: { sport: dport, dport: sport }, payload: 120 }, { id: 20, df: false }),
    toVip({ udp: { sport, dport }, payload: 1472 }, { id: 11, df: false }), // a full-size datagram
    fromVip({ udp: { sport: dport, dport: sport }, payload: 1472 }, { id: 21, df: false }),
  ];
}

export function ipv6Packets(): Uint8Array[] {
  const e6 = { src: CLIENT.mac, dst: VIP.mac };
  const back = { src: VIP.mac, dst: CLIENT.mac };
  return [
    buildPacket({ eth: e6, ipv6: { src: CLIENT.ip6, dst: VIP.ip6 }, tcp: { sport: 41000, dport: 80, flags: 'S', seq: 1, options: SYN_OPTIONS } }),
    buildPacket({ eth: back, ipv6: { src: VIP.ip6, dst: CLIENT.ip6 }, tcp: { sport: 80, dport: 41000, flags: 'SA', seq: 7, ack: 2, options: SYN_OPTIONS } }),
    buildPacket({ eth: e6, ipv6: { src: CLIENT.ip6, dst: VIP.ip6 }, tcp: { sport: 41000, dport: 80, flags: 'PA', seq: 2, ack: 8 }, payload: 1440 }),
    buildPacket({
      eth: e6,
      ipv6: { src: CLIENT.ip6, dst: VIP.ip6, ext: [{ type: 'hopByHop', options: Uint8Array.of(5, 2, 0, 0) }, { type: 'routing', routingType: 0, segmentsLeft: 0 }, { type: 'destOpts', options: Uint8Array.of(0x1b, 20, ...new Array(20).fill(0)) }] },
      udp: { sport: 5000, dport: 7777 },
      payload: 32,
    }),
    buildPacket({ eth: e6, ipv6: { src: CLIENT.ip6, dst: VIP.ip6 }, icmpv6: { type: 128, id: 7, seq: 1 }, payload: 56 }),
    buildPacket({ eth: back, ipv6: { src: VIP.ip6, dst: CLIENT.ip6 }, icmpv6: { type: 2, rest: 1280 }, payload: 120 }),
  ];
}

export function fragmentPackets(): Uint8Array[] {
  const big = toVip({ udp: { sport: 53001, dport: 7777 }, payload: 3000 }, { id: 0x4242, df: false });
  const v4 = fragmentIPv4(big, 1480);
  // IPv6: a 2000-byte UDP datagram in two fragments (RFC 8200 §4.5), built by hand.
  const whole = buildPacket({ eth: null, ipv6: { src: CLIENT.ip6, dst: VIP.ip6 }, udp: { sport: 5001, dport: 7777 }, payload: 2000 });
  const l4 = whole.subarray(40);
  const first = l4.subarray(0, 1232), rest = l4.subarray(1232);
  const f6 = (chunk: Uint8Array, offset: number, more: boolean) =>
    buildPacket({ eth: { src: CLIENT.mac, dst: VIP.mac }, ipv6: { src: CLIENT.ip6, dst: VIP.ip6, ext: [{ type: 'fragment', offset, more, id: 0x77 }] }, raw: { protocol: 17 }, payload: chunk });
  return [...v4, f6(first, 0, true), f6(rest, 1232, false)];
}

export function arpPackets(): Uint8Array[] {
  return [
    buildArp({ op: 'request', senderMac: CLIENT.mac, senderIp: CLIENT.ip, targetIp: VIP.ip }),
    buildArp({ op: 'reply', senderMac: VIP.mac, senderIp: VIP.ip, targetMac: CLIENT.mac, targetIp: CLIENT.ip }),
  ];
}

/** Packets the codec must reject, each with the reason it should give. */
export function malformedPackets(): { data: Uint8Array; reason: string }[] {
  const syn = toVip({ tcp: { sport: 40001, dport: 80, flags: 'S' } });
  const ihl4 = toVip({ tcp: { sport: 40002, dport: 80, flags: 'S' } }, { ihl: 4 });
  const shortTotal = toVip({ tcp: { sport: 40003, dport: 80, flags: 'S' } }, { totalLength: 16 });
  const doff = toVip({ tcp: { sport: 40004, dport: 80, flags: 'S', dataOffset: 4 } });
  const udpLen = toVip({ udp: { sport: 1, dport: 53, length: 4 } });
  return [
    { data: ihl4, reason: 'ipv4: ihl 4 < 5' },
    { data: shortTotal, reason: 'ipv4: total length 16' },
    { data: doff, reason: 'tcp: data offset 4 < 5' },
    { data: udpLen, reason: 'udp: length 4 < 8' },
    { data: syn.subarray(0, 10), reason: 'ethernet' },
    { data: syn.subarray(0, 20), reason: 'ipv4' },
  ];
}

function recs(frames: Uint8Array[], start = 0): Rec[] {
  return frames.map((data, i) => ({ ts: at(start + i), data }));
}

/** Linux cooked capture v1 and v2 headers around an IP packet. */
function sll(ip: Uint8Array, proto: number): Uint8Array {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(0, 0); // packet for us
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  Buffer.from([2, 0, 0xcb, 0, 0x71, 7]).copy(h, 6);
  h.writeUInt16BE(proto, 14);
  return Buffer.concat([h, ip]);
}
function sll2(ip: Uint8Array, proto: number): Uint8Array {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(proto, 0);
  h.writeUInt32BE(2, 4); // ifindex
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = 0;
  h[11] = 6;
  Buffer.from([2, 0, 0xcb, 0, 0x71, 7]).copy(h, 12);
  return Buffer.concat([h, ip]);
}

/** Every fixture capture by file name (relative to fixtures/captures/). */
export function fixtureCaptures(): Record<string, Uint8Array> {
  const tcp = tcpConversation();
  const raw = tcp.map((f) => f.subarray(14));
  const out: Record<string, Uint8Array> = {};
  out['tcp-handshake.pcap'] = pcapBytes(recs(tcp));
  out['udp.pcap'] = pcapBytes(recs(udpExchange()));
  out['ipv6-ext.pcap'] = pcapBytes(recs(ipv6Packets()));
  out['fragments.pcap'] = pcapBytes(recs(fragmentPackets()));
  out['arp.pcap'] = pcapBytes(recs(arpPackets()));
  out['malformed.pcap'] = pcapBytes(recs([...tcp.slice(0, 2), ...malformedPackets().map((m) => m.data)]));
  out['vlan.pcap'] = pcapBytes(recs([buildPacket({ eth: { src: CLIENT.mac, dst: VIP.mac, vlans: [100] }, ipv4: { src: CLIENT.ip, dst: VIP.ip }, udp: { sport: 1234, dport: 7777 }, payload: 20 })]));
  out['raw.pcap'] = pcapBytes(recs(raw), { linktype: LINKTYPE_RAW });
  out['sll.pcap'] = pcapBytes(recs(raw.map((p) => sll(p, 0x0800))), { linktype: 113 });
  out['sll2.pcap'] = pcapBytes(recs(raw.map((p) => sll2(p, 0x0800))), { linktype: 276 });
  out['tcp-nsec.pcap'] = pcapBytes(recs(tcp).map((r, i) => ({ ...r, ts: { sec: r.ts.sec, nsec: r.ts.nsec + i } })), { nanosecond: true });
  out['mixed.pcapng'] = pcapngBytes([
    {
      interfaces: [
        { linktype: LINKTYPE_ETHERNET, snaplen: 262144, tsresol: 9, name: 'eth0' },
        { linktype: LINKTYPE_RAW, snaplen: 65535, tsresol: 0x80 | 20, tsoffset: 0n, name: 'tun0' },
      ],
      packets: [
        ...tcp.slice(0, 3).map((data, i) => ({ iface: 0, ts: at(i), data, comment: i === 0 ? 'first SYN' : undefined } as const)),
        ...raw.slice(3, 6).map((data, i) => ({ iface: 1, ts: at(3 + i), data })),
      ],
      junkBlocks: true,
    },
    { bigEndian: true, interfaces: [{ linktype: LINKTYPE_ETHERNET, tsresol: 6 }], packets: udpExchange().map((data, i) => ({ ts: at(10 + i), data })) },
  ]);
  return out;
}

/** Captures that must be refused, each with words its error must contain. */
export function badCaptures(): Record<string, { bytes: Uint8Array; error: RegExp }> {
  const good = pcapBytes(recs(tcpConversation().slice(0, 3)));
  const le = (b: Uint8Array) => Buffer.from(b);
  const caplenTooBig = le(good);
  caplenTooBig.writeUInt32LE(70000, 24 + 8); // first record's caplen > snaplen 262144? no: set snaplen small
  caplenTooBig.writeUInt32LE(1000, 16); // snaplen 1000
  caplenTooBig.writeUInt32LE(1200, 24 + 8);
  const caplen4g = le(good);
  caplen4g.writeUInt32LE(0xffffffff, 24 + 8);
  const unknownLink = le(good);
  unknownLink.writeUInt32LE(147, 20);
  const badMagic = le(good);
  badMagic.writeUInt32LE(0x12345678, 0);
  const ng = pcapngBytes([{ interfaces: [{ linktype: 1 }], packets: [{ ts: at(0), data: tcpConversation()[0]! }] }]);
  const ngBadLen = Buffer.from(ng);
  // The IDB starts after the 32-byte SHB; make its total length 29 (not a multiple of 4).
  ngBadLen.writeUInt32LE(29, 32 + 4);
  return {
    'empty.pcap': { bytes: new Uint8Array(0), error: /empty/ },
    'bad-magic.pcap': { bytes: badMagic, error: /magic/ },
    'truncated-header.pcap': { bytes: good.subarray(0, 10), error: /header/ },
    'caplen-over-snaplen.pcap': { bytes: caplenTooBig, error: /snaplen/ },
    'caplen-4g.pcap': { bytes: caplen4g, error: /caplen/ },
    'unknown-linktype.pcap': { bytes: unknownLink, error: /link type 147/ },
    'truncated-record.pcap': { bytes: good.subarray(0, good.length - 7), error: /truncated/ },
    'pcapng-bad-length.pcapng': { bytes: ngBadLen, error: /multiple of 4/ },
  };
}
