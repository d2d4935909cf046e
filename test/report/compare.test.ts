// compare(): one capture under several modes, lined up flow by flow. The real kernel capture
// (fixtures/captures/real-http-udp.pcap + scenarios/real-capture.yaml: LB node node-a, backends
// on node-b/node-c) shows the lesson: in SNAT the reply comes back through the LB node and the
// backend sees the node's address; in DSR the reply skips it and the backend sees the client;
// hybrid does DSR for TCP and SNAT for UDP. The link totals are what replay --out's pcaps hold.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readAllPackets } from '../../src/capture/reader.js';
import { compare, parseModes, type CompareFlow, type CompareResult } from '../../src/report/compare.js';
import { renderCompare } from '../../src/report/compare-text.js';
import { loadScenario } from '../../src/scenario/index.js';
import { replay } from '../../src/replay.js';
import { InputError } from '../../src/errors.js';
import { capture, FIXTURES, tempDir } from '../helpers.js';

const REAL = capture('real-http-udp.pcap');
const REAL_SCENARIO = join(FIXTURES, 'scenarios', 'real-capture.yaml');
const NODE4 = '192.168.10.11';
const NODE6 = 'fd00:10::11';
const CLIENT4 = '203.0.113.7';
const CLIENT6 = '2001:db8:c::7';

let r: CompareResult;
beforeAll(async () => {
  r = await compare(REAL, REAL_SCENARIO, { modes: ['snat', 'dsr', 'hybrid'] });
}, 120_000);

const flow = (proto: string, family: 4 | 6): CompareFlow => {
  const f = r.flows.find((x) => x.protocol === proto && x.family === family);
  if (!f) throw new Error(`no ${proto} IPv${family} flow`);
  return f;
};

