// What explain decodes of a frame: the DSR IPv4 option in each byte order, the IPv6 DSR
// destination option, Geneve and IPIP outer headers with Cilium's Geneve DSR TLV, ICMP errors
// and what they quote; each checked on frames the datapath itself produced.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/explain/explain.js';
import { decodeDsrOptionV4, decodeFrames, diffHeaders, packetLabel, tcpFlagLetters } from '../../src/explain/headers.js';
import { buildPacket } from '../../src/packet/build.js';
import { loadScenario, parseScenario } from '../../src/scenario/index.js';
import type { ExplainedHop, Explanation } from '../../src/explain/types.js';
import { FIXTURES } from '../helpers.js';

const SYN = 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn';
const at = (e: Explanation, host: string, point: string, pkt = 0): ExplainedHop => e.packets[pkt]!.hops.find((h) => h.host === host && h.point === point)!;
const keyed = (h: ExplainedHop, prefix: string) => h.changes.filter((c) => c.key.startsWith(prefix));

/** dsr.yaml with lines changed (version, dispatch) before loading. */
function dsrWith(edit: (yaml: string) => string) {
  const dir = join(FIXTURES, 'scenarios');
  return parseScenario(edit(readFileSync(join(dir, 'dsr.yaml'), 'utf8')), 'dsr-edited.yaml', dir);
}

describe('decodeDsrOptionV4', () => {
  it.each([
    ['legacy (v1.15 on little-endian: both fields byte-swapped), the spec §1.2 example', [0x9a, 8, 0x50, 0x00, 0x0a, 0x00, 0x60, 0x0a], 'host-swapped', { address: '10.96.0.10', port: 80 }],
    ['network order, the same service', [0x9a, 8, 0x00, 0x50, 0x0a, 0x60, 0x00, 0x0a], 'network', { address: '10.96.0.10', port: 80 }],
  ] as const)('%s', (_, bytes, order, expected) => {
    expect(decodeDsrOptionV4(Uint8Array.from(bytes), order)).toEqual(expected);
  });

  it('ignores options that are not Cilium\'s (type or length)', () => {
    expect(decodeDsrOptionV4(Uint8Array.from([0x94, 4, 0, 0, 0, 0, 0, 0]), 'network')).toBeUndefined();
    expect(decodeDsrOptionV4(Uint8Array.from([0x9a, 12, 0, 0, 0, 0, 0, 0]), 'network')).toBeUndefined();
  });
});

describe('header views', () => {
  it('labels TCP, UDP and ICMP packets and diffs two frames field by field', () => {
    // Arrange
    const a = buildPacket({ ipv4: { src: '203.0.113.7', dst: '198.51.100.10', ttl: 64 }, tcp: { sport: 40000, dport: 80, flags: 'S' } });
    const b = buildPacket({ ipv4: { src: '203.0.113.7', dst: '10.244.1.10', ttl: 63 }, tcp: { sport: 40000, dport: 8080, flags: 'S' } });
    // Act
    const [va, vb] = decodeFrames([a, b], 'network');
    const d = diffHeaders(va!, vb!);
    // Assert
    expect(packetLabel(va!)).toBe('203.0.113.7:40000 → 198.51.100.10:80 [S]');
    expect(d.filter((c) => !c.checksum).map((c) => `${c.label} ${c.from} → ${c.to}`)).toEqual(['dst 198.51.100.10 → 10.244.1.10', 'dport 80 → 8080', 'ttl 64 → 63']);
    expect(d.filter((c) => c.checksum).map((c) => c.label)).toEqual(['ip', 'tcp']);
    expect(tcpFlagLetters(0x12)).toBe('SA');
    expect(tcpFlagLetters(0x18)).toBe('PA');
    expect(tcpFlagLetters(0)).toBe('.');
  });
});

