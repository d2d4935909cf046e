// make-seeds.mjs: writes the seed corpus of fuzz_pipeline.c (native/fuzz/corpus/pipeline/):
// real frames (a TCP handshake, data and FIN to the VIP, full-size UDP, IPv6, fragments, ICMP,
// NodePort, ClusterIP, a service with no backends, pod traffic, garbage) under a spread of
// selectors. The input layout is documented at the top of fuzz_pipeline.c; the frames are built
// here by hand, with valid checksums, so this script needs nothing but Node.
//   node native/fuzz/make-seeds.mjs [outdir]
// Deterministic: the same files every run, so regenerating does not churn the committed corpus.
import { mkdirSync, writeFileSync, readdirSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const outDir = process.argv[2] ?? join(here, 'corpus', 'pipeline');

// ---- addresses (fuzz_pipeline.c's cluster) ----
const v4 = (s) => s.split('.').map(Number);
const v6 = (s) => {
  const [head, tail = ''] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const words = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t].map((w) => parseInt(w, 16));
  return words.flatMap((w) => [w >> 8, w & 0xff]);
};
const CLIENT4 = v4('203.0.113.7'), CLIENT6 = v6('2001:db8::7');
const VIP4 = v4('198.51.100.10'), VIP6 = v6('2001:db8:64::10');
const EMPTY4 = v4('198.51.100.30'), EMPTY6 = v6('2001:db8:64::30');
const CIP4 = v4('10.96.0.10');
const NODE4 = [v4('192.168.10.11'), v4('192.168.10.12'), v4('192.168.10.13')];
const NODE6 = [v6('2001:db8:10::11'), v6('2001:db8:10::12'), v6('2001:db8:10::13')];
const POD4 = [v4('10.0.0.5'), v4('10.0.1.5'), v4('10.0.2.5')];
const POD6 = [v6('fd00:10:0::5'), v6('fd00:10:1::5'), v6('fd00:10:2::5')];
const WORLD4 = v4('8.8.8.8');

// ---- checksums and headers ----
function csum(bytes, init = 0) {
  let s = init;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}
const fin = (s) => (~s & 0xffff) || 0;
const be16 = (v) => [(v >> 8) & 0xff, v & 0xff];
const be32 = (v) => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const payload = (n) => Array.from({ length: n }, (_, i) => 97 + (i % 26));

/** L4 bytes with their checksum filled for the pseudo-header of src/dst. */
function l4(proto, src, dst, seg) {
  const pseudo = src.length === 4
    ? [...src, ...dst, 0, proto, ...be16(seg.length)]
    : [...src, ...dst, ...be32(seg.length), 0, 0, 0, proto];
  const off = proto === 6 ? 16 : proto === 17 ? 6 : 2;
  if (proto === 1) { // ICMP: no pseudo-header
    const c = fin(csum(seg));
    seg[off] = c >> 8; seg[off + 1] = c & 0xff;
    return seg;
  }
  let c = fin(csum(seg, csum(pseudo)));
  if (proto === 17 && c === 0) c = 0xffff;
  seg[off] = c >> 8; seg[off + 1] = c & 0xff;
  return seg;
}
const tcp = (sport, dport, flags, seq, ack, data = []) =>
  [...be16(sport), ...be16(dport), ...be32(seq), ...be32(ack), 0x50, flags, ...be16(64240), 0, 0, 0, 0, ...data];
const udp = (sport, dport, data) => [...be16(sport), ...be16(dport), ...be16(8 + data.length), 0, 0, ...data];
const icmpEcho = (id, seq, data, type = 8) => [type, 0, 0, 0, ...be16(id), ...be16(seq), ...data];