describe('compare on the real capture', () => {
  it('runs every mode on the same capture with the same responder', () => {
    expect(r.modes).toEqual(['snat', 'dsr', 'hybrid']);
    expect(r.responder).toBe('capture');
    expect(r.runs.map((x) => x.mode)).toEqual(['snat', 'dsr', 'hybrid']);
    for (const run of r.runs) {
      expect(run.packets).toMatchObject({ in: 77, delivered: 77, dropped: 0, answered: 0, toStack: 0 });
      expect(run.dropReasons).toEqual({});
      expect(run.comparison?.mismatched).toBe(0);
    }
  });

  it('finds the four flows (TCP and UDP, IPv4 and IPv6), each present in every mode', () => {
    expect(r.flows.map((f) => `${f.protocol}/${f.family}`)).toEqual(['TCP/4', 'TCP/6', 'UDP/4', 'UDP/6']);
    expect(flow('TCP', 4)).toMatchObject({ client: CLIENT4, clientPort: 55656, frontend: '198.51.100.10', frontendPort: 80, label: 'TCP 203.0.113.7:55656 → 198.51.100.10:80' });
    for (const f of r.flows) for (const m of r.modes) expect(f.modes[m], `${f.label} ${m}`).not.toBeNull();
    // Requests and replies add up to the capture: 37 client packets, 40 server packets.
    for (const m of r.modes) {
      expect(r.flows.reduce((n, f) => n + f.modes[m]!.packets.requests, 0)).toBe(37);
      expect(r.flows.reduce((n, f) => n + f.modes[m]!.packets.replies, 0)).toBe(40);
    }
  });

  it('SNAT: replies return through the LB node, the backend sees the node address, SNAT ports are listed', () => {
    for (const f of r.flows) {
      const s = f.modes.snat!;
      expect(s.forwarding).toBe('snat');
      expect(s.lbNode).toBe('node-a');
      expect(s.replyViaLbNode).toBe(true);
      expect(s.replyPath).toEqual([s.backends[0], s.requestPath[2], 'node-a', 'client-1']);
      expect(s.hops).toEqual({ request: { typical: 3, min: 3, max: 3 }, reply: { typical: 3, min: 3, max: 3 } });
      const node = f.family === 4 ? NODE4 : `[${NODE6}]`;
      expect(s.backendSaw.every((a) => a.startsWith(`${node}:`)), s.backendSaw.join()).toBe(true);
      expect(s.snatPorts.length).toBeGreaterThan(0);
      expect(s.backendSaw).toContain(`${node}:${s.snatPorts[0]}`);
    }
  });

  it('DSR: replies skip the LB node (one hop fewer), the backend sees the client address, no SNAT', () => {
    for (const f of r.flows) {
      const s = f.modes.dsr!;
      expect(s.forwarding).toBe('dsr');
      expect(s.replyViaLbNode).toBe(false);
      expect(s.replyPath).not.toContain('node-a');
      expect(s.replyPath[s.replyPath.length - 1]).toBe('client-1');
      expect(s.hops.request?.typical).toBe(3);
      expect(s.hops.reply?.typical).toBe(2);
      const client = f.family === 4 ? CLIENT4 : `[${CLIENT6}]`;
      expect(s.backendSaw).toEqual([`${client}:${f.clientPort}`]);
      expect(s.snatPorts).toEqual([]);
      // Transparency: the client saw replies from the frontend it talked to.
      expect(s.clientSaw).toEqual([f.family === 4 ? `${f.frontend}:${f.frontendPort}` : `[${f.frontend}]:${f.frontendPort}`]);
    }
  });

  it('hybrid: TCP behaves as DSR, UDP as SNAT', () => {
    for (const f of r.flows) {
      const h = f.modes.hybrid!;
      const like = f.protocol === 'TCP' ? f.modes.dsr! : f.modes.snat!;
      expect(h.forwarding).toBe(like.forwarding);
      expect(h.replyPath).toEqual(like.replyPath);
      expect(h.hops).toEqual(like.hops);
      expect(h.backendSaw).toEqual(like.backendSaw);
    }
  });

  it('the same backend is chosen in every mode (Maglev over the same flow)', () => {
    for (const f of r.flows) expect(new Set(r.modes.map((m) => f.modes[m]!.backends.join()))).toHaveProperty('size', 1);
  });

  it('counts bytes per link as the wire-<host>.pcap files of replay --out hold them', async () => {
    const t = tempDir();
    try {
      const sc = await loadScenario(REAL_SCENARIO, { overrides: { loadBalancerMode: 'snat' } });
      await replay(REAL, sc, { mode: 'snat', responder: 'capture', out: t.dir });
      const snat = r.runs[0]!;
      for (const [host, l] of Object.entries(snat.links)) {
        const pkts = readAllPackets(join(t.dir, 'points', `wire-${host}.pcap`));
        expect({ host, packets: pkts.length, bytes: pkts.reduce((n, p) => n + p.data.length, 0) }).toEqual({ host, packets: l.packets, bytes: l.bytes });
      }
    } finally {
      t.cleanup();
    }
    // The client's link carries the same frames in every mode; the LB node's carries every reply
    // twice in SNAT and none in DSR.
    const [snat, dsr, hybrid] = r.runs;
    expect(snat!.links['client-1']).toEqual(dsr!.links['client-1']);
    expect(snat!.links['node-a']!.bytes).toBe(2 * snat!.links['client-1']!.bytes);
    expect(dsr!.links['node-a']!.packets).toBe(37 * 2);
    expect(hybrid!.links['node-a']!.bytes).toBeGreaterThan(dsr!.links['node-a']!.bytes);
    expect(hybrid!.links['node-a']!.bytes).toBeLessThan(snat!.links['node-a']!.bytes);
    // The DSR option rides on the SYN and on each UDP datagram: 8 bytes (IPv4) / 24 (IPv6) on node-c's and node-b's links.
    expect(dsr!.links['node-c']!.bytes - snat!.links['node-c']!.bytes).toBe(8);
    expect(dsr!.links['node-b']!.bytes - snat!.links['node-b']!.bytes).toBe(24 + 8 + 24);
  });

  it('renders one aligned column per mode', () => {
    const text = renderCompare(r);
    const lines = text.split('\n');
    const header = lines.find((l) => /snat\s+dsr\s+hybrid/.test(l))!;
    expect(header).toBeDefined();
    expect(text).toMatch(/flow 1 {2}TCP 203\.0\.113\.7:55656 → 198\.51\.100\.10:80/);
    const reply = lines.find((l) => l.trim().startsWith('reply path'))!;
    // Columns start where the header's mode names start.
    expect(reply.indexOf('web-c→node-c→node-a→client-1')).toBe(header.indexOf('snat'));
    expect(reply.indexOf('web-c→node-c→client-1')).toBe(header.indexOf('dsr'));
    expect(text).toMatch(/flows replying via LB node\s+4 of 4\s+0 of 4\s+2 of 4/);
    expect(text).toMatch(/wire-client-1\s+49,221 B \(77 frames\)/);
  });
});

