/**
 * legend-svg.ts: the key to the sequence diagrams, drawn with the same colours and marks they
 * use (svg.ts): packet roles, DSR-carrying arrows, rewrite badges, highlighted fields, fates and
 * the LB node. The diagrams themselves are sequence-svg.ts.
 */
import { arrowHead, DROP_COLOUR, esc, FONT, MUTED, REWRITE_COLOUR, REWRITE_TEXT, ROLE_COLOUR, ROLE_TEXT } from './svg.js';
import type { PacketRole, RewriteKind } from './trace.js';

export function legendSvg(): string {
  const out: string[] = [];
  // Row 1: arrows.
  let x = 10;
  const arrow = (label: string, colour: string, dashed: boolean) => {
    out.push(
      `<line x1="${x}" y1="20" x2="${x + 46}" y2="20" stroke="${colour}" stroke-width="${dashed ? 2.6 : 1.6}"${dashed ? ' stroke-dasharray="7 3"' : ''}/>` +
        arrowHead(x + 52, 20, 1, colour) +
        `<text x="${x + 60}" y="24" font-size="12" fill="#0f172a">${esc(label)}</text>`,
    );
    x += 70 + label.length * 7;
  };
  for (const r of ['request', 'reply', 'icmp-error'] as PacketRole[]) arrow(ROLE_TEXT[r], ROLE_COLOUR[r], false);
  arrow('carries DSR info / encapsulated (dashed, thick)', ROLE_COLOUR.request, true);

  // Row 2: rewrite badges.
  x = 10;
  out.push(`<text x="${x}" y="58" font-size="12" fill="${MUTED}">rewrites:</text>`);
  x += 70;
  for (const k of ['dnat', 'snat', 'rev-nat', 'dsr', 'encap', 'icmp'] as RewriteKind[]) {
    const t = k === 'encap' ? 'encap / decap' : REWRITE_TEXT[k];
    const w = t.length * 7.6 + 18;
    const c = REWRITE_COLOUR[k];
    out.push(
      `<g data-rewrite="${k}"><rect x="${x}" y="45" width="${w}" height="18" rx="9" fill="#fff" stroke="${c}" stroke-width="1.3"/><rect x="${x}" y="45" width="${w}" height="18" rx="9" fill="${c}" fill-opacity="0.1"/>` +
        `<text x="${x + w / 2}" y="58" text-anchor="middle" font-size="11" font-weight="700" fill="${c}">${esc(t)}</text></g>`,
    );
    x += w + 10;
  }
  x += 12;
  out.push(`<text x="${x}" y="58" font-size="12" fill="${MUTED}">changed fields:</text>`);
  x += 104;
  const hl = (text: string, colour: string, what: string) => {
    const w = text.length * 6.62;
    out.push(
      `<rect x="${x - 1}" y="46" width="${w + 2}" height="15" rx="2" fill="${colour}" fill-opacity="0.16"/><text x="${x}" y="58" font-family="${esc(FONT)}" font-size="11" font-weight="700" fill="${colour}">${esc(text)}</text>` +
        `<text x="${x + w + 5}" y="58" font-size="11" fill="${MUTED}">${esc(what)}</text>`,
    );
    x += w + 24 + what.length * 7.5;
  };
  hl('10.244.2.10:8080', REWRITE_COLOUR.dnat, 'DNAT');
  hl('192.168.10.11', REWRITE_COLOUR.snat, 'SNAT');
  const width = Math.ceil(Math.max(x, 980) + 10);

  // Row 3: fates and hosts.
  x = 10;
  const fate = (mark: string, label: string, colour = '#0f172a') => {
    out.push(mark + `<text x="${x + 14}" y="96" font-size="12" fill="${colour}">${esc(label)}</text>`);
    x += 30 + label.length * 6.6;
  };
  fate(`<circle cx="${x + 5}" cy="92" r="4.5" fill="${ROLE_COLOUR.request}"/>`, 'delivered');
  fate(`<path d="M${x},86 L${x + 12},98 M${x + 12},86 L${x},98" stroke="${DROP_COLOUR}" stroke-width="2.6" stroke-linecap="round"/>`, 'dropped (Cilium drop reason)', DROP_COLOUR);
  fate(`<rect x="${x}" y="87.5" width="9" height="9" fill="${MUTED}"/>`, "to the node's stack");
  fate(`<path d="M${x + 5},86 L${x + 11},92 L${x + 5},98 L${x - 1},92 z" fill="${REWRITE_COLOUR.icmp}"/>`, 'answered with ICMP', REWRITE_COLOUR.icmp);
  out.push(
    `<rect x="${x}" y="82" width="58" height="20" rx="5" fill="#1e293b" stroke="#f59e0b" stroke-width="2.5"/><text x="${x + 29}" y="96" text-anchor="middle" font-size="11" fill="#f8fafc" font-weight="700">node</text><text x="${x + 66}" y="96" font-size="12" fill="#0f172a">the LB node (where requests enter)</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" class="legend" width="${width}" height="110" viewBox="0 0 ${width} 110" role="img" aria-label="Legend" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif"><title>Legend</title>${out.join('')}</svg>`;
}