function ipv4(src, dst, proto, body, { id = 0x1234, frag = 0x4000, ttl = 64, options = [] } = {}) {
  const ihl = 5 + options.length / 4;
  const h = [0x40 | ihl, 0, ...be16(ihl * 4 + body.length), ...be16(id), ...be16(frag), ttl, proto, 0, 0, ...src, ...dst, ...options];
  const c = fin(csum(h));
  h[10] = c >> 8; h[11] = c & 0xff;
  return [...h, ...body];
}
function ipv6(src, dst, nh, body, hlim = 64) {
  return [0x60, 0, 0, 0, ...be16(body.length), nh, hlim, ...src, ...dst, ...body];
}
const eth = (type, l3) => [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, ...be16(type), ...l3];
const eth4 = (l3) => eth(0x0800, l3);
const eth6 = (l3) => eth(0x86dd, l3);

const tcp4 = (src, dst, sport, dport, flags, seq, ack, data) => eth4(ipv4(src, dst, 6, l4(6, src, dst, tcp(sport, dport, flags, seq, ack, data))));
const udp4 = (src, dst, sport, dport, data, opts) => eth4(ipv4(src, dst, 17, l4(17, src, dst, udp(sport, dport, data)), opts));
const tcp6 = (src, dst, sport, dport, flags, seq, ack, data) => eth6(ipv6(src, dst, 6, l4(6, src, dst, tcp(sport, dport, flags, seq, ack, data))));
const udp6 = (src, dst, sport, dport, data) => eth6(ipv6(src, dst, 17, l4(17, src, dst, udp(sport, dport, data))));

const SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01, RST = 0x04;

/** IPv4 fragments of a UDP datagram, first one carrying `first` payload bytes (a multiple of 8). */
function udp4Frags(src, dst, sport, dport, data, first) {
  const seg = l4(17, src, dst, udp(sport, dport, data));
  return [
    eth4(ipv4(src, dst, 17, seg.slice(0, first), { id: 0x4242, frag: 0x2000 })),
    eth4(ipv4(src, dst, 17, seg.slice(first), { id: 0x4242, frag: first / 8 })),
  ];
}
/** IPv6 fragments (Fragment header) of a UDP datagram. */
function udp6Frags(src, dst, sport, dport, data, first) {
  const seg = l4(17, src, dst, udp(sport, dport, data));
  const fh = (off, more) => [17, 0, ...be16((off / 8) << 3 | (more ? 1 : 0)), ...be32(0x01020304)];
  return [
    eth6(ipv6(src, dst, 44, [...fh(0, true), ...seg.slice(0, first)])),
    eth6(ipv6(src, dst, 44, [...fh(first, false), ...seg.slice(first)])),
  ];
}

// ---- senders and selectors (fuzz_pipeline.c) ----
const S = { client: 0, world: 2, pod0: 3, pod1: 4, pod2: 5, node1: 6, bogus: 7 };
const LT_RAW = 2 << 3, LT_SLL = 3 << 3, SERVER = 1 << 5, T1 = 1 << 6, T65 = 2 << 6, TBIG = 3 << 6;

/** s0: mode | dispatch << 2 | recent 0x10 | network order 0x20 | xdp 0x40 | pmtu 0x80. */
const s0 = ({ mode = 0, dispatch = 0, recent = false, net = false, xdp = false, pmtu = false }) =>
  mode | (dispatch << 2) | (recent ? 0x10 : 0) | (net ? 0x20 : 0) | (xdp ? 0x40 : 0) | (pmtu ? 0x80 : 0);
/** s1: reject 1 | echo 2 | nodes 1-2 at MTU 1280 4 | tiny 8 | extCIP 0x10 | perSvc 0x20 | clamp 0x40 | maglev 0x80. */
const s1 = ({ reject = false, echo = false, mtu1280 = false, tiny = false, extCip = false, perSvc = false, clamp = false, maglevOld = false }) =>
  (reject ? 1 : 0) | (echo ? 2 : 0) | (mtu1280 ? 4 : 0) | (tiny ? 8 : 0) | (extCip ? 0x10 : 0) | (perSvc ? 0x20 : 0) | (clamp ? 0x40 : 0) | (maglevOld ? 0x80 : 0);

function input(sel, frames) {
  const out = [sel[0], sel[1]];
  for (const [sender, bytes] of frames.slice(0, 8)) out.push(sender, ...be16(bytes.length), ...bytes);
  return Uint8Array.from(out);
}

