/**
 * mtuSafety.ts: the `mtuSafety` invariant (DESIGN "MTU"): no packet leaves a hop larger than that
 * link's MTU, and a request that outgrows the LB node's MTU through the DSR option or
 * encapsulation is answered (with pmtuDiscovery.enabled) with exactly one ICMP
 * fragmentation-needed / packet-too-big whose MTU lets a retry through: the retry, sent after
 * the same traffic through a fresh cluster, must reach a pod. Without pmtuDiscovery Cilium sends
 * the packet anyway and the wire drops it; that is expected and not reported.
 */
import { DROP_FRAG_NEEDED_CODE } from './_internals/codes.js';
import { isMadePacket } from '../../datapath/events.js';
import { packetFrames } from '../traffic.js';
import { rerun, type TrafficRun } from '../run.js';
import { analyse, expectedForwarding, finalHop, flowText, frameText, hopText, packetText } from './_internals/analysis.js';
import { violation } from './_internals/report.js';

const RULE = 'mtuSafety: nothing leaves a hop above its MTU; a request the DSR overhead makes too big gets exactly one ICMP too-big whose MTU lets a retry through';
/** Retries run per trial at most (each builds a cluster). */
const MAX_RETRIES = 2;

/**
 * For checking MTU handling: link MTUs respected, one useful ICMP error per oversize request.
 * @param run - a TrafficRun (runTrial)
 * @returns undefined when it holds, else the packet, the hop, expected and seen
 * @remarks Since 0.1.0
 * @public
 */
export function mtuSafety(run: TrafficRun): string | undefined {
  const a = analyse(run);
  const mtuOf = (host: string | undefined) => (host ? (a.hostMtu.get(host) ?? 0) : 0);
  const linkMtu = (x: string, y: string | undefined) => {
    const m = [mtuOf(x), mtuOf(y)].filter((v) => v > 0);
    return m.length ? Math.min(...m) : 0;
  };
  // 1. No frame on any link above its MTU (a packet that came in oversize is the sender's doing).
  for (const t of a.packets.values()) {
    const wires = t.hops.filter((i) => run.hops[i]!.point === 'WIRE_TX');
    const first = wires[0];
    if (first !== undefined && !isMadePacket(t.id)) {
      const m = linkMtu(run.hops[first]!.hostName, run.hops[first]!.peerName);
      if (m && a.view(first).l3Len > m) continue;
    }
    for (const i of wires) {
      const h = run.hops[i]!;
      if (h.final) continue; // dropped there, never left
      const m = linkMtu(h.hostName, h.peerName);
      const len = a.view(i).l3Len;
      if (m && len > m) return violation(run, RULE, [packetText(a, t.id), `expected: at most ${m} bytes of IP on the link ${h.hostName} → ${h.peerName}`, `seen: ${frameText(a.view(i))} at ${hopText(run, i)}`], t.parent);
    }
  }
  // 2. Oversize after the DSR overhead: one ICMP error back, never a silent drop.
  const pmtu = run.scenario.cilium.pmtuDiscovery.enabled;
  let retries = 0;
  for (const s of run.inputs) {
    const t = a.packets.get(s.id);
    if (!t) continue;
    const sent = a.view(t.hops[0]!).l3Len;
    const fin = finalHop(a, s.id);
    const ft = a.flows[s.flow]!;
    const dsr = expectedForwarding(a, ft) === 'dsr';
    if (fin !== undefined && pmtu && dsr) {
      const h = run.hops[fin]!;
      if (h.verdict === 'DROPPED' && h.drop === DROP_FRAG_NEEDED_CODE && h.point === 'WIRE_TX' && a.view(fin).l3Len > sent) {
        return violation(run, RULE, [flowText(a, s.flow), packetText(a, s.id), `expected: with pmtuDiscovery.enabled, exactly one ICMP fragmentation-needed back to the client once the DSR overhead takes it past the MTU (${sent} bytes sent)`, `seen: no ICMP error; it grew to ${a.view(fin).l3Len} bytes and was dropped (DROP_FRAG_NEEDED) at ${hopText(run, fin)}, MTU ${linkMtu(h.hostName, h.peerName)}`], s.id);
      }
    }
    const tooBig = (i: number) => {
      const v = a.view(i);
      return (v.proto === 1 && v.icmpType === 3 && v.icmpCode === 4) || (v.proto === 58 && v.icmpType === 2);
    };
    const answeredAt = t.hops.find((i) => run.hops[i]!.verdict === 'ANSWERED' && tooBig(i));
    if (answeredAt === undefined) continue;
    const client = a.senderName(s.packet.src);
    const errors = [s.id, ...ft.replies.filter((r) => a.packets.get(r)!.parent === s.id)].filter((id) => {
      const f = finalHop(a, id);
      return f !== undefined && tooBig(f) && run.hops[f]!.point === 'CLIENT' && run.hops[f]!.hostName === client;
    });
    if (errors.length !== 1) {
      return violation(run, RULE, [flowText(a, s.flow), packetText(a, s.id), `expected: exactly one ICMP too-big delivered to ${client} (the answer at ${hopText(run, answeredAt)})`, `seen: ${errors.length}`], s.id);
    }
    const err = a.view(finalHop(a, errors[0]!)!);
    const mtu = err.icmpMtu ?? 0;
    const min = err.family === 6 ? 1280 : 68;
    if (mtu < min || mtu >= sent) {
      return violation(run, RULE, [flowText(a, s.flow), packetText(a, s.id), `expected: the ICMP error's MTU between ${min} and ${sent - 1} (the request was ${sent} bytes)`, `seen: MTU ${mtu}`], s.id);
    }
    if (retries++ >= MAX_RETRIES || s.fragment) continue;
    // The client's retry: the same packet, cut to the MTU the error gave, after the same traffic.
    const cut = sent - mtu;
    if (cut > s.packet.len) continue; // headers alone are too big: nothing a retry could change
    const retry = { ...s.packet, len: s.packet.len - cut };
    const frames = [...run.inputs.slice(0, s.id).map((x) => x.frame), ...packetFrames(retry)];
    const hops = rerun(run, frames);
    const mine = hops.filter((h) => h.pkt === s.id);
    const end = mine.find((h) => h.final);
    if (!end || end.point !== 'POD') {
      const how = !end ? 'no final fate' : `${end.verdict}${end.drop ? ` (drop ${end.drop})` : ''} at ${end.hostName} ${end.point}`;
      return violation(run, RULE, [flowText(a, s.flow), packetText(a, s.id), `the ICMP error said MTU ${mtu}; the retry (len=${retry.len}, ${mtu} bytes of IP) should reach a pod`, `seen: ${how}${mine.some((h) => h.verdict === 'ANSWERED') ? ', answered with another ICMP error' : ''}`], s.id);
    }
  }
  return undefined;
}
