// The Cluster library object: frames in, hops out, with the state each hop created.
import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, tempDir } from '../helpers.js';
import { loadScenario } from '../../src/scenario/index.js';
import { Cluster } from '../../src/cluster.js';
import { buildPacket } from '../../src/packet/build.js';

const syn = (dport = 80) => buildPacket({ ipv4: { src: '203.0.113.7', dst: '198.51.100.10' }, tcp: { sport: 40000, dport, flags: 'S', seq: 7 } });

describe('Cluster', () => {
  it('SNAT: the LB creates the service entry, the nodeport entry and a NAT mapping; the echo SYN-ACK reaches the client from the VIP', async () => {
    const c = Cluster.fromScenario(await loadScenario(join(FIXTURES, 'scenarios', 'snat.yaml')), { responder: 'echo' });
    const hops = c.send([{ frame: syn() }]);
    const lb = hops.find((h) => h.pkt === 0 && h.point === 'TC_INGRESS');
    expect(lb?.hostName).toBe('node-a');
    expect(lb?.created).toEqual(expect.arrayContaining(['ct-service', 'snat-mapping']));
    const reply = hops.filter((h) => h.pkt !== 0 && h.point === 'CLIENT');
    expect(reply).toHaveLength(1);
    expect(reply[0]!.hostName).toBe('client-1');
  });

  it('DSR: the backend node records the flow (dsr-backend) and the reply never crosses the LB node', async () => {
    const c = Cluster.fromScenario(await loadScenario(join(FIXTURES, 'scenarios', 'dsr.yaml')), { responder: 'echo' });
    const hops = c.send([{ frame: syn() }]);
    const pod = hops.find((h) => h.pkt === 0 && h.point === 'POD')!;
    if (pod.hostName !== 'web-a') {
      expect(hops.some((h) => h.pkt === 0 && h.created.includes('dsr-backend'))).toBe(true);
      const replyHosts = hops.filter((h) => h.pkt !== 0).map((h) => h.hostName);
      expect(replyHosts).not.toContain('node-a');
    }
  });

  it('keeps state between calls and names unknown senders', async () => {
    const c = Cluster.fromScenario(await loadScenario(join(FIXTURES, 'scenarios', 'snat.yaml')), { responder: 'none' });
    const first = c.send([{ frame: syn() }]);
    const second = c.send([{ frame: buildPacket({ ipv4: { src: '203.0.113.7', dst: '198.51.100.10' }, tcp: { sport: 40000, dport: 80, flags: 'A', seq: 8 } }) }]);
    expect(first.find((h) => h.point === 'TC_INGRESS')!.created).toContain('ct-service');
    expect(second.find((h) => h.point === 'TC_INGRESS')!.created).not.toContain('ct-service');
    expect(second[0]!.pkt).toBe(1);
    expect(() => c.send([{ frame: syn(), from: 'nobody' }])).toThrow(/no host named/);
  });

  it('IPv6 fragments: from 1.18 the later fragment follows its first (tc_nodeport_lb6_fragment1/2); before, DROP_FRAG_NOSUPPORT', async () => {
    const tmp = tempDir('dsrlab-frag6-');
    try {
      const src = '2001:db8:c::7', dst = '2001:db8:100::10';
      const first = buildPacket({ ipv6: { src, dst, ext: [{ type: 'fragment', offset: 0, more: true, id: 77 }] }, udp: { sport: 5000, dport: 53 }, payload: 64 });
      const later = buildPacket({ ipv6: { src, dst, ext: [{ type: 'fragment', offset: 72, more: false, id: 77 }] }, raw: { protocol: 17 }, payload: 40 });
      const orphan = buildPacket({ ipv6: { src, dst, ext: [{ type: 'fragment', offset: 72, more: false, id: 78 }] }, raw: { protocol: 17 }, payload: 40 });
      const fates = async (version: string, mode: 'snat' | 'dsr') => {
        const file = join(tmp.dir, `s-${version}.yaml`);
        writeFileSync(file, readFileSync(join(FIXTURES, 'scenarios', 'dsr-ipv6.yaml'), 'utf8').replace('cilium:\n', `cilium:\n  version: "${version}"\n`));
        const c = Cluster.fromScenario(await loadScenario(file, { overrides: { loadBalancerMode: mode } }), { responder: 'none' });
        const hops = c.send([{ frame: first }, { frame: later }, { frame: orphan }]);
        c.close();
        return [0, 1, 2].map((pkt) => {
          const f = hops.find((h) => h.pkt === pkt && h.final)!;
          return f.verdict === 'DROPPED' ? `${f.hostName} ${f.drop}` : `${f.hostName} ${f.verdict}`;
        });
      };
      for (const mode of ['snat', 'dsr'] as const) {
        const recent = await fates('1.18', mode);
        expect(recent[0]).toMatch(/^pod-.* DELIVERED$/);
        expect(recent[1]).toBe(recent[0]);
        expect(recent[2]).toBe('node-a -175'); // DROP_FRAG_NOT_FOUND
        expect(await fates('1.17', mode)).toEqual(['node-a -157', 'node-a -157', 'node-a -157']); // DROP_FRAG_NOSUPPORT
      }
    } finally {
      tmp.cleanup();
    }
  });

  it('echo responder: the answer to a GSO-sized segment (as captures taken with TSO show) is MSS-sized and reaches the client', async () => {
    const src = '203.0.113.7', dst = '198.51.100.10';
    for (const mode of ['snat', 'dsr'] as const) {
      const c = Cluster.fromScenario(await loadScenario(join(FIXTURES, 'scenarios', 'real-capture.yaml'), { overrides: { loadBalancerMode: mode } }), { responder: 'echo' });
      const hops = c.send([
        { frame: buildPacket({ ipv4: { src, dst }, tcp: { sport: 40000, dport: 80, flags: 'S', seq: 1 } }) },
        { frame: buildPacket({ ipv4: { src, dst }, tcp: { sport: 40000, dport: 80, flags: 'A', seq: 2, ack: 1 } }) },
        { frame: buildPacket({ ipv4: { src, dst }, tcp: { sport: 40000, dport: 80, flags: 'PA', seq: 2, ack: 1 }, payload: 5000 }) },
      ]);
      c.close();
      const answer = hops.filter((h) => h.parent === 2 && h.pkt !== 2);
      expect(answer.length).toBeGreaterThan(0);
      const last = answer[answer.length - 1]!;
      expect(`${last.hostName} ${last.verdict}`).toBe('client-1 DELIVERED');
      expect(last.frame.length).toBe(14 + 20 + 20 + 1460); // MTU 1500: a 1460-byte segment
    }
  });
});