describe('compare: MTU, ICMP errors and fragments', () => {
  it('a full-size UDP datagram is answered with fragmentation-needed under DSR opt, not under SNAT', async () => {
    const c = await compare(capture('udp.pcap'), REAL_SCENARIO, { modes: ['snat', 'dsr'] });
    expect(c.flows).toHaveLength(1);
    const f = c.flows[0]!;
    expect(f.modes.snat!.mtu).toEqual({ answered: 0, dropped: 0 });
    expect(f.modes.snat!.icmpErrors).toEqual({});
    expect(f.modes.dsr!.mtu).toEqual({ answered: 1, dropped: 0 });
    expect(f.modes.dsr!.icmpErrors).toEqual({ 'frag needed mtu 1492 from node-a': 1 });
    expect(f.modes.dsr!.packets.icmpErrors).toBe(1);
    expect(f.modes.dsr!.fates.answered).toBe(1);
    expect(c.runs[1]!.packets.answered).toBe(1);
  });

  it('puts later fragments in the flow of their first fragment', async () => {
    const c = await compare(capture('fragments.pcap'), REAL_SCENARIO, { modes: ['snat', 'dsr'] });
    expect(c.flows.map((f) => f.label)).toEqual(['UDP 203.0.113.7:53001 → 198.51.100.10:7777', 'UDP [2001:db8:c::7]:5001 → [2001:db8:5::10]:7777']);
    expect(c.flows[0]!.modes.snat!.packets.requests).toBe(3);
    expect(c.flows[0]!.modes.snat!.fates.delivered).toBe(3);
    // DSR: the first two fragments are answered (frag needed), the last is dropped at the backend's node.
    expect(c.flows[0]!.modes.dsr!.fates).toMatchObject({ answered: 2, dropped: 1 });
    expect(c.flows[0]!.modes.dsr!.drops).toEqual({ DROP_FRAG_NOT_FOUND: 1 });
  });
});

describe('compare: input checks', () => {
  it.each([
    ['snat,dsr', ['snat', 'dsr']],
    [' hybrid ', ['hybrid']],
  ])('parses --modes %j', (text, modes) => {
    expect(parseModes(text)).toEqual(modes);
  });

  it.each([
    ['', /no mode given/],
    ['snat,bogus', /"bogus" is not a load-balancer mode: allowed values are snat, dsr, hybrid/],
    ['dsr,dsr', /listed twice/],
  ])('rejects --modes %j', (text, msg) => {
    expect(() => parseModes(text)).toThrow(InputError);
    expect(() => parseModes(text)).toThrow(msg);
  });

  it('accepts a loaded Scenario as well as a file', async () => {
    const sc = await loadScenario(REAL_SCENARIO);
    const c = await compare(capture('udp.pcap'), sc, { modes: ['dsr'], responder: 'echo' });
    expect(c.responder).toBe('echo');
    expect(c.runs[0]!.mode).toBe('dsr');
  });
});

