// explain() on every fixture scenario with a SYN to its first frontend, and on the
// tcp-handshake capture (203.0.113.7:40000 → 198.51.100.10:80, 7 client and 5 server packets)
// with the scenarios that serve that address.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/explain/explain.js';
import { InputError } from '../../src/errors.js';
import { loadScenario } from '../../src/scenario/index.js';
import type { Scenario } from '../../src/scenario/types.js';
import { FIXTURES, capture } from '../helpers.js';

const SCENARIOS = readdirSync(join(FIXTURES, 'scenarios')).filter((f) => f.endsWith('.yaml'));

/** A SYN (or UDP datagram) SPEC from the scenario's first client (or a world address) to its first frontend's first port. */
function specFor(s: Scenario): { spec: string; vip: string; port: number } {
  const fe = s.frontends[0]!;
  const svc = s.services.find((x) => x.loadBalancerIPs.includes(fe.address) || x.externalIPs.includes(fe.address))!;
  const port = svc.ports[0]!;
  const v6 = fe.family === 6;
  const client = (v6 ? s.clients.find((c) => c.ipv6)?.ipv6 : s.clients.find((c) => c.ipv4)?.ipv4) ?? (v6 ? '2001:db8:ff::99' : '203.0.113.99');
  const ep = (a: string, p: number) => (v6 ? `[${a}]:${p}` : `${a}:${p}`);
  const proto = port.protocol === 'UDP' ? 'udp' : 'tcp';
  return { spec: `${proto} ${ep(client, 40000)} > ${ep(fe.address, port.port)}${proto === 'tcp' ? ' syn' : ' len=16'}`, vip: fe.address, port: port.port };
}

describe.each(SCENARIOS)('explain on fixtures/scenarios/%s', (file) => {
  it('follows a request to a pod and its reply back, every hop accounted for', async () => {
    // Arrange
    const s = await loadScenario(join(FIXTURES, 'scenarios', file));
    const { spec, vip, port } = specFor(s);
    // Act
    const e = await explain(s, { packet: spec });
    // Assert: the request reached a backend pod (or an LB-local one) and the reply came back from the frontend
    expect(e.input).toEqual({ kind: 'packet', specs: [spec] });
    expect(e.flow.service).toBeDefined();
    expect(e.flow.backend).toBeDefined();
    const req = e.packets[0]!;
    expect(req.role).toBe('request');
    expect(req.fate.outcome).toBe('delivered');
    expect(req.hops.at(-1)!.point).toBe('POD');
    expect(req.hops.find((h) => h.backend)?.backend?.pod).toBe(e.flow.backend!.pod);
    const reply = e.packets.find((p) => p.role === 'reply')!;
    expect(reply.fate.outcome).toBe('delivered');
    expect(e.summary.clientSaw).toMatchObject({ address: vip, port });
    // Hosts: clients first; every packet's path and capture points name hosts of the diagram.
    expect(e.hosts[0]!.kind).toBe('client');
    const names = e.hosts.map((h) => h.name);
    for (const p of e.packets) {
      for (const c of p.crossings) expect(names).toEqual(expect.arrayContaining([c.from, c.to]));
      for (const h of p.hops) expect(h.headers.checksumsValid).toBe(true);
      expect(p.fate.outcome).not.toBe('unaccounted');
    }
  });
});

describe('explain --capture tcp-handshake.pcap --flow 1', () => {
  it.each(['dsr.yaml', 'snat.yaml', 'hybrid.yaml', 'real-capture.yaml'])('replays the flow through %s with the capture as responder', async (file) => {
    // Arrange
    const s = await loadScenario(join(FIXTURES, 'scenarios', file));
    // Act
    const e = await explain(s, { capture: capture('tcp-handshake.pcap'), flow: 1 });
    // Assert: 12 packets, client ones as requests and server ones re-injected at the pod and delivered to the client
    expect(e.input).toMatchObject({ kind: 'capture', flow: 1, flows: 1, capturePackets: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] });
    expect(e.responder).toBe('capture');
    expect(e.flow).toMatchObject({ protocol: 'TCP', client: { address: '203.0.113.7', port: 40000 }, frontend: { address: '198.51.100.10', port: 80 } });
    expect(e.packets).toHaveLength(12);
    expect(e.packets.filter((p) => p.origin === 'client')).toHaveLength(7);
    expect(e.packets.filter((p) => p.origin === 'capture-server')).toHaveLength(5);
    expect(e.packets[0]!.label).toBe('203.0.113.7:40000 → 198.51.100.10:80 [S]');
    expect(e.packets[0]!.captureFrame).toBe(1);
    for (const p of e.packets) expect(p.fate.outcome).toBe('delivered');
    for (const p of e.packets.filter((x) => x.origin === 'capture-server')) {
      expect(p.hops[0]!.host).toBe(e.flow.backend!.pod);
      expect(p.path.at(-1)).toBe('client-1');
      expect(p.crossings.at(-1)!.label).toMatch(/^198\.51\.100\.10:80 → 203\.0\.113\.7:40000/);
    }
  });

  it('names the flows when --flow is out of range', async () => {
    const s = await loadScenario(join(FIXTURES, 'scenarios', 'dsr.yaml'));
    await expect(explain(s, { capture: capture('tcp-handshake.pcap'), flow: 2 })).rejects.toThrow(/holds 1 flow; --flow 2 is not that flow:\n {2}1\. TCP 203\.0\.113\.7:40000 → 198\.51\.100\.10:80 \(7 requests, 5 responses\)/);
  });

  it('numbers flows in order of first appearance, server packets joining their request\'s flow', async () => {
    const s = await loadScenario(join(FIXTURES, 'scenarios', 'real-capture.yaml'));
    const e = await explain(s, { capture: capture('real-http-udp.pcap'), flow: 3 });
    expect(e.input.flows).toBe(4);
    expect(e.flow).toMatchObject({ protocol: 'UDP', client: { address: '203.0.113.7', port: 53000 }, frontend: { address: '198.51.100.10', port: 7777 } });
    expect(e.packets.map((p) => p.origin)).toEqual(['client', 'capture-server']);
  });

  it('refuses --packet with --capture, and --flow without --capture', async () => {
    const s = await loadScenario(join(FIXTURES, 'scenarios', 'dsr.yaml'));
    await expect(explain(s, { capture: capture('tcp-handshake.pcap'), packet: 'tcp 1.2.3.4:1 > 5.6.7.8:9' })).rejects.toThrow(InputError);
    await expect(explain(s, { packet: 'tcp 1.2.3.4:1 > 5.6.7.8:9', flow: 1 })).rejects.toThrow(/--flow picks a flow of --capture/);
    await expect(explain(s, {})).rejects.toThrow(/nothing to explain/);
  });
});
