/**
 * sequence-svg.ts: one flow as an SVG sequence diagram. Hosts (client, nodes, pods) are
 * lifelines; every packet is a block of rows: an arrow per link it crossed, labelled with the
 * tuple as it was on that link (fields a hook changed highlighted in the colour of the rewrite),
 * a badge where a hook rewrote it (DNAT, SNAT, DSR information, encap, rev-NAT, ICMP error) and
 * its fate (delivered, dropped with the reason, to a node's stack). Packets come from trace.ts;
 * colours and metrics from svg.ts. The SVG carries data-* attributes tests and tools can read.
 */
import { flowLabel } from './flow-key.js';
import { extraLines, partsText, tupleParts, type LabelPart, type ViewField } from './packet-view.js';
import { arrowHead, CHAR_W, DROP_COLOUR, esc, fieldColour, FONT, FONT_SIZE, MUTED, REWRITE_COLOUR, ROLE_COLOUR, ROLE_TEXT } from './svg.js';
import { pointText, type FlowTrace, type PacketRole, type TraceArrow, type TraceEnd, type TraceNote, type TracePacket } from './trace.js';

export type HostKind = 'client' | 'node' | 'pod';

export interface SequenceInput {
  /** 1-based number of the flow in the report. */
  index: number;
  /** A flow with its packets (trace.ts, traceFlows > 0). */
  trace: FlowTrace;
  /** Every host in the order lifelines should take (clients, then each node with its pods). */
  hostOrder: string[];
  /** What a host is, and for pods their node. */
  hostInfo: (name: string) => { kind: HostKind; node?: string; world?: boolean } | undefined;
}

const GUTTER = 130;
const HEADER_H = 50;
/** From the gutter to the first lifeline (room for host boxes and notes). */
const FIRST_OFFSET = 70;
const MIN_GAP = 130;
const MAX_LABEL_W = 520;
const NOTE_FONT = 10;
const NOTE_CHAR_W = 6.02;
const PILL_GAP = 4;

const HOST_FILL: Record<HostKind | 'world', string> = { client: '#e0e7ff', node: '#1e293b', pod: '#dcfce7', world: '#e2e8f0' };
const HOST_TEXT: Record<HostKind | 'world', string> = { client: '#1e1b4b', node: '#f8fafc', pod: '#14532d', world: '#1e293b' };

