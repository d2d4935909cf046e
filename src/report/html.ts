/**
 * html.ts: the HTML report as one self-contained document: inline CSS, inline SVG, no script
 * and nothing fetched. It holds the replay's summary (fates, drops by reason with Hubble's
 * names, backend distribution, hooks per node), the legend, an index of flows and a sequence
 * diagram per flow (in <details>, so long reports stay scannable without JavaScript). The
 * pictures are bar-chart-svg.ts, legend-svg.ts and sequence-svg.ts; running the replay is
 * report.ts's.
 */
import type { ControlPlane } from '../datapath/control-plane.js';
import { dropReasonByName } from '../datapath/drop-reasons.js';
import type { ReplaySummary } from '../replay.js';
import { backendBarChart } from './bar-chart-svg.js';
import { flowModeStats } from './compare.js';
import { flowLabel } from './flow-key.js';
import { legendSvg } from './legend-svg.js';
import { sequenceSvg, type HostKind } from './sequence-svg.js';
import { esc, REWRITE_COLOUR } from './svg.js';
import type { FlowTrace } from './trace.js';

export interface ReportHtmlInput {
  summary: ReplaySummary;
  flows: FlowTrace[];
  controlPlane: ControlPlane;
  /** Flows drawn (the collector traced this many). */
  maxFlows: number;
  /** Packets drawn per flow at most (before the dropped/answered extras). */
  packetsPerFlow: number;
  /** e.g. `dsrlab 0.1.0`. */
  generator: string;
}

/** Rows of the flow index at most. */
export const MAX_INDEX_ROWS = 500;
/** Diagrams open when the page loads. */
const OPEN_DIAGRAMS = 3;

