/**
 * render.ts: `dsrlab demo` for the terminal: the scenario in a few lines, then per mode the
 * TCP and UDP flows as sequence diagrams with their header diffs (src/explain/render.ts), what
 * tcpdump on each node saw, the TCP flow again under XDP, and the takeaways. The runs and the
 * facts are demo.ts's.
 */
import pc from '../cli/colour.js';
import { endpointText } from '../explain/headers.js';
import { renderDiagram, renderPacket, renderTcpdump } from '../explain/render.js';
import type { Explanation } from '../explain/types.js';
import type { DemoModeRun, DemoResult } from './demo.js';

const MODE_TITLE: Record<string, string> = { snat: 'SNAT', dsr: 'DSR', hybrid: 'hybrid' };

function rule(title: string): string {
  const t = ` ${title} `;
  return pc.bold('══' + t + '═'.repeat(Math.max(4, 76 - t.length)));
}

/** Hop details for the requests and the first reply of a flow (the diagram shows the rest). */
function details(e: Explanation): string[] {
  const out: string[] = [];
  const firstReply = e.packets.find((p) => p.role === 'reply');
  for (const p of e.packets) {
    if (p.role !== 'request' && p !== firstReply) continue;
    out.push(...renderPacket(p, false).map((l) => '  ' + l));
  }
  return out;
}

function flowBlock(title: string, e: Explanation): string[] {
  const out: string[] = [pc.bold(title), ''];
  out.push(...renderDiagram(e).map((l) => '  ' + l));
  out.push('');
  out.push(...details(e));
  out.push('');
  return out;
}

function modeBlock(run: DemoModeRun): string[] {
  const out: string[] = [];
  const t = run.tcp;
  out.push(rule(`${MODE_TITLE[run.mode]} · loadBalancer.mode=${run.mode}${run.mode !== 'snat' ? ` (dispatch ${t.dispatch})` : ''}`));
  out.push('');
  out.push(...flowBlock(`TCP: SYN, SYN-ACK, then a full-size data segment (${run.facts.tcp.dataAtLb?.in ?? '?'} bytes)`, run.tcp));
  out.push(...flowBlock(`UDP: a query, a full-size datagram (${run.facts.udp.full.size} bytes)${run.facts.udp.retry ? ', and the retry at the advertised MTU' : ''}`, run.udp));
  out.push(pc.bold('what tcpdump would see (TCP flow, then UDP flow)'));
  out.push(...renderTcpdump(run.tcp));
  out.push(...renderTcpdump(run.udp));
  out.push('');
  out.push(pc.bold('the TCP flow again with loadBalancer.acceleration=native (XDP)'));
  out.push('');
  out.push(...renderDiagram(run.xdp).map((l) => '  ' + l));
  out.push('');
  out.push(...renderTcpdump(run.xdp));
  out.push('');
  out.push(pc.bold(`takeaways (${MODE_TITLE[run.mode]})`));
  for (const k of run.takeaways) out.push(`  ${pc.cyan('•')} ${pc.bold(k.topic + ':')} ${k.text}`);
  out.push('');
  return out;
}

/** The whole demo for the terminal. */
export function renderDemo(d: DemoResult): string {
  const s = d.scenario;
  const out: string[] = [];
  out.push(pc.bold('dsrlab demo') + ` — how Cilium's load balancer forwards a flow in ${d.shown.map((m) => MODE_TITLE[m]).join(', ')}`);
  out.push('');
  out.push(`  client ${s.client} sends to the LoadBalancer ${s.frontend}, whose traffic enters at ${s.lbNode};`);
  const pods = [...new Map(s.backends.map((b) => [b.pod, b])).values()];
  out.push(`  the backends run elsewhere: ${pods.map((b) => `${b.pod} (${b.address} on ${b.node ?? '?'})`).join(', ')} — ports ${[...new Set(s.backends.map((b) => `${b.port}/${b.protocol}`))].join(', ')}.`);
  out.push(`  Cilium ${s.ciliumVersion}, MTU ${s.mtu}, pmtuDiscovery ${s.pmtuDiscovery ? 'on' : 'off'}; the echo responder answers in the pods.`);
  out.push(`  Every address, size and count below comes from the emulated datapath's events.`);
  out.push('');
  for (const run of d.modes) out.push(...modeBlock(run));
  if (d.modes.length > 1) {
    out.push(rule('in one line per mode'));
    for (const run of d.modes) {
      const t = run.facts.tcp;
      const u = run.facts.udp;
      out.push(
        `  ${pc.bold(MODE_TITLE[run.mode]!.padEnd(6))} TCP reply ${t.replyPath.length} hosts, backend saw ${t.backendSaw ? endpointText(t.backendSaw.address, t.backendSaw.port) : '?'}${t.backendSaw?.host ? ` (${t.backendSaw.host})` : ''}; ` +
          `UDP ${u.full.size}-byte datagram: ${u.full.icmp ? `ICMP mtu ${u.full.icmp.mtu}` : u.full.outcome}; tcpdump on ${run.facts.tcpdump.withXdp.node} with XDP: ${run.facts.tcpdump.withXdp.shown} packets`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}