function f1(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** One label line: a backing rect, tinted rects behind changed fields, the text. */
function labelLine(parts: LabelPart[], changed: ReadonlySet<ViewField>, role: PacketRole, cx: number, y: number, colour: string): string {
  const text = partsText(parts);
  if (!text) return '';
  const w = text.length * CHAR_W;
  const x0 = cx - w / 2;
  let out = `<rect x="${f1(x0 - 3)}" y="${y - 11}" width="${f1(w + 6)}" height="15" fill="#fff" fill-opacity="0.88"/>`;
  let spans = '';
  let off = 0;
  for (const p of parts) {
    if (p.field && changed.has(p.field)) {
      const c = fieldColour(p.field, role);
      out += `<rect class="hl" data-field="${p.field}" x="${f1(x0 + off * CHAR_W - 1)}" y="${y - 11}" width="${f1(p.text.length * CHAR_W + 2)}" height="15" rx="2" fill="${c}" fill-opacity="0.16"/>`;
      spans += `<tspan fill="${c}" font-weight="700">${esc(p.text)}</tspan>`;
    } else spans += esc(p.text);
    off += p.text.length;
  }
  out += `<text x="${f1(x0)}" y="${y}" textLength="${f1(w)}" lengthAdjust="spacingAndGlyphs" fill="${colour}" style="white-space:pre">${spans}</text>`;
  return out;
}

function hostsOf(trace: FlowTrace): string[] {
  const seen = new Set<string>();
  for (const p of trace.packets ?? []) {
    for (const h of p.path) seen.add(h);
    for (const s of p.steps) {
      if (s.kind === 'arrow') {
        seen.add(s.from);
        seen.add(s.to);
      } else if (s.host) seen.add(s.host);
    }
  }
  return [...seen];
}

function arrowTitle(p: TracePacket, a: TraceArrow): string {
  const v = a.view;
  const extra = extraLines(v).map(partsText);
  return `${ROLE_TEXT[p.role]} #${p.id}: ${a.from} → ${a.to}\n${partsText(tupleParts(v))}${extra.map((t) => `\n${t}`).join('')}\n${v.len} bytes${v.ttl !== undefined ? `, ${v.l3 === 'ipv6' ? 'hop limit' : 'TTL'} ${v.ttl}` : ''}`;
}

/** What is written beside a packet's fate: one line, or two for a drop (reason, then its text). */
function endText(s: TraceEnd): string[] {
  if (s.fate === 'dropped') {
    const d = s.drop!;
    return [`dropped${s.point ? ` at ${pointText(s.point)}` : ''}: ${d.name} (${d.code})`, d.description];
  }
  if (s.fate === 'delivered') return [`delivered${s.point === 'POD' ? ' to the pod' : s.point === 'CLIENT' ? ' to the client' : ''}`];
  if (s.fate === 'toStack') return ["handed to the node's own stack"];
  if (s.fate === 'answered') return ['answered with an ICMP error (not forwarded)'];
  return ['no final fate (unaccounted)'];
}

/** Width of a note's pills and hook name. */
function noteWidth(s: TraceNote): number {
  return s.parts.reduce((n, p) => n + p.text.length * NOTE_CHAR_W + 14 + PILL_GAP, 0) + pointText(s.point).length * NOTE_CHAR_W + 4;
}

/** The SVG for one flow. */
export function sequenceSvg(input: SequenceInput): string {
  const { trace, index } = input;
  const packets = trace.packets ?? [];
  const order = new Map(input.hostOrder.map((h, i) => [h, i]));
  const hosts = hostsOf(trace).sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9) || a.localeCompare(b));
  const col = new Map(hosts.map((h, i) => [h, i]));

  // Gaps between neighbouring lifelines: each wide enough for the labels of the arrows that
  // cross it; an arrow over several gaps widens them evenly when their sum is too small.
  const proto = trace.stats.id.protocol;
  const labelW = (a: TraceArrow) => Math.max(partsText(tupleParts(a.view, proto)).length, ...extraLines(a.view).map((l) => partsText(l).length)) * CHAR_W + 28;
  const gaps = new Array<number>(Math.max(0, hosts.length - 1)).fill(MIN_GAP);
  const arrowsBySpan = packets
    .flatMap((p) => p.steps)
    .filter((st): st is TraceArrow => st.kind === 'arrow')
    .map((a) => ({ lo: Math.min(col.get(a.from)!, col.get(a.to)!), hi: Math.max(col.get(a.from)!, col.get(a.to)!), w: Math.min(labelW(a), MAX_LABEL_W) }))
    .sort((a, b) => a.hi - a.lo - (b.hi - b.lo));
  for (const a of arrowsBySpan) {
    if (a.hi === a.lo) continue;
    const have = gaps.slice(a.lo, a.hi).reduce((n, g) => n + g, 0);
    if (have < a.w) for (let i = a.lo; i < a.hi; i++) gaps[i]! += (a.w - have) / (a.hi - a.lo);
  }
  const xs: number[] = [];
  let acc = GUTTER + FIRST_OFFSET;
  hosts.forEach((_, i) => {
    xs.push(acc);
    acc += gaps[i] ?? 0;
  });
  const x = (h: string) => xs[col.get(h)!]!;
  // Room on the right for what is written beside the last lifeline (fates, notes).
  let right = 90;
  const lastX = xs[xs.length - 1] ?? GUTTER;
  for (const p of packets) {
    for (const st of p.steps) {
      if (st.kind === 'end' && st.host !== null && x(st.host) === lastX) right = Math.max(right, Math.max(...endText(st).map((t) => t.length)) * NOTE_CHAR_W + 24);
      if (st.kind === 'note' && x(st.host) === lastX) right = Math.max(right, noteWidth(st) / 2 + 12);
    }
  }
  const width = Math.ceil(lastX + right);

  // The LB node: the first node requests reach.
  const lbNode = packets.find((p) => p.role === 'request')?.path.find((h) => input.hostInfo(h)?.kind === 'node');

  const body: string[] = [];
  const bands: string[] = [];
  let y = HEADER_H + 8;
  let arrows = 0;
  let drops = 0;
  let icmp = 0;
  let notes = 0;
  const t0 = packets[0]?.time ?? 0;
  packets.forEach((p, pi) => {
    const top = y;
    const colour = ROLE_COLOUR[p.role];
    const rows: string[] = [];
    y += 6;
    for (const s of p.steps) {
      if (s.kind === 'arrow') {
        arrows++;
        const x1 = x(s.from);
        const x2 = x(s.to);
        const extra = extraLines(s.view);
        const changed = new Set(s.changed);
        const cx = (x1 + x2) / 2;
        let g = labelLine(tupleParts(s.view, proto), changed, p.role, cx, y + 12, colour);
        extra.forEach((l, i) => (g += labelLine(l, changed, p.role, cx, y + 26 + 14 * i, colour)));
        const ly = y + 20 + 14 * extra.length;
        const dir = x2 > x1 ? 1 : -1;
        const dsr = s.view.dsr !== undefined || s.view.encap !== undefined;
        g += `<line x1="${f1(x1)}" y1="${ly}" x2="${f1(x2 - dir * 7)}" y2="${ly}" stroke="${colour}" stroke-width="${dsr ? 2.6 : 1.6}"${dsr ? ` stroke-dasharray="7 3"` : ''}/>`;
        g += arrowHead(x2, ly, dir as 1 | -1, colour);
        rows.push(
          `<g class="arrow" data-role="${p.role}" data-from="${esc(s.from)}" data-to="${esc(s.to)}"${s.changed.length ? ` data-changed="${s.changed.join(' ')}"` : ''}${dsr ? ' data-dsr="1"' : ''}><title>${esc(arrowTitle(p, s))}</title>${g}</g>`,
        );
        y = ly + 9;
      } else if (s.kind === 'note') {
        notes++;
        if (s.rewrites.includes('icmp')) icmp++;
        const w = noteWidth(s);
        const hx = x(s.host);
        let bx = Math.max(GUTTER - 10, Math.min(hx - w / 2, width - w - 4));
        let g = '';
        for (const part of s.parts) {
          const c = REWRITE_COLOUR[part.kind];
          const pw = part.text.length * NOTE_CHAR_W + 14;
          g +=
            `<g class="pill" data-rewrite="${part.kind}"><rect x="${f1(bx)}" y="${y + 2}" width="${f1(pw)}" height="17" rx="8.5" fill="#fff" stroke="${c}" stroke-width="1.3"/><rect x="${f1(bx)}" y="${y + 2}" width="${f1(pw)}" height="17" rx="8.5" fill="${c}" fill-opacity="0.1"/>` +
            `<text x="${f1(bx + 7)}" y="${y + 14}" font-size="${NOTE_FONT}" fill="${c}" font-weight="700" textLength="${f1(part.text.length * NOTE_CHAR_W)}" lengthAdjust="spacingAndGlyphs" style="white-space:pre">${esc(part.text)}</text></g>`;
          bx += pw + PILL_GAP;
        }
        const hook = pointText(s.point);
        g += `<text x="${f1(bx + 2)}" y="${y + 14}" font-size="${NOTE_FONT}" fill="${MUTED}">${esc(hook)}</text>`;
        rows.push(`<g class="note" data-rewrites="${s.rewrites.join(' ')}" data-host="${esc(s.host)}"><title>${esc(`${s.host}: ${s.text}`)}</title>${g}</g>`);
        y += 23;
      } else {
        const hx = s.host !== null && col.has(s.host) ? x(s.host) : GUTTER + 8;
        const cy = y + 9;
        const text = endText(s);
        let mark: string;
        let tc = MUTED;
        if (s.fate === 'dropped') {
          drops++;
          mark = `<path d="M${f1(hx - 6)},${cy - 6} L${f1(hx + 6)},${cy + 6} M${f1(hx + 6)},${cy - 6} L${f1(hx - 6)},${cy + 6}" stroke="${DROP_COLOUR}" stroke-width="2.6" stroke-linecap="round"/>`;
          tc = DROP_COLOUR;
        } else if (s.fate === 'delivered') {
          mark = `<circle cx="${f1(hx)}" cy="${cy}" r="4.5" fill="${colour}"/>`;
        } else if (s.fate === 'toStack') {
          mark = `<rect x="${f1(hx - 4.5)}" y="${cy - 4.5}" width="9" height="9" fill="${MUTED}"/>`;
        } else if (s.fate === 'answered') {
          mark = `<path d="M${f1(hx)},${cy - 6} L${f1(hx + 6)},${cy} L${f1(hx)},${cy + 6} L${f1(hx - 6)},${cy} z" fill="${REWRITE_COLOUR.icmp}"/>`;
          tc = REWRITE_COLOUR.icmp;
        } else {
          mark = `<circle cx="${f1(hx)}" cy="${cy}" r="4.5" fill="none" stroke="${MUTED}"/>`;
        }
        rows.push(
          `<g class="end" data-fate="${s.fate}"${s.drop ? ` data-drop="${esc(s.drop.name)}"` : ''}>${s.drop?.hubble ? `<title>Hubble drop_reason_desc: ${esc(s.drop.hubble)}</title>` : ''}${mark}` +
            `<rect x="${f1(hx + 8)}" y="${cy - 6}" width="${f1(Math.max(...text.map((t) => t.length)) * NOTE_CHAR_W + 6)}" height="${13 * text.length + 2}" fill="#fff" fill-opacity="0.85"/>` +
            text.map((t, i) => `<text x="${f1(hx + 10)}" y="${cy + 4 + i * 13}" font-size="${NOTE_FONT}" fill="${tc}"${s.fate === 'dropped' && i === 0 ? ' font-weight="700"' : ''}>${esc(t)}</text>`).join('') +
            `</g>`,
        );
        y += 7 + 13 * text.length;
      }
    }
    y += 4;
    const bottom = Math.max(y, top + 50);
    // Gutter: packet number, role, time; a band behind the block.
    const rel = p.time - t0;
    bands.push(`<rect x="0" y="${top}" width="${width}" height="${bottom - top}" fill="${pi % 2 === 0 ? '#f1f5f9' : '#ffffff'}"/>`);
    body.push(
      `<g class="packet" data-packet="${p.id}" data-role="${p.role}" data-fate="${p.fate}"${p.made ? ' data-made="1"' : ''}>` +
        `<rect x="0" y="${top}" width="4" height="${bottom - top}" fill="${colour}"/>` +
        `<text x="12" y="${top + 17}" font-size="12" font-weight="700" fill="#0f172a">${p.role === 'icmp-error' ? 'for ' : ''}${p.made ? 'made' : 'pkt'} #${p.made ? p.id - 0x80000000 : p.id}</text>` +
        `<text x="12" y="${top + 32}" font-size="11" fill="${colour}" font-weight="700">${ROLE_TEXT[p.role]}</text>` +
        `<text x="12" y="${top + 46}" font-size="10" fill="${MUTED}">+${rel.toFixed(6)} s</text>` +
        rows.join('') +
        `</g>`,
    );
    y = bottom;
  });
  const height = y + 10;

  // Lifelines and host boxes.
  const heads: string[] = [];
  const lines: string[] = [];
  for (const h of hosts) {
    const info = input.hostInfo(h);
    const kind: HostKind | 'world' = info?.world ? 'world' : (info?.kind ?? 'client');
    const sub = kind === 'node' ? (h === lbNode ? 'node · LB' : 'node') : kind === 'pod' ? `pod on ${info?.node ?? '?'}` : kind === 'world' ? 'outside' : 'client';
    const cx = x(h);
    const i = col.get(h)!;
    const room = Math.min(gaps[i - 1] ?? Infinity, gaps[i] ?? Infinity, 260);
    const bw = Math.min(room - 12, Math.max(92, h.length * 8 + 22));
    lines.push(`<line x1="${f1(cx)}" y1="${HEADER_H - 4}" x2="${f1(cx)}" y2="${height - 6}" stroke="#94a3b8" stroke-width="1" stroke-dasharray="3 4"/>`);
    heads.push(
      `<g class="lifeline" data-host="${esc(h)}" data-kind="${kind}">` +
        `<rect x="${f1(cx - bw / 2)}" y="6" width="${f1(bw)}" height="38" rx="6" fill="${HOST_FILL[kind]}"${h === lbNode ? ' stroke="#f59e0b" stroke-width="2.5"' : ''}/>` +
        `<text x="${f1(cx)}" y="22" text-anchor="middle" font-size="12.5" font-weight="700" fill="${HOST_TEXT[kind]}">${esc(h)}</text>` +
        `<text x="${f1(cx)}" y="37" text-anchor="middle" font-size="10" fill="${HOST_TEXT[kind]}" fill-opacity="0.8">${esc(sub)}</text></g>`,
    );
  }
  const id = trace.stats.id;
  const label = flowLabel(id);
  const attrs = [
    `data-flow="${index}"`,
    `data-flow-key="${esc(id.key)}"`,
    `data-packets="${packets.length}"`,
    `data-arrows="${arrows}"`,
    `data-notes="${notes}"`,
    `data-drops="${drops}"`,
    `data-icmp="${icmp}"`,
    `data-lifelines="${esc(hosts.join(' '))}"`,
  ].join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="seq" ${attrs} width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`Sequence diagram of flow ${index}: ${label}`)}" font-family="${esc(FONT)}" font-size="${FONT_SIZE}">` +
    `<title>${esc(`flow ${index}: ${label}`)}</title>` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    bands.join('') +
    lines.join('') +
    body.join('') +
    heads.join('') +
    `</svg>`
  );
}
