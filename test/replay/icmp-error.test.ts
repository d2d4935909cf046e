// A captured ICMP error answering a UDP request (port unreachable from the frontend, quoting
// client:cport → VIP:7777), replayed with `--responder capture`: it is re-injected at the pod
// as the pod would send it, translated back by Cilium's datapath (SNAT: the LB node's reverse
// SNAT + rev-DNAT of the quoted flow; DSR: the backend node's xlate_dsr), and reaches the client
// equal to the capture but for TTL and L2.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, tempDir } from '../helpers.js';
import { loadScenario } from '../../src/scenario/index.js';
import { replay } from '../../src/replay.js';
import { buildPacket } from '../../src/packet/build.js';
import { writeCapture } from './helpers.js';

const CLIENT = '203.0.113.7';
const VIP = '198.51.100.10';
const CLIENT6 = '2001:db8:c::7';
const VIP6 = '2001:db8:5::10';

function capture(): Uint8Array[] {
  const req = buildPacket({ ipv4: { src: CLIENT, dst: VIP }, udp: { sport: 40000, dport: 7777 }, payload: 24 });
  const err = buildPacket({ ipv4: { src: VIP, dst: CLIENT }, icmp: { type: 3, code: 3, rest: 0 }, payload: req.subarray(14) });
  const req6 = buildPacket({ ipv6: { src: CLIENT6, dst: VIP6 }, udp: { sport: 40001, dport: 7777 }, payload: 24 });
  const err6 = buildPacket({ ipv6: { src: VIP6, dst: CLIENT6 }, icmpv6: { type: 2, code: 0, rest: 1400 }, payload: req6.subarray(14) });
  return [req, err, req6, err6];
}

describe.each(['snat', 'dsr'] as const)('captured ICMP error, %s', (mode) => {
  it('re-injects it at the pod and the client gets the captured error back', async () => {
    const scenario = await loadScenario(join(FIXTURES, 'scenarios', 'real-capture.yaml'));
    const t = tempDir();
    try {
      const pcap = writeCapture(t.dir, 'icmp-error.pcap', capture());
      const r = await replay(pcap, scenario, { mode, responder: 'capture', out: join(t.dir, 'out') });
      const s = r.summary;
      expect(s.packets.in).toBe(4);
      expect(s.packets.dropped).toBe(0);
      expect(s.packets.unaccounted).toBe(0);
      expect(s.withheld.count).toBe(0);
      expect(s.comparison).toBeDefined();
      expect(s.comparison!.compared).toBe(2);
      expect(s.comparison!.matched).toBe(2);
      expect(s.comparison!.mismatched).toBe(0);
      expect(s.comparison!.notDelivered).toBe(0);
    } finally {
      t.cleanup();
    }
  }, 60_000);
});