// ---- the frame sequences ----
const sport = 40000;
const seqs = {
  tcp4_conn: [
    [S.client, tcp4(CLIENT4, VIP4, sport, 80, SYN, 1000, 0, [])],
    [S.client | T1, tcp4(CLIENT4, VIP4, sport, 80, ACK, 1001, 1, [])],
    [S.client, tcp4(CLIENT4, VIP4, sport, 80, ACK | PSH, 1001, 1, payload(100))],
    [S.client, tcp4(CLIENT4, VIP4, sport, 80, ACK | FIN, 1101, 1, [])],
  ],
  tcp4_fullsize: [
    [S.client, tcp4(CLIENT4, VIP4, sport + 1, 80, SYN, 5000, 0, [])],
    [S.client, tcp4(CLIENT4, VIP4, sport + 1, 80, ACK | PSH, 5001, 1, payload(1460))],
    [S.client, tcp4(CLIENT4, VIP4, sport + 1, 80, RST, 6461, 0, [])],
  ],
  tcp6_conn: [
    [S.client, tcp6(CLIENT6, VIP6, sport, 80, SYN, 1000, 0, [])],
    [S.client, tcp6(CLIENT6, VIP6, sport, 80, ACK | PSH, 1001, 1, payload(200))],
    [S.client | T65, tcp6(CLIENT6, VIP6, sport, 80, ACK | FIN, 1201, 1, [])],
  ],
  udp4_fullsize: [
    [S.client, udp4(CLIENT4, VIP4, 5353, 80, payload(1472))],
    [S.client, udp4(CLIENT4, VIP4, 5353, 80, payload(64))],
    [S.client | T1, udp4(CLIENT4, VIP4, 5354, 80, payload(1400))],
  ],
  udp6_fullsize: [
    [S.client, udp6(CLIENT6, VIP6, 5353, 80, payload(1452))],
    [S.client, udp6(CLIENT6, VIP6, 5353, 80, payload(10))],
  ],
  frags4: [
    ...udp4Frags(CLIENT4, VIP4, 6000, 80, payload(2000), 1480).map((f) => [S.client, f]),
    [S.client, udp4Frags(CLIENT4, VIP4, 6001, 80, payload(100), 64)[1]], // a later fragment alone
  ],
  frags6: udp6Frags(CLIENT6, VIP6, 6000, 80, payload(2000), 1448).map((f) => [S.client, f]),
  nodeport: [
    [S.client, tcp4(CLIENT4, NODE4[1], sport, 31000, SYN, 1, 0, [])],
    [S.client, udp4(CLIENT4, NODE4[2], sport, 31000, payload(30))],
    [S.client, tcp6(CLIENT6, NODE6[0], sport, 31000, SYN, 1, 0, [])],
    [S.client, tcp4(CLIENT4, NODE4[1], sport, 31000, ACK, 2, 1, [])],
  ],
  clusterip: [
    [S.client, tcp4(CLIENT4, CIP4, sport, 80, SYN, 1, 0, [])],
    [S.pod1, tcp4(POD4[1], CIP4, sport, 80, SYN, 1, 0, [])],
    [S.pod2, udp4(POD4[2], CIP4, 5353, 53, payload(40))],
    [S.pod0, udp4(POD4[0], CIP4, 5353, 53, payload(40))],
  ],
  nobackend: [
    [S.client, tcp4(CLIENT4, EMPTY4, sport, 80, SYN, 1, 0, [])],
    [S.client, udp6(CLIENT6, EMPTY6, sport, 80, payload(20))],
    [S.client, tcp4(CLIENT4, VIP4, sport, 8443, SYN, 1, 0, [])], // known VIP, unknown port
  ],
  icmp: [
    [S.client, eth4(ipv4(CLIENT4, VIP4, 1, l4(1, CLIENT4, VIP4, icmpEcho(77, 1, payload(56)))))],
    [S.client, eth4(ipv4(CLIENT4, NODE4[0], 1, l4(1, CLIENT4, NODE4[0], icmpEcho(78, 1, payload(8)))))],
    // fragmentation needed from the world, quoting a reply the LB sent
    [S.world, eth4(ipv4(v4('192.0.2.1'), NODE4[0], 1, l4(1, [], [], [3, 4, 0, 0, 0, 0, ...be16(1400),
      ...ipv4(NODE4[0], CLIENT4, 6, tcp(80, sport, SYN | ACK, 1, 1001)).slice(0, 28)])))],
  ],
  pods: [
    [S.pod1, tcp4(POD4[1], WORLD4, 33000, 443, SYN, 1, 0, [])],
    [S.pod2, udp4(POD4[2], POD4[0], 7000, 8080, payload(12))],
    [S.pod0, tcp6(POD6[0], CLIENT6, 33000, 443, SYN, 1, 0, [])],
    [S.node1, tcp4(NODE4[1], VIP4, 33001, 80, SYN, 1, 0, [])],
  ],
  capture_replies: [
    [S.client, tcp4(CLIENT4, VIP4, sport, 80, SYN, 1000, 0, [])],
    [S.pod1 | SERVER, tcp4(VIP4, CLIENT4, 80, sport, SYN | ACK, 9000, 1001, [])],
    [S.client, udp4(CLIENT4, VIP4, 5353, 80, payload(32))],
    [S.pod2 | SERVER, udp4(VIP4, CLIENT4, 80, 5353, payload(32))],
    [S.pod1 | SERVER, tcp4(VIP4, CLIENT4, 80, 1, ACK, 1, 1, [])], // withheld: no such flow
  ],
  linktypes: [
    [S.client | LT_RAW, ipv4(CLIENT4, VIP4, 6, l4(6, CLIENT4, VIP4, tcp(sport, 80, SYN, 1, 0)))],
    [S.client | LT_SLL, [0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...be16(0x0800),
      ...ipv4(CLIENT4, VIP4, 17, l4(17, CLIENT4, VIP4, udp(5353, 80, payload(20))))]],
    [S.client | LT_RAW, ipv6(CLIENT6, VIP6, 17, l4(17, CLIENT6, VIP6, udp(5353, 80, payload(20))))],
  ],
  options: [
    // IPv4 with an option already (NOP NOP NOP EOL), then the DSR option itself from a client
    [S.client, eth4(ipv4(CLIENT4, VIP4, 6, l4(6, CLIENT4, VIP4, tcp(sport, 80, SYN, 1, 0)), { options: [1, 1, 1, 0] }))],
    [S.client, eth4(ipv4(CLIENT4, POD4[1], 6, l4(6, CLIENT4, POD4[1], tcp(sport, 8080, SYN, 1, 0)),
      { options: [0x9a, 8, 0, 80, ...VIP4] }))],
    [S.client, eth4(ipv4(CLIENT4, VIP4, 6, l4(6, CLIENT4, VIP4, tcp(sport, 80, SYN, 1, 0)), { ttl: 1 }))],
  ],
  garbage: [
    [S.client, Array.from({ length: 60 }, (_, i) => (i * 37 + 11) & 0xff)],
    [S.client, eth4(ipv4(CLIENT4, VIP4, 6, [0, 80]))], // truncated TCP
    [S.client, eth4([0x4f, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, ...CLIENT4, ...VIP4])], // ihl 15 > length
    [S.bogus, tcp4(CLIENT4, VIP4, sport, 80, SYN, 1, 0, [])],
    [S.world | TBIG, []],
    [S.client, eth(0x0806, Array(28).fill(0))], // ARP
  ],
  // control-plane steps (sender 7 as a server packet): the VIP's TCP frontend loses its
  // backends one by one, the first time with the dropped one marked terminating
  failover: [
    [S.client, tcp4(CLIENT4, VIP4, sport + 9, 80, SYN, 1, 0, [])],
    [S.client, tcp4(CLIENT4, VIP4, sport + 9, 80, ACK, 2, 1, [])],
    [S.bogus | SERVER, [0 | (6 << 2) | 0x20]],
    [S.client, tcp4(CLIENT4, VIP4, sport + 9, 80, ACK | PSH, 2, 1, payload(10))],
    [S.bogus | SERVER, [0 | (1 << 2) | 0x40]],
    [S.client, tcp4(CLIENT4, VIP4, sport + 9, 80, SYN, 100, 0, [])],
    [S.bogus | SERVER, [3 | (0 << 2)]],
    [S.client, udp6(CLIENT6, VIP6, 5353, 80, payload(20))],
  ],
  expiry: [
    [S.client, tcp4(CLIENT4, VIP4, sport + 7, 80, SYN, 1, 0, [])],
    [S.client | TBIG, tcp4(CLIENT4, VIP4, sport + 7, 80, ACK, 2, 1, [])],
    [S.client | T65, udp4(CLIENT4, VIP4, 5353, 80, payload(8))],
    [S.client | T65, udp4(CLIENT4, VIP4, 5353, 80, payload(8))],
  ],
};

