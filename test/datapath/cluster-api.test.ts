// The Cluster library object: frames in, hops out, with the state each hop created.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';
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
});
