// Every arbitrary dsrlab/testing exports passes the same checks (STYLE: fast-check's own
// helpers): the same seed gives the same values, only valid values appear, values shrink to
// the documented smallest case, and bad constraints are refused with an error that starts with
// the arbitrary's name. Scenario-shaped values are validated by dsrlab's own scenario loader.
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers.js';
import { checkChecksums, parsePackets } from '../../src/packet/parse.js';
import { buildPacket } from '../../src/packet/build.js';
import { parseCidr } from '../../src/scenario/addr.js';
import { scenarioFromObject } from '../../src/scenario/load.js';
import {
  ciliumConfig,
  cluster,
  flow,
  flowPackets,
  flows,
  fromScenario,
  ipv4Address,
  ipv6Address,
  node,
  packet,
  packetFrames,
  packetSpec,
  port,
  service,
  trial,
  type Flow,
  type ScenarioDocument,
} from '../../src/testing/index.js';

const DSR = join(FIXTURES, 'scenarios', 'dsr.yaml');

function inCidr(addr: string, cidr: string): boolean {
  const c = parseCidr(cidr)!;
  const a = parseCidr(`${addr}/${c.family === 4 ? 32 : 128}`)!;
  if (a.family !== c.family) return false;
  for (let i = 0; i < c.prefixLength; i++) if (((a.bytes[i >> 3]! >> (7 - (i & 7))) & 1) !== ((c.bytes[i >> 3]! >> (7 - (i & 7))) & 1)) return false;
  return true;
}

/** A scenario document with the given services, for validating service() values. */
function withObjects(objects: unknown[]): ScenarioDocument {
  return { nodes: [{ name: 'node-a', ipv4: '192.168.10.11', ipv6: 'fd00:10::11' }, { name: 'node-b', ipv4: '192.168.10.12', ipv6: 'fd00:10::12' }], cilium: { ipv6: { enabled: true } }, objects };
}

const load = (doc: ScenarioDocument) => scenarioFromObject(doc, 'generated', process.cwd());

function fitsMtu(f: Flow, mtu: number): boolean {
  return flowPackets(f).every((p) => packetFrames(p).every((fr) => fr.length - 14 <= mtu));
}

interface Case<T> {
  name: string;
  arb: () => fc.Arbitrary<T>;
  /** Only valid values appear. */
  valid: (v: T) => boolean;
  /** What a value shrinks to when every value fails. */
  smallest: T | ((v: T) => void);
}