// ---- selector spread ----
const sels = {
  snat: [s0({ mode: 0 }), s1({ echo: true })],
  dsr_opt: [s0({ mode: 1, dispatch: 0, pmtu: true }), s1({ echo: true })],
  dsr_opt_recent: [s0({ mode: 1, dispatch: 0, recent: true, net: true, pmtu: true }), s1({ echo: true, perSvc: true, clamp: true, mtu1280: true })],
  hybrid_ipip_xdp: [s0({ mode: 2, dispatch: 1, xdp: true, pmtu: true }), s1({ echo: true, reject: true })],
  dsr_geneve: [s0({ mode: 1, dispatch: 2, recent: true, pmtu: true }), s1({ mtu1280: true, echo: true, maglevOld: true })],
  snat_tiny: [s0({ mode: 0, xdp: true }), s1({ tiny: true, reject: true, extCip: true })],
  dsr_ipip_nopmtu: [s0({ mode: 1, dispatch: 1 }), s1({ tiny: true })],
};
const plan = {
  tcp4_conn: Object.keys(sels),
  tcp4_fullsize: ['snat', 'dsr_opt', 'hybrid_ipip_xdp', 'dsr_geneve'],
  tcp6_conn: ['snat', 'dsr_opt', 'dsr_geneve', 'hybrid_ipip_xdp'],
  udp4_fullsize: ['snat', 'dsr_opt', 'dsr_opt_recent', 'hybrid_ipip_xdp', 'dsr_geneve', 'dsr_ipip_nopmtu'],
  udp6_fullsize: ['dsr_opt', 'dsr_geneve', 'hybrid_ipip_xdp'],
  frags4: ['snat', 'dsr_opt', 'snat_tiny'],
  frags6: ['snat', 'dsr_opt'],
  nodeport: ['snat', 'dsr_opt', 'hybrid_ipip_xdp'],
  clusterip: ['snat', 'snat_tiny'],
  nobackend: ['snat', 'hybrid_ipip_xdp', 'dsr_opt_recent'],
  icmp: ['snat', 'dsr_opt'],
  pods: ['snat', 'dsr_geneve'],
  capture_replies: ['snat', 'dsr_opt', 'hybrid_ipip_xdp'],
  linktypes: ['snat', 'dsr_opt'],
  options: ['dsr_opt', 'dsr_opt_recent', 'snat'],
  garbage: ['snat', 'dsr_geneve'],
  expiry: ['snat', 'dsr_opt', 'snat_tiny'],
  failover: ['snat', 'dsr_opt', 'dsr_opt_recent', 'hybrid_ipip_xdp'],
};

mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith('.bin')) unlinkSync(join(outDir, f));
let n = 0;
for (const [seq, selNames] of Object.entries(plan)) {
  for (const name of selNames) {
    writeFileSync(join(outDir, `${seq}-${name}.bin`), input(sels[name], seqs[seq]));
    n++;
  }
}
console.log(`make-seeds: ${n} inputs in ${outDir}`);
