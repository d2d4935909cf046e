// The property suite is not vacuous: the trials datapath.property.test.ts generates (same
// constraints, a fixed seed) reach every situation the DESIGN invariants talk about, in each
// mode: DSR and SNAT flows to remote backends, TCP segments after a SYN, oversize requests
// answered with ICMP too-big, SNAT mappings and reverse NAT, Maglev selections on several
// nodes, IPv4 fragments, IPv6, XDP. An invariant whose situation never arises checks nothing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runTrial, type TrafficRun } from '../../src/testing/index.js';
import { MODES, trials } from './setup.js';

const SAMPLES = 45;

function situations(run: TrafficRun): Set<string> {
  const s = new Set<string>();
  const lbNode = new Map<number, string>();
  for (const h of run.hops) {
    if (h.backend && (h.point === 'TC_INGRESS' || h.point === 'XDP') && !lbNode.has(h.pkt)) lbNode.set(h.pkt, h.hostName);
    if (h.point === 'XDP') s.add('XDP');
    if (h.verdict === 'ANSWERED') s.add('ICMP answer');
    if (h.snat && !h.reply) s.add('SNAT mapping');
    if (h.reply && h.verdict === 'TRANSLATED' && (h.point === 'TC_INGRESS' || h.point === 'XDP')) s.add('reverse NAT at the LB node');
    if (h.dsr) s.add('DSR info attached');
    if (h.slot && h.hash) s.add('Maglev selection');
    if (h.point === 'CLIENT' && h.reply) s.add('reply at a client');
  }
  const maglevNodes = new Set(run.hops.filter((h) => h.slot && h.hash).map((h) => h.hostName));
  if (maglevNodes.size > 1) s.add('Maglev on several nodes');
  for (const i of run.inputs) {
    if (i.fragment) s.add('IPv4 fragments');
    if (i.packet.src.includes(':')) s.add('IPv6');
    if (i.packet.proto === 'tcp' && i.index > 0) s.add('TCP segment after the SYN');
    const pod = run.hops.find((h) => h.pkt === i.id && h.point === 'POD');
    const lb = lbNode.get(i.id);
    if (pod && lb && run.cluster.controlPlane.hostByName.get(pod.hostName)?.node !== lb) s.add(`${i.packet.proto} to a remote backend`);
  }
  return s;
}

describe.each(MODES)('%s mode: the generated trials reach', (mode) => {
  const seen = new Map<string, number>();
  const sample = () => {
    if (seen.size) return seen;
    for (const families of [['ipv4'], ['ipv6'], ['ipv4', 'ipv6']] as ('ipv4' | 'ipv6')[][]) {
      for (const t of fc.sample(trials(mode, families), { numRuns: SAMPLES / 3, seed: 20260101 })) {
        for (const k of situations(runTrial(t))) seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    }
    return seen;
  };
  const expected = [
    'reply at a client',
    'tcp to a remote backend',
    'udp to a remote backend',
    'TCP segment after the SYN',
    'IPv4 fragments',
    'IPv6',
    'XDP',
    'Maglev selection',
    'Maglev on several nodes',
    ...(mode === 'snat' ? ['SNAT mapping', 'reverse NAT at the LB node'] : []),
    ...(mode === 'dsr' ? ['DSR info attached', 'ICMP answer'] : []),
    ...(mode === 'hybrid' ? ['DSR info attached', 'SNAT mapping', 'reverse NAT at the LB node'] : []),
  ];
  it.each(expected)('%s', (what) => {
    expect(sample().get(what) ?? 0, `no trial in ${SAMPLES} reached "${what}"`).toBeGreaterThan(0);
  });
});
