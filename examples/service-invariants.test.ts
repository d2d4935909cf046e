/**
 * service-invariants.test.ts: an example property test of a Service's load-balancing, to copy
 * into your repository next to your scenario (scenario.yaml here). It generates traffic from
 * the scenario's clients to its frontends, runs it through the emulated cluster, and checks
 * dsrlab's invariants plus one of our own. In your repository import from 'dsrlab/testing';
 * this copy imports the source so it runs in dsrlab's own test suite and cannot rot.
 */
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { asymmetricPath, checkScenario, dropReasonName, flows, mtuSafety, synOnlyOption, transparency, violation, type TrafficRun } from '../src/testing/index.js';

const scenario = fileURLToPath(new URL('./scenario.yaml', import.meta.url));

/**
 * Our own invariant: no request vanishes. Every packet a client sends reaches a pod, or the
 * client hears back why (an ICMP error). Like dsrlab's invariants it returns undefined when it
 * holds and an explanation when not; `violation` formats it and names the packet, so the
 * counterexample comes with a `dsrlab explain` command for that packet.
 */
function everyRequestAnswered(run: TrafficRun): string | undefined {
  for (const sent of run.inputs) {
    const hops = run.hops.filter((h) => h.pkt === sent.id);
    if (hops.some((h) => h.point === 'POD' || h.verdict === 'ANSWERED')) continue;
    const end = hops.find((h) => h.final);
    return violation(
      run,
      'everyRequestAnswered: every request reaches a pod or is answered with an ICMP error',
      [
        `packet ${sent.id} of flow ${sent.flow}: ${sent.packet.proto} ${sent.packet.src}:${sent.packet.sport} > ${sent.packet.dst}:${sent.packet.dport}, ${sent.packet.len} bytes of payload`,
        'expected: a pod receives it, or the client gets an ICMP error',
        `seen: ${end ? `${end.verdict.toLowerCase()} at ${end.hostName} ${end.point}${end.drop ? ` (${dropReasonName(end.drop)})` : ''}` : 'no trace'}, and nothing came back`,
      ],
      sent.id,
    );
  }
  return undefined;
}

describe('the web Service (examples/scenario.yaml)', () => {
  it('keeps DSR replies off the load-balancing node and answers every request, whatever its size', () => {
    checkScenario({
      scenario,
      mode: 'dsr',
      flows: flows({ scenario, protocols: ['tcp', 'udp'], maxFlows: 3 }),
      invariants: [transparency, asymmetricPath, synOnlyOption, mtuSafety, everyRequestAnswered],
      numRuns: 120,
    });
  });

  it('sends TCP as DSR and UDP as SNAT in hybrid mode, transparently', () => {
    checkScenario({ scenario, mode: 'hybrid', invariants: [transparency, asymmetricPath], numRuns: 50 });
  });
});
