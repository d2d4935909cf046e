// explain() on the demo's built-in scenario, one shared body per mode: the hops in order, the
// header diffs at the LB node, the numbers (ICMP MTU, what the backend saw, reply hops), the
// capture points, and what tcpdump on the LB node misses under XDP.
import { describe, expect, it } from 'vitest';
import { demoScenario } from '../../src/demo/scenario.js';
import { explain } from '../../src/explain/explain.js';
import type { ExplainedHop, ExplainedPacket, Explanation } from '../../src/explain/types.js';
import type { LbMode } from '../../src/scenario/types.js';

const SYN = 'tcp 203.0.113.7:40000 > 198.51.100.10:80 syn';
const DATA = 'tcp 203.0.113.7:40000 > 198.51.100.10:80 ack psh len=1460';
const UDP_FULL = 'udp 203.0.113.7:40001 > 198.51.100.10:53 len=1472';
const NODE_A = '192.168.10.11';
const CLIENT = '203.0.113.7';

const steps = (p: ExplainedPacket) => p.hops.map((h) => `${h.host}/${h.point}`);
const lbIngress = (p: ExplainedPacket): ExplainedHop => p.hops.find((h) => h.host === 'node-a' && h.point === 'TC_INGRESS')!;
const change = (h: ExplainedHop, key: string) => h.changes.find((c) => c.key === key);

interface Case {
  mode: LbMode;
  /** TCP forwarding and UDP forwarding the mode gives. */
  tcp: 'dsr' | 'snat';
  udp: 'dsr' | 'snat';
}
const CASES: Case[] = [
  { mode: 'snat', tcp: 'snat', udp: 'snat' },
  { mode: 'dsr', tcp: 'dsr', udp: 'dsr' },
  { mode: 'hybrid', tcp: 'dsr', udp: 'snat' },
];

