// Per-flow hop extraction (src/report/trace.ts) and frame views (packet-view.ts): which rewrite a
// hook did, read from the views before and after it (a table, one expectation per row); the DSR
// information read back from the IPv4 option in both byte orders; and the steps a diagram draws
// for a SYN under each dispatch (opt, Geneve, IPv6 Destination Option).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildPacket } from '../../src/packet/build.js';
import { parsePackets } from '../../src/packet/parse.js';
import { viewOf, changedFields, type PacketView } from '../../src/report/packet-view.js';
import { classifyRewrite, TraceCollector, type PacketRole, type TraceArrow, type TraceNote } from '../../src/report/trace.js';
import { loadScenario } from '../../src/scenario/index.js';
import { replay } from '../../src/replay.js';
import { capture, FIXTURES } from '../helpers.js';

const scenario = (n: string) => join(FIXTURES, 'scenarios', n);

const v = (o: Partial<PacketView>): PacketView => ({ l3: 'ipv4', protocol: 'TCP', proto: 6, len: 74, src: '203.0.113.7', sport: 40000, dst: '198.51.100.10', dport: 80, ...o });

describe('classifyRewrite', () => {
  const cases: [string, PacketView, PacketView, PacketRole, boolean, string[]][] = [
    ['SNAT mode at the LB node: DNAT and SNAT at once', v({}), v({ src: '192.168.10.11', dst: '10.244.2.10', dport: 8080 }), 'request', false, ['dnat', 'snat']],
    ['DSR opt at the LB node: option added, DNAT', v({}), v({ dst: '10.244.2.10', dport: 8080, dsr: { addr: '198.51.100.10', port: 80, via: 'option' } }), 'request', false, ['dsr', 'dnat']],
    ['Geneve DSR: encap, TLV, DNAT', v({}), v({ dst: '10.244.2.10', dport: 8080, encap: { kind: 'geneve', src: '192.168.10.11', dst: '192.168.10.13' }, dsr: { addr: '198.51.100.10', port: 80, via: 'geneve' } }), 'request', false, ['encap', 'dsr', 'dnat']],
    ['Geneve at the backend node: decap only (the TLV goes with the outer header)', v({ encap: { kind: 'geneve', src: 'a', dst: 'b' }, dsr: { addr: '198.51.100.10', port: 80, via: 'geneve' } }), v({}), 'request', false, ['decap']],
    ['reply rev-NAT (DSR, at the backend node)', v({ src: '10.244.2.10', sport: 8080, dst: '203.0.113.7', dport: 40000 }), v({ sport: 80, dst: '203.0.113.7', dport: 40000 }), 'reply', false, ['rev-nat']],
    ['reply rev-NAT and rev-SNAT (SNAT, at the LB node)', v({ src: '10.244.2.10', sport: 8080, dst: '192.168.10.11', dport: 40000 }), v({ sport: 80, dst: '203.0.113.7', dport: 40000 }), 'reply', false, ['rev-nat', 'rev-nat']],
    ['answered with ICMP', v({}), v({ protocol: 'ICMP', proto: 1, icmp: { type: 3, code: 4, mtu: 1492 } }), 'request', true, ['icmp']],
    ['TTL only: nothing', v({ ttl: 64 }), v({ ttl: 63 }), 'request', false, []],
  ];
  it.each(cases)('%s', (_d, before, after, role, answered, kinds) => {
    expect(classifyRewrite(before, after, role, answered).rewrites).toEqual(kinds);
  });

  it('names what changed: DNAT → backend, SNAT → node address and port', () => {
    const c = classifyRewrite(v({}), v({ src: '192.168.10.11', sport: 61000, dst: '10.244.2.10', dport: 8080 }), 'request', false);
    expect(c.texts).toEqual(['DNAT → 10.244.2.10:8080', 'SNAT → 192.168.10.11:61000']);
    expect(changedFields(v({}), v({ src: '192.168.10.11', sport: 61000 }))).toEqual(['src', 'sport']);
  });
});

describe('viewOf: the DSR IPv4 option', () => {
  // 198.51.100.10:80 as Cilium writes it: network order, and legacy (byte-swapped) order.
  const network = Uint8Array.from([0x9a, 8, 0x00, 0x50, 198, 51, 100, 10]);
  const legacy = Uint8Array.from([0x9a, 8, 0x50, 0x00, 10, 100, 51, 198]);
  const frame = (opt: Uint8Array) => Buffer.from(buildPacket({ ipv4: { src: '203.0.113.7', dst: '10.244.2.10', options: opt }, tcp: { sport: 40000, dport: 8080, flags: 'S' } }));

  it('reads the network-order option', () => {
    const f = frame(network);
    expect(viewOf(f, parsePackets([f])[0]).dsr).toEqual({ addr: '198.51.100.10', port: 80, via: 'option' });
  });

  it('reads the legacy-order option when the swapped address is a known service address', () => {
    const f = frame(legacy);
    expect(viewOf(f, parsePackets([f])[0], new Set(['198.51.100.10'])).dsr).toEqual({ addr: '198.51.100.10', port: 80, via: 'option', legacyOrder: true });
  });

  it('leaves a packet without the option alone', () => {
    const f = Buffer.from(buildPacket({ ipv4: { src: '203.0.113.7', dst: '10.244.2.10' }, tcp: { sport: 40000, dport: 8080, flags: 'S' } }));
    const view = viewOf(f, parsePackets([f])[0]);
    expect(view.dsr).toBeUndefined();
    expect(view).toMatchObject({ l3: 'ipv4', protocol: 'TCP', src: '203.0.113.7', sport: 40000, dst: '10.244.2.10', dport: 8080, tcpFlags: 2 });
  });
});