const CASES: Case<any>[] = [
  { name: 'ipv4Address', arb: () => ipv4Address({ cidrs: ['10.1.0.0/16'] }), valid: (a: string) => inCidr(a, '10.1.0.0/16') && a !== '10.1.0.0' && a !== '10.1.255.255', smallest: '10.1.0.1' },
  { name: 'ipv6Address', arb: () => ipv6Address({ cidrs: ['2001:db8:c::/64', 'fd00::/8'] }), valid: (a: string) => inCidr(a, '2001:db8:c::/64') || inCidr(a, 'fd00::/8'), smallest: '2001:db8:c::1' },
  { name: 'port', arb: () => port({ min: 1024 }), valid: (p: number) => p >= 1024 && p <= 65535, smallest: 1024 },
  {
    name: 'packetSpec',
    arb: () => packetSpec({ maxPayload: 200 }),
    valid: (s: any) => parsePackets([buildPacket(s)])[0]!.ok === true && checkChecksums([buildPacket(s)])[0] === 0,
    smallest: (s: any) => expect(s).toMatchObject({ eth: { vlans: [] }, ipv4: { src: '0.0.0.0', dst: '0.0.0.0' }, tcp: { sport: 1, dport: 1, flags: 0, options: [] }, payload: 0 }),
  },
  {
    name: 'packet',
    arb: () => packet({ mtu: 1400 }),
    valid: (p: any) => packetFrames(p).every((f) => f.length - 14 <= 1400 && checkChecksums([f])[0] !== 1) && (p.fragment === undefined || packetFrames(p).length > 1),
    smallest: { proto: 'tcp', src: '203.0.113.7', dst: '198.51.100.10', sport: 32768, dport: 80, len: 0, flags: ['syn'] },
  },
  {
    name: 'flow',
    arb: () => flow({ scenario: DSR, fragments: true }),
    valid: (f: Flow) => (f.fragment !== undefined ? f.proto === 'udp' : fitsMtu(f, 1500)) && f.client === '203.0.113.7' && ['198.51.100.10', '192.168.10.11', '192.168.10.12', '192.168.10.13'].includes(f.frontend),
    smallest: { proto: 'tcp', client: '203.0.113.7', cport: 32768, frontend: '198.51.100.10', fport: 80, data: [], close: 'fin' },
  },
  {
    name: 'flows',
    arb: () => flows({ scenario: DSR, maxFlows: 5 }),
    valid: (fs: Flow[]) => fs.length >= 1 && fs.length <= 5 && new Set(fs.map((f) => `${f.proto} ${f.client} ${f.cport}`)).size === fs.length,
    smallest: [{ proto: 'tcp', client: '203.0.113.7', cport: 32768, frontend: '198.51.100.10', fport: 80, data: [], close: 'fin' }],
  },
  { name: 'node', arb: () => node({ index: 1, families: ['ipv4', 'ipv6'], zones: ['z1'], mtus: [9000] }), valid: (n: any) => n.name === 'node-b' && n.ipv4 === '192.168.10.12' && n.ipv6 === 'fd00:10::12', smallest: { name: 'node-b', ipv4: '192.168.10.12', ipv6: 'fd00:10::12' } },
  {
    name: 'service',
    arb: () => service({ nodes: ['node-a', 'node-b'], families: ['ipv4', 'ipv6'], terminating: true, affinity: true }),
    valid: (o: any) => load(withObjects([o.service, ...o.endpointSlices])).services[0]!.ports.every((p) => p.backends.length >= 1),
    smallest: (o: any) => {
      const s = load(withObjects([o.service, ...o.endpointSlices]));
      expect(s.pods.map((p) => [p.name, p.node, p.ipv4, p.ipv6])).toEqual([['web-0', 'node-a', '10.244.0.10', 'fd00:10:244::10']]);
      expect(s.services[0]!.sessionAffinity).toBe('None');
    },
  },
  {
    name: 'ciliumConfig',
    arb: () => ciliumConfig({ families: ['ipv4', 'ipv6'] }),
    valid: (c: any) => load({ cilium: c, nodes: [{ name: 'node-a', ipv4: '192.168.10.11', ipv6: 'fd00:10::11' }] }).cilium.loadBalancer.mode === c.loadBalancer.mode,
    smallest: { version: '1.19', ipv4: { enabled: true }, ipv6: { enabled: true }, routingMode: 'native', autoDirectNodeRoutes: true, loadBalancer: { mode: 'snat', dsrDispatch: 'opt', algorithm: 'random', acceleration: 'disabled' }, maglev: { tableSize: 251 }, pmtuDiscovery: { enabled: true }, MTU: 1500 },
  },
  {
    name: 'cluster',
    arb: () => cluster({ families: ['ipv4', 'ipv6'] }),
    valid: (d: ScenarioDocument) => load(d).nodes.length === d.nodes.length,
    smallest: (d: ScenarioDocument) => {
      const s = load(d);
      expect([s.nodes.length, s.clients.length, s.services.length, s.pods.length]).toEqual([1, 1, 1, 1]);
      expect(s.cilium.loadBalancer.mode).toBe('snat');
    },
  },
  {
    name: 'trial',
    arb: () => trial({ cluster: { cilium: { modes: ['dsr'] } } }),
    valid: (t: any) => t.flows.every((f: Flow) => load(t.scenario as ScenarioDocument).clients.some((c) => c.ipv4 === f.client)),
    smallest: (t: any) => expect(t.flows).toEqual([{ proto: 'tcp', client: '203.0.113.7', cport: 32768, frontend: '198.51.100.10', fport: 80, data: [], close: 'fin' }]),
  },
  {
    name: 'fromScenario',
    arb: () => fromScenario(DSR, { modes: ['hybrid', 'dsr'] }),
    valid: (t: any) => t.scenario === DSR && (t.mode === 'hybrid' || t.mode === 'dsr'),
    smallest: { scenario: DSR, mode: 'hybrid', flows: [{ proto: 'tcp', client: '203.0.113.7', cport: 32768, frontend: '198.51.100.10', fport: 80, data: [], close: 'fin' }] },
  },
];