describe.each(CASES)('explain, built-in scenario, mode $mode', ({ mode, tcp, udp }) => {
  let e: Explanation;
  let u: Explanation;
  it('runs the TCP flow: SYN, SYN-ACK, full-size data, its echo', async () => {
    e = await explain(demoScenario(), { packet: [SYN, DATA], mode });
    expect(e.mode).toBe(mode);
    expect(e.packets.map((p) => `${p.role}:${p.origin}`)).toEqual(['request:client', 'reply:responder', 'request:client', 'reply:responder']);
    expect(e.packets[1]!.answers).toBe(1);
    expect(e.flow.service).toMatchObject({ name: 'default/web', kind: 'LoadBalancer', forwarding: tcp, algorithm: 'maglev' });
    expect(e.summary).toMatchObject({ packets: 4, requests: 2, replies: 2, delivered: 4, dropped: 0, answered: 0 });
  });

  it('the SYN takes every hook in order: client, node-a (tap, tc, tap), the backend node, the pod', () => {
    // The backend is whichever Maglev picked; its node and pod follow from the event.
    const b = e.flow.backend!;
    expect(b.how).toBe('maglev');
    expect(b.maglev!.slot).toBe(b.maglev!.hash % b.maglev!.tableSize);
    expect(['node-b', 'node-c']).toContain(b.node);
    expect(steps(e.packets[0]!)).toEqual([
      'client-1/WIRE_TX',
      'node-a/WIRE_RX',
      'node-a/TAP_RX',
      'node-a/TC_INGRESS',
      'node-a/TC_EGRESS',
      'node-a/TAP_TX',
      'node-a/WIRE_TX',
      `${b.node}/WIRE_RX`,
      `${b.node}/TAP_RX`,
      `${b.node}/TC_INGRESS`,
      `${b.node}/LXC_INGRESS`,
      `${b.pod}/WIRE_RX`,
      `${b.pod}/POD`,
    ]);
    expect(e.hosts.map((h) => `${h.name}:${h.role}`)).toEqual(['client-1:client', 'node-a:lb', `${b.node}:backend-node`, `${b.pod}:backend`]);
  });

  it('node-a tc ingress: DNAT to the backend, and the mode-specific rewrite', () => {
    const h = lbIngress(e.packets[0]!);
    const b = e.flow.backend!;
    expect(h.verdict).toBe('TRANSLATED');
    expect(change(h, 'ip.dst')).toMatchObject({ kind: 'changed', from: '198.51.100.10', to: b.address });
    expect(change(h, 'l4.dport')).toMatchObject({ from: '80', to: '8080' });
    expect(change(h, 'ip.ttl')).toMatchObject({ from: '64', to: '63' });
    expect(h.backend).toMatchObject({ pod: b.pod, how: 'maglev' });
    if (tcp === 'dsr') {
      // + ip option 9a 08 <port 80> <VIP>, network order in 1.19; IHL 5 → 7, 40 → 48 bytes; source kept.
      expect(change(h, 'ipopt.0.9a')).toMatchObject({ kind: 'added', to: '9a 08 00 50 c6 33 64 0a', note: 'DSR: VIP 198.51.100.10:80' });
      expect(change(h, 'ip.ihl')).toMatchObject({ from: '5', to: '7' });
      expect(change(h, 'ip.len')).toMatchObject({ from: '40', to: '48' });
      expect(change(h, 'ip.src')).toBeUndefined();
      expect(h.action).toContain('+DSR option');
      expect(h.created.map((c) => c.kind)).toEqual(['ct-service']);
    } else {
      expect(change(h, 'ip.src')).toMatchObject({ from: CLIENT, to: NODE_A });
      expect(h.changes.some((c) => c.key.startsWith('ipopt'))).toBe(false);
      expect(h.action).toContain('SNAT');
      expect(h.created.map((c) => c.kind)).toEqual(['ct-service', 'ct-nodeport', 'snat-mapping']);
      expect(h.natPort).toBe(40000); // the client's port is inside [32768, 65535], so it is kept
    }
    expect(h.headers.checksumsValid).toBe(true);
  });

  it('the backend saw the client in DSR, node-a in SNAT; the client saw the VIP', () => {
    expect(e.summary.backendSaw).toEqual(tcp === 'dsr' ? { address: CLIENT, port: 40000, host: 'client-1' } : { address: NODE_A, port: 40000, host: 'node-a' });
    expect(e.summary.clientSaw).toEqual({ address: '198.51.100.10', port: 80 });
  });

  it('the SYN-ACK crosses 3 hosts in DSR and 4 in SNAT (through node-a)', () => {
    const b = e.flow.backend!;
    expect(e.summary.replyPath).toEqual(tcp === 'dsr' ? [b.pod, b.node, 'client-1'] : [b.pod, b.node, 'node-a', 'client-1']);
    const synAck = e.packets[1]!;
    expect(synAck.crossings.at(-1)!.label).toBe('198.51.100.10:80 → 203.0.113.7:40000 [SA]');
    const rewrite = synAck.hops.find((h) => h.verdict === 'TRANSLATED')!;
    expect(rewrite.host).toBe(tcp === 'dsr' ? b.node : 'node-a');
    expect(change(rewrite, 'ip.src')).toMatchObject({ from: b.address, to: '198.51.100.10' });
    expect(e.summary.state).toEqual(tcp === 'dsr' ? [{ host: 'node-a', kinds: ['ct-service'] }, { host: b.node, kinds: ['dsr-backend'] }] : [{ host: 'node-a', kinds: ['ct-service', 'ct-nodeport', 'snat-mapping'] }]);
  });

  it('full-size TCP data passes without the option, at 1500 bytes', () => {
    const data = e.packets[2]!;
    expect(data.fate).toMatchObject({ outcome: 'delivered', host: e.flow.backend!.pod });
    expect(data.crossings.map((c) => c.ipLength)).toEqual([1500, 1500, 1500]);
    expect(data.crossings.some((c) => c.label.includes('+DSR opt'))).toBe(false);
    expect(lbIngress(data).backend?.how).toBe('conntrack');
  });

  it('capture points: the SYN is seen by every wire and tcpdump it crosses', () => {
    const b = e.flow.backend!;
    expect(e.packets[0]!.seenBy).toEqual(['wire-client-1', 'wire-node-a', 'tcpdump-node-a', `wire-${b.node}`, `tcpdump-${b.node}`, `wire-${b.pod}`]);
    expect(e.packets[0]!.missedBy).toEqual([]);
    const a = e.tcpdump.find((t) => t.node === 'node-a')!;
    // node-a's tcpdump shows the requests in and out; in DSR no reply, in SNAT both replies too.
    expect(a.shown.map((s) => `${s.direction}#${s.packet}`)).toEqual(tcp === 'dsr' ? ['rx#1', 'tx#1', 'rx#3', 'tx#3'] : ['rx#1', 'tx#1', 'rx#2', 'tx#2', 'rx#3', 'tx#3', 'rx#4', 'tx#4']);
    if (tcp === 'dsr') expect(a.shown[1]!.label).toContain('+DSR opt');
  });

  it('a full-size UDP datagram: ICMP fragmentation-needed with MTU 1492 from node-a in DSR, delivered in SNAT', async () => {
    u = await explain(demoScenario(), { packet: UDP_FULL, mode });
    const p = u.packets[0]!;
    expect(u.flow.service?.forwarding).toBe(udp);
    if (udp === 'dsr') {
      expect(p.fate).toMatchObject({ outcome: 'answered', answeredBy: 'node-a', answer: 'ICMP fragmentation needed mtu 1492', host: 'client-1' });
      const h = lbIngress(p);
      expect(h.verdict).toBe('ANSWERED');
      expect(h.headers.l4?.icmp).toMatchObject({ type: 3, code: 4, mtu: 1492 });
      expect(h.headers.ip).toMatchObject({ src: '198.51.100.10', dst: CLIENT });
      expect(h.headers.quoted?.ip).toMatchObject({ src: CLIENT, dst: '198.51.100.10', totalLength: 1500 });
      expect(p.path).toEqual(['client-1', 'node-a', 'client-1']);
      expect(u.packets).toHaveLength(1); // no reply: the datagram never reached a pod
    } else {
      expect(p.fate).toMatchObject({ outcome: 'delivered' });
      expect(p.crossings.map((c) => c.ipLength)).toEqual([1500, 1500, 1500]);
      expect(u.packets[1]!.fate).toMatchObject({ outcome: 'delivered', host: 'client-1' });
    }
  });

  it('with XDP acceleration, tcpdump on node-a misses what node-a XDP_TX-ed', async () => {
    const x = await explain(demoScenario('native'), { packet: [SYN, DATA], mode });
    const a = x.tcpdump.find((t) => t.node === 'node-a')!;
    expect(a.shown).toEqual([]);
    expect(a.missed.length).toBe(tcp === 'dsr' ? 4 : 8);
    expect(a.missed.every((m) => m.reason.startsWith('XDP_TX on node-a'))).toBe(true);
    const syn = x.packets[0]!;
    expect(steps(syn).slice(0, 4)).toEqual(['client-1/WIRE_TX', 'node-a/WIRE_RX', 'node-a/XDP', 'node-a/WIRE_TX']);
    expect(syn.hops[2]!.action).toMatch(/^XDP_TX/);
    expect(syn.crossings[1]).toMatchObject({ from: 'node-a', xdp: true });
    expect(syn.missedBy).toEqual([{ point: 'tcpdump-node-a', reason: expect.stringContaining('XDP_TX') }]);
    // The backend node is not accelerated away: its tcpdump still sees the request.
    expect(syn.seenBy).toContain(`tcpdump-${x.flow.backend!.node}`);
  });

  it('every hop of every packet parses and carries valid checksums', () => {
    for (const ex of [e, u]) {
      for (const p of ex.packets) {
        for (const h of p.hops) {
          expect(h.headers.error).toBeUndefined();
          expect(h.headers.checksumsValid).toBe(true);
        }
      }
    }
  });
});