async function firstSteps(capName: string, scenarioName: string, mode?: 'snat' | 'dsr' | 'hybrid') {
  const sc = await loadScenario(scenario(scenarioName), mode ? { overrides: { loadBalancerMode: mode } } : {});
  const c = new TraceCollector({ traceFlows: 10, tracePackets: 4 });
  await replay(capture(capName), sc, { ...(mode ? { mode } : {}), onRun: c.onRun });
  return c;
}

describe('TraceCollector: the steps of a SYN', () => {
  it('DSR opt: the option rides on the SYN only, the reply is rev-NATed at the backend node', async () => {
    const c = await firstSteps('real-http-udp.pcap', 'real-capture.yaml', 'dsr');
    const tcp4 = c.flows()[0]!;
    const [syn, synack, ack] = tcp4.packets!;
    expect(syn!.role).toBe('request');
    const arrows = syn!.steps.filter((s): s is TraceArrow => s.kind === 'arrow');
    expect(arrows.map((a) => `${a.from}>${a.to}`)).toEqual(['client-1>node-a', 'node-a>node-c', 'node-c>web-c']);
    expect(arrows[1]!.view.dsr).toEqual({ addr: '198.51.100.10', port: 80, via: 'option' });
    expect(arrows[1]!.changed).toEqual(['dst', 'dport', 'dsr']);
    const note = syn!.steps.find((s): s is TraceNote => s.kind === 'note')!;
    expect(note).toMatchObject({ host: 'node-a', point: 'TC_INGRESS', rewrites: ['dsr', 'dnat'] });
    expect(syn!.steps[syn!.steps.length - 1]).toMatchObject({ kind: 'end', host: 'web-c', point: 'POD', fate: 'delivered' });
    expect(synack!.role).toBe('reply');
    expect(synack!.path).toEqual(['web-c', 'node-c', 'client-1']);
    expect(synack!.steps.find((s) => s.kind === 'note')).toMatchObject({ host: 'node-c', point: 'TC_EGRESS', rewrites: ['rev-nat'] });
    expect(ack!.steps.filter((s): s is TraceArrow => s.kind === 'arrow').every((a) => a.view.dsr === undefined)).toBe(true);
    // The IPv6 flow carries the Destination Option instead.
    const tcp6 = c.flows()[1]!;
    const a6 = tcp6.packets![0]!.steps.filter((s): s is TraceArrow => s.kind === 'arrow')[1]!;
    expect(a6.view).toMatchObject({ l3: 'ipv6', dst: 'fd00:10:244:1::a', dport: 8080, dsr: { addr: '2001:db8:5::10', port: 80, via: 'option' } });
  });

  it('Geneve: the LB node encapsulates with the DSR TLV, the backend node decapsulates', async () => {
    const c = await firstSteps('tcp-handshake.pcap', 'dsr-geneve.yaml');
    const syn = c.flows()[0]!.packets![0]!;
    const arrows = syn.steps.filter((s): s is TraceArrow => s.kind === 'arrow');
    expect(arrows[1]!.view).toMatchObject({
      dst: '10.244.2.10',
      dport: 8080,
      encap: { kind: 'geneve', src: '192.168.10.11', dst: '192.168.10.13' },
      dsr: { addr: '198.51.100.10', port: 80, via: 'geneve' },
    });
    const notes = syn.steps.filter((s): s is TraceNote => s.kind === 'note');
    expect(notes.map((n) => [n.host, n.rewrites])).toEqual([
      ['node-a', ['encap', 'dsr', 'dnat']],
      ['node-c', ['decap']],
    ]);
    expect(arrows[2]!.view.encap).toBeUndefined();
  });

  it('an answered request ends with the ICMP error as its own packet, from the answering node to the client', async () => {
    const c = await firstSteps('udp.pcap', 'real-capture.yaml', 'dsr');
    const pk = c.flows()[0]!.packets!;
    const answered = pk.find((p) => p.fate === 'answered' && p.role === 'request')!;
    expect(answered.steps[answered.steps.length - 1]).toMatchObject({ kind: 'end', host: 'node-a', fate: 'answered' });
    const err = pk.find((p) => p.role === 'icmp-error')!;
    expect(err.id).toBe(answered.id);
    expect(err.path).toEqual(['node-a', 'client-1']);
    const arrow = err.steps.find((s): s is TraceArrow => s.kind === 'arrow')!;
    expect(arrow.view).toMatchObject({ protocol: 'ICMP', src: '198.51.100.10', dst: '203.0.113.7', icmp: { type: 3, code: 4, mtu: 1492 } });
  });

  it('keeps at most tracePackets packets (plus later dropped/answered ones) and counts the rest', async () => {
    const c = await firstSteps('real-http-udp.pcap', 'real-capture.yaml', 'snat');
    const f = c.flows()[0]!;
    expect(f.packets!.length).toBe(4);
    expect(f.omitted).toBe(f.stats.packets.requests + f.stats.packets.replies - 4);
  });
});