describe('decoded on the datapath\'s own frames', () => {
  it('Cilium 1.15 writes the IPv4 option byte-swapped; explain still reads VIP 198.51.100.10:80', async () => {
    const s = dsrWith((y) => y.replace('cilium:\n', 'cilium:\n  version: "1.15"\n'));
    expect(s.profile.dsr.ipv4OptionByteOrder).toBe('host-swapped');
    const e = await explain(s, { packet: SYN });
    const [opt] = keyed(at(e, 'node-a', 'TC_INGRESS'), 'ipopt');
    expect(opt).toMatchObject({ kind: 'added', to: '9a 08 50 00 0a 64 33 c6', note: 'DSR: VIP 198.51.100.10:80' });
  });

  it('IPv6: the Destination Options header with the DSR option (VIP, port)', async () => {
    const e = await explain(await loadScenario(join(FIXTURES, 'scenarios', 'dsr-ipv6.yaml')), { packet: 'tcp [2001:db8:c::7]:40000 > [2001:db8:100::10]:80 syn' });
    const h = at(e, 'node-a', 'TC_INGRESS');
    expect(e.flow.backend!.node).not.toBe('node-a'); // seed 1 picks a remote backend (a local one gets no DSR)
    const [ext] = keyed(h, 'ext.');
    expect(ext).toMatchObject({ kind: 'added', label: 'ext header destination options', note: 'DSR: VIP [2001:db8:100::10]:80' });
    expect(h.changes.find((c) => c.key === 'ip.len')).toMatchObject({ from: '20', to: '44' });
    expect(e.packets[0]!.crossings[1]!.label).toMatch(/^\[2001:db8:c::7\]:40000 → \[fd00:10:244:[12]::a\]:8080 \[S\] \+DSR opt$/);
  });

  it('Geneve: outer headers and the DSR TLV added at node-a, removed at the backend node', async () => {
    const e = await explain(await loadScenario(join(FIXTURES, 'scenarios', 'dsr-geneve.yaml')), { packet: SYN });
    const b = e.flow.backend!;
    expect(b.node).not.toBe('node-a'); // seed 1 picks a remote backend
    const lb = at(e, 'node-a', 'TC_INGRESS');
    expect(lb.headers.tunnel).toMatchObject({ kind: 'geneve', vni: 2, protocolType: 0x6558 });
    expect(lb.headers.tunnel!.options![0]).toMatchObject({ optClass: 0x014b, type: 0x81, length: 8, dsr: { address: '198.51.100.10', port: 80 } });
    expect(keyed(lb, 'outer.')[0]).toMatchObject({ kind: 'added', to: expect.stringMatching(/^IPv4 192\.168\.10\.11 → 192\.168\.10\.1[23] ttl \d+ · UDP \d+ → 6081 · Geneve VNI 2$/) });
    expect(keyed(lb, 'geneve.opt')[0]).toMatchObject({ kind: 'added', note: 'DSR: VIP 198.51.100.10:80' });
    // The inner packet is DNATed (its fields keep the plain keys).
    expect(lb.changes.find((c) => c.key === 'ip.dst')).toMatchObject({ from: '198.51.100.10', to: b.address });
    expect(lb.action).toMatch(/Geneve encapsulation with the DSR option to 192\.168\.10\.1[23]/);
    const backend = at(e, b.node!, 'TC_INGRESS');
    expect(keyed(backend, 'outer.')[0]).toMatchObject({ kind: 'removed' });
    expect(backend.action).toContain('decapsulated');
    expect(e.packets[0]!.crossings[1]!.label).toMatch(/Geneve VNI 2 \+DSR opt \(203\.0\.113\.7:40000 → 10\.244\.\d\.10:8080 \[S\]\)$/);
  });

  it('IPIP: an outer IPv4 header around the untranslated request', async () => {
    const s = dsrWith((y) => y.replace('dsrDispatch: opt', 'dsrDispatch: ipip'));
    const e = await explain(s, { packet: SYN });
    const b = e.flow.backend!;
    expect(b.node).not.toBe('node-a'); // seed 1 picks a remote backend
    const lb = at(e, 'node-a', 'TC_INGRESS');
    expect(lb.headers.tunnel).toEqual({ kind: 'ipip' });
    expect(lb.headers.inner?.ip).toMatchObject({ src: '203.0.113.7', dst: '198.51.100.10' });
    expect(keyed(lb, 'outer.')[0]).toMatchObject({ kind: 'added', label: 'outer IPIP' });
    expect(lb.changes.find((c) => c.key === 'ip.dst')).toBeUndefined(); // spec §3.1: the inner packet keeps the VIP
  });

  it('ICMP errors: type, code, MTU and the quoted packet', async () => {
    const e = await explain(await loadScenario(join(FIXTURES, 'scenarios', 'dsr.yaml')), { packet: 'udp 203.0.113.7:40001 > 198.51.100.10:53 len=1472' });
    const h = at(e, 'node-a', 'TC_INGRESS');
    expect(e.flow.backend!.node).not.toBe('node-a');
    expect(h.verdict).toBe('ANSWERED');
    expect(h.changes.find((c) => c.key === 'icmp')).toMatchObject({ kind: 'added', to: 'type 3 code 4 (fragmentation needed)' });
    expect(h.changes.find((c) => c.key === 'icmp.mtu')).toMatchObject({ kind: 'added', to: '1492' });
    expect(h.changes.find((c) => c.key === 'icmp.quoted')?.to).toMatch(/^203\.0\.113\.7:40001 → 198\.51\.100\.10:53 UDP len 1500 \(\d+ bytes\)$/);
    expect(h.changes.find((c) => c.key === 'l4.sport')).toMatchObject({ kind: 'removed', from: '40001' });
  });
});
