// Dev smoke test: a two-node cluster built by hand through the addon, one TCP SYN per mode.
import { addon } from '../../src/native.js';
import { buildPacket } from '../../src/packet/build.js';
import { ipBytes, macBytes } from '../../src/packet/addr.js';
import { packBatch } from '../../src/packet/parse.js';

const PT = ['?', 'WIRE_TX', 'WIRE_RX', 'TAP_RX', 'TAP_TX', 'XDP', 'TC_IN', 'TC_EG', 'LXC_EG', 'LXC_IN', 'STACK', 'POD', 'CLIENT'];
const V = ['SEEN', 'PASS', 'XLATE', 'TX', 'REDIR', 'DROP', 'DELIV', 'STACK', 'ANSWER'];

for (const mode of [0, 1, 2]) {
  for (const proto of ['tcp', 'udp'] as const) {
    const c = new (addon() as any).Cluster({ mode, dispatch: 0, pmtuDiscovery: true, rejectNoBackend: true, profile: { era: 0, optOrder: 0, snatRetries: 128 }, lb: { maglevM: 251, defaultAlgorithm: 1 }, ctTcpMax: 1024, ctAnyMax: 1024, natMax: 1024, fragMax: 64, responder: 1 });
    const a = c.addHost({ kind: 1, name: 'node-a', mac: Buffer.from(macBytes('02:00:00:00:0a:01')), v4: Buffer.from(ipBytes('192.168.10.11')), mtu: 1500 });
    const b = c.addHost({ kind: 1, name: 'node-b', mac: Buffer.from(macBytes('02:00:00:00:0a:02')), v4: Buffer.from(ipBytes('192.168.10.12')), mtu: 1500 });
    const cl = c.addHost({ kind: 0, name: 'client', mac: Buffer.from(macBytes('02:00:00:00:0c:01')), v4: Buffer.from(ipBytes('203.0.113.7')), mtu: 1500 });
    const pod = c.addHost({ kind: 2, name: 'web-0', mac: Buffer.from(macBytes('02:00:00:00:0d:01')), v4: Buffer.from(ipBytes('10.0.2.5')), mtu: 1500, node: b });
    c.addFrontendRoute({ family: 4, addr: Buffer.from(ipBytes('198.51.100.10')), node: a });
    for (const n of [a, b]) {
      c.addBackend(n, 1, { family: 4, addr: Buffer.from(ipBytes('10.0.2.5')), port: 8080, proto: proto === 'tcp' ? 6 : 17, host: pod });
      c.addService(n, { family: 4, addr: Buffer.from(ipBytes('198.51.100.10')), port: 80, proto: proto === 'tcp' ? 6 : 17, scope: 0 }, { revNatIndex: 1, flags: 64 | 32, algorithm: 1 }, Uint32Array.of(1));
    }
    const pkt = buildPacket({ eth: {}, ipv4: { src: '203.0.113.7', dst: '198.51.100.10' }, ...(proto === 'tcp' ? { tcp: { sport: 40000, dport: 80, flags: 'S', seq: 1 } } : { udp: { sport: 40000, dport: 80 } }), payload: proto === 'udp' ? 100 : 0 });
    const batch = packBatch([pkt]);
    batch.index[5] = 1700000000;
    const r = c.run(batch.data, batch.index, 1, Uint32Array.of(cl), Uint8Array.of(0), Uint32Array.of(0), 1000, 1 << 20);
    console.log(`== mode ${['snat', 'dsr', 'hybrid'][mode]} ${proto}: processed ${r.processed}, ${r.events.length / 64} events`);
    const names = ['node-a', 'node-b', 'client', 'web-0'];
    const parsedAll = (addon() as any).parsePackets(r.arena, Float64Array.from([]), 0);
    void parsedAll;
    for (let i = 0; i < r.events.length / 64; i++) {
      const e = r.events.subarray(i * 64, i * 64 + 64);
      const dv = new DataView(e.buffer, e.byteOffset, 64);
      const host = dv.getUint32(20, true), point = e[28]!, verdict = e[29]!, flags = dv.getUint16(30, true), drop = dv.getInt32(32, true), off = dv.getUint32(36, true), len = dv.getUint32(40, true);
      const pk = packBatch([r.arena.subarray(off, off + len)]);
      const p = (addon() as any).parsePackets(pk.data, pk.index, 1)[0];
      const desc = p.ok ? `${p.src}:${p.sport ?? ''} > ${p.dst}:${p.dport ?? ''} ttl=${p.ttl} len=${p.l3Len} ihl=${p.l3HdrLen} ${p.l4Proto === 4 ? 'IPIP' : ''}` : `unparsed ${p.error}`;
      const pkt = dv.getUint32(0, true);
      console.log(`${pkt.toString(16).padStart(8)} ${(names[host] ?? host).toString().padEnd(7)} ${PT[point]!.padEnd(8)} ${V[verdict]!.padEnd(6)} ${drop ? 'drop=' + drop : ''} fl=${flags.toString(16)} ${desc}`);
    }
  }
}