const CSS = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #0f172a; background: #f8fafc; }
header { background: #0f172a; color: #f8fafc; padding: 18px 28px; }
header h1 { margin: 0 0 4px; font-size: 22px; }
header .meta { margin: 0; color: #cbd5e1; font-size: 13px; }
header code { color: #fde68a; }
main { padding: 8px 28px 40px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 10px; padding: 14px 20px 18px; margin: 18px 0; }
h2 { font-size: 18px; margin: 4px 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { border: 1px solid #e2e8f0; border-radius: 8px; padding: 10px 16px; min-width: 150px; background: #f8fafc; }
.card .n { font-size: 24px; font-weight: 700; }
.card .l { color: #475569; font-size: 12.5px; }
.card.bad .n { color: #dc2626; }
.card.icmp .n { color: #7c3aed; }
table { border-collapse: collapse; font-size: 13px; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
th { background: #f1f5f9; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.flows th, table.flows td.num { white-space: nowrap; }
code, .mono { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: #64748b; }
.drop { color: #dc2626; font-weight: 600; }
.chips { margin: 6px 0 0; font-size: 12.5px; color: #475569; }
.chip { display: inline-block; border-radius: 999px; padding: 1px 9px; margin: 0 4px 0 0; font-size: 12px; font-weight: 600; border: 1px solid currentColor; }
.chip i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; vertical-align: -1px; }
.chips .chip { color: #334155; border-color: #cbd5e1; }
.chip.dsr { color: ${REWRITE_COLOUR.dsr}; }
.chip.snat { color: ${REWRITE_COLOUR.snat}; }
.chip.none { color: #64748b; }
.chip.bad { color: #dc2626; }
.chip.icmp { color: #7c3aed; }
details.flow { border: 1px solid #e2e8f0; border-radius: 8px; margin: 10px 0; background: #fff; }
details.flow > summary { cursor: pointer; padding: 8px 12px; font-weight: 600; list-style-position: outside; margin-left: 14px; }
details.flow > summary .label { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 13px; margin-right: 8px; }
details.flow[open] > summary { border-bottom: 1px solid #e2e8f0; }
.scroll { overflow-x: auto; padding: 8px 0 4px; }
.note { margin: 6px 12px; color: #475569; font-size: 12.5px; }
a { color: #1d4ed8; }
footer { color: #64748b; font-size: 12px; padding: 0 28px 24px; }
`;

function pct(n: number, total: number): string {
  return total ? `${((100 * n) / total).toFixed(1)}%` : '—';
}

function card(n: number, label: string, total: number, cls = ''): string {
  const share = label === 'packets in' ? '' : ` · ${pct(n, total)}`;
  return `<div class="card ${cls}"><div class="n">${n.toLocaleString('en-US')}</div><div class="l">${esc(label)}${share}</div></div>`;
}

function summarySection(s: ReplaySummary, flows: FlowTrace[]): string {
  const p = s.packets;
  const cards = [
    card(p.in, 'packets in', p.in),
    card(p.delivered, 'delivered', p.in),
    card(p.toStack, "to a node's stack", p.in),
    card(p.dropped, 'dropped', p.in, p.dropped ? 'bad' : ''),
    card(p.answered, 'answered (ICMP error)', p.in, p.answered ? 'icmp' : ''),
  ];
  if (p.unaccounted) cards.push(card(p.unaccounted, 'unaccounted', p.in, 'bad'));
  const facts: string[] = [
    `${p.requests.toLocaleString('en-US')} requests (client packets), ${p.server.toLocaleString('en-US')} server packets from the capture`,
    `${flows.length} flows (client → frontend), ${flows.filter((f) => f.stats.backends.length).length} load-balanced${s.flows.split ? `, ${s.flows.split} split over several backends` : ''}`,
  ];
  if (s.responses.made) facts.push(`${s.responses.made} responses made by the ${s.responder} responder (${s.responses.delivered} delivered, ${s.responses.dropped} dropped)`);
  if (s.withheld.count) facts.push(`${s.withheld.count} server packets withheld: ${Object.entries(s.withheld.reasons).map(([k, v]) => `${v} ${k}`).join('; ')}`);
  if (s.comparison) {
    const c = s.comparison;
    facts.push(`${c.compared} server packets reached the client: ${c.matched} matched the capture (but for TTL and L2), ${c.mismatched} did not; ${c.notDelivered} did not reach it`);
  }
  let drops = '<p class="muted">No packet was dropped.</p>';
  if (s.drops.length) {
    const rows = s.drops
      .map((d) => {
        const h = dropReasonByName(d.reason)?.hubble;
        const where = Object.entries(d.where)
          .map(([w, k]) => `${esc(w)}${k > 1 ? ` ×${k}` : ''}`)
          .join(', ');
        return `<tr><td class="drop mono">${esc(d.reason)}</td><td class="num">${d.code}</td><td class="mono">${h ? esc(h) : '<span class="muted">—</span>'}</td><td>${esc(d.description)}</td><td class="num">${d.count}</td><td class="mono">${where}</td></tr>`;
      })
      .join('');
    drops = `<table class="drops"><thead><tr><th>drop reason</th><th class="num">code</th><th>Hubble drop_reason_desc</th><th>description</th><th class="num">packets</th><th>where (host/hook)</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
  return (
    `<section id="summary"><h2>Summary</h2><div class="cards">${cards.join('')}</div>` +
    `<ul>${facts.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` +
    `<h3>Drops by reason</h3>${drops}` +
    `<h3>Backend distribution</h3>${backendBarChart(s.backends)}` +
    `${hooksTable(s)}</section>`
  );
}

function hooksTable(s: ReplaySummary): string {
  const points = ['XDP', 'TC_INGRESS', 'TC_EGRESS', 'LXC_EGRESS', 'LXC_INGRESS', 'STACK'];
  const rows = Object.entries(s.nodes)
    .map(([node, hooks]) => {
      const cells = points.map((pt) => {
        const acts = hooks[pt];
        if (!acts) return '<td class="muted">—</td>';
        return `<td class="mono">${Object.entries(acts)
          .map(([a, n]) => `${esc(a)} ${n}`)
          .join('<br>')}</td>`;
      });
      return `<tr><td><b>${esc(node)}</b></td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<details><summary><b>Hooks per node</b> <span class="muted">(events by action, capture and made packets)</span></summary><table><thead><tr><th>node</th>${points.map((p) => `<th>${p}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></details>`;
}

function hostLayout(cp: ControlPlane): { order: string[]; info: (h: string) => { kind: HostKind; node?: string; world?: boolean } | undefined } {
  const order: string[] = [];
  for (const h of cp.hosts) if (h.kind === 'client') order.push(h.name);
  for (const id of cp.nodeIds) {
    const node = cp.hosts[id]!;
    order.push(node.name);
    for (const h of cp.hosts) if (h.kind === 'pod' && h.node === node.name) order.push(h.name);
  }
  for (const h of cp.hosts) if (!order.includes(h.name)) order.push(h.name);
  const info = (name: string) => {
    const h = cp.hostByName.get(name);
    if (!h) return undefined;
    return { kind: h.kind, ...(h.node ? { node: h.node } : {}), ...(h.world ? { world: true } : {}) };
  };
  return { order, info };
}

function forwardingChip(f: string): string {
  const cls = f.includes('dsr') ? 'dsr' : f === 'snat' ? 'snat' : 'none';
  return `<span class="chip ${cls}">${esc(f === 'none' ? 'no LB rewrite' : f.toUpperCase())}</span>`;
}

function flowsSection(input: ReportHtmlInput): string {
  const { flows, controlPlane: cp } = input;
  const isNode = (h: string) => cp.hostByName.get(h)?.kind === 'node';
  const layout = hostLayout(cp);
  const stats = flows.map((f) => flowModeStats(f.stats, isNode));
  const rows = flows
    .slice(0, MAX_INDEX_ROWS)
    .map((f, i) => {
      const s = stats[i]!;
      const drawn = f.packets !== undefined;
      const drops = Object.values(s.drops).reduce((a, b) => a + b, 0);
      const icmp = Object.values(s.icmpErrors).reduce((a, b) => a + b, 0);
      const hop = (h: typeof s.hops.request) => (h ? String(h.typical) : '—');
      return (
        `<tr><td class="num">${drawn ? `<a href="#flow-${i + 1}">${i + 1}</a>` : i + 1}</td><td class="mono">${esc(flowLabel(f.stats.id))}</td><td>${forwardingChip(s.forwarding)}</td>` +
        `<td>${esc(s.backends.join(', ') || '—')}</td><td class="num">${s.packets.requests} / ${s.packets.replies}</td><td class="num">${hop(s.hops.request)} / ${hop(s.hops.reply)}</td>` +
        `<td class="mono">${esc(s.replyPath.join(' → ') || '—')}</td><td class="mono">${esc(s.backendSaw.join(', ') || '—')}</td>` +
        `<td>${drops ? `<span class="drop">${drops} dropped</span> ` : ''}${icmp ? `<span class="chip icmp">${icmp} ICMP</span>` : ''}${!drops && !icmp ? '<span class="muted">ok</span>' : ''}</td></tr>`
      );
    })
    .join('');
  const more = flows.length > MAX_INDEX_ROWS ? `<p class="note">${flows.length - MAX_INDEX_ROWS} more flows are not listed.</p>` : '';
  const index =
    `<div class="scroll"><table class="flows"><thead><tr><th class="num">#</th><th>flow (client → frontend)</th><th>forwarding</th><th>backend</th><th class="num">packets req / reply</th><th class="num">hops req / reply</th><th>reply path</th><th>backend saw</th><th>problems</th></tr></thead><tbody>${rows}</tbody></table></div>` +
    more;

  const drawn = flows.filter((f) => f.packets !== undefined);
  const diagrams = drawn
    .map((f, i) => {
      const s = stats[i]!;
      const drops = Object.values(s.drops).reduce((a, b) => a + b, 0);
      const icmp = Object.values(s.icmpErrors).reduce((a, b) => a + b, 0);
      const chips = [
        forwardingChip(s.forwarding),
        s.backends.length ? `<span class="chip none">→ ${esc(s.backends.join(', '))}</span>` : '',
        s.lbNode ? `<span class="chip none">LB ${esc(s.lbNode)}</span>` : '',
        `<span class="chip none">${s.packets.requests + s.packets.replies + s.packets.icmpErrors} packets</span>`,
        drops ? `<span class="chip bad">${drops} dropped</span>` : '',
        icmp ? `<span class="chip icmp">${icmp} ICMP error${icmp > 1 ? 's' : ''}</span>` : '',
      ].join('');
      const omitted = f.omitted ? `<p class="note">${f.packets!.length} of ${f.packets!.length + f.omitted} packets drawn: the first ${input.packetsPerFlow}, then later dropped or answered ones; ${f.omitted} not drawn.</p>` : '';
      const svg = sequenceSvg({ index: i + 1, trace: f, hostOrder: layout.order, hostInfo: layout.info });
      return `<details class="flow" id="flow-${i + 1}"${i < OPEN_DIAGRAMS ? ' open' : ''}><summary><span class="label">flow ${i + 1} · ${esc(flowLabel(f.stats.id))}</span>${chips}</summary>${omitted}<div class="scroll">${svg}</div></details>`;
    })
    .join('');
  const capNote =
    flows.length > drawn.length
      ? `<p class="note">Diagrams for the first ${drawn.length} of ${flows.length} flows (<code>--max-flows</code> changes the limit).</p>`
      : `<p class="note">${drawn.length} flow${drawn.length === 1 ? '' : 's'}; the first ${Math.min(OPEN_DIAGRAMS, drawn.length)} open. Hover an arrow for lengths and TTL.</p>`;
  return `<section id="flows"><h2>Flows</h2>${index}</section><section id="legend"><h2>Legend</h2>${legendSvg()}</section><section id="diagrams"><h2>Sequence diagrams</h2>${capNote}${diagrams}</section>`;
}

/** The whole report as one HTML document. */
export function renderReportHtml(input: ReportHtmlInput): string {
  const s = input.summary;
  const title = `dsrlab report: ${s.capture}`;
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>` +
    `<header><h1>dsrlab report</h1><p class="meta">capture <code>${esc(s.capture)}</code> · scenario <code>${esc(s.scenario)}</code> · Cilium ${esc(s.ciliumVersion)} · mode <b>${esc(s.mode)}</b> · responder ${esc(s.responder)}</p></header>` +
    `<main>${summarySection(s, input.flows)}${flowsSection(input)}</main>` +
    `<footer>Made by ${esc(input.generator)}: every packet run through the emulated datapath; nothing on this page is fetched.</footer>` +
    `</body></html>\n`
  );
}