describe.each(CASES)('$name', (c) => {
  it('gives the same values for the same seed', () => {
    expect(fc.sample(c.arb(), { seed: 42, numRuns: 12 })).toEqual(fc.sample(c.arb(), { seed: 42, numRuns: 12 }));
  });
  it('only gives valid values', () => {
    fc.assert(fc.property(c.arb(), c.valid), { numRuns: 40, seed: 7 });
  });
  it('shrinks to the smallest readable case', () => {
    const r = fc.check(fc.property(c.arb(), () => false), { seed: 11, numRuns: 5 });
    const v = r.counterexample![0];
    if (typeof c.smallest === 'function') c.smallest(v);
    else expect(v).toEqual(c.smallest);
  });
});

describe('constraints', () => {
  it.each([
    ['ipv4Address', () => ipv4Address({ cidrs: ['10.0.0.1/8'] }), /^ipv4Address: cidr "10\.0\.0\.1\/8" is not an IPv4 CIDR/],
    ['ipv6Address', () => ipv6Address({ cidrs: ['10.0.0.0/8'] }), /^ipv6Address: cidr "10\.0\.0\.0\/8" is not an IPv6 CIDR/],
    ['port', () => port({ min: 10, max: 5 }), /^port: min and max must be whole numbers/],
    ['packet', () => packet({ protocols: ['sctp' as 'tcp'] }), /^packet: protocols has "sctp", which is not one of tcp, udp, icmp/],
    ['flow', () => flow({ targets: ['tcp 198.51.100.10'] }), /^flow: target "tcp 198\.51\.100\.10" is not PROTO ADDR:PORT/],
    ['flows', () => flows({ minFlows: 3, maxFlows: 2 }), /^flows: minFlows and maxFlows must be/],
    ['node', () => node({ families: [] }), /^node: families must list at least one value/],
    ['service', () => service({ nodes: [] }), /^service: nodes must list at least one value/],
    ['ciliumConfig', () => ciliumConfig({ tableSizes: [100] }), /^ciliumConfig: tableSizes has 100, which is not one of 251/],
    ['cluster', () => cluster({ nodes: { min: 0, max: 2 } }), /^cluster: nodes must be whole numbers with 1 <= min/],
    ['fromScenario', () => fromScenario(''), /^fromScenario: path must name a scenario file/],
  ] as const)('%s refuses bad constraints, naming itself', (_, make, msg) => {
    expect(make).toThrow(msg);
  });

  it('ipv4Address and ipv6Address shrink values they did not generate', () => {
    expect(ipv4Address({ cidrs: ['10.1.0.0/16'] }).canShrinkWithoutContext('10.1.2.3')).toBe(true);
    expect(ipv4Address({ cidrs: ['10.1.0.0/16'] }).canShrinkWithoutContext('10.2.0.1')).toBe(false);
    expect(ipv6Address({ cidrs: ['2001:db8:c::/64'] }).canShrinkWithoutContext('2001:db8:c::7')).toBe(true);
  });

  it('targets and clients can be given without a scenario, and a scenario without clients of a family is refused', () => {
    const fs = fc.sample(flow({ clients: ['10.9.0.0/24'], targets: ['udp 10.8.0.1:53'] }), { seed: 1, numRuns: 20 });
    expect(fs.every((f) => f.proto === 'udp' && inCidr(f.client, '10.9.0.0/24') && f.frontend === '10.8.0.1' && f.fport === 53)).toBe(true);
    expect(() => flow({ scenario: DSR, families: ['ipv6'] })).toThrow(/^flow: no target fits/);
  });
});
