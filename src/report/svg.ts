/**
 * svg.ts: the small things every picture of the HTML report shares: XML escaping, the colour
 * palette (one colour per packet role and per kind of rewrite, used by diagrams and legend
 * alike) and the monospace metrics labels are laid out with. The pictures themselves are
 * sequence-svg.ts, bar-chart-svg.ts and legend-svg.ts.
 */
import type { ViewField } from './packet-view.js';
import type { PacketRole, RewriteKind } from './trace.js';

/** Escapes text for XML/HTML content and attribute values. */
export function esc(s: string | number): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Label font: monospace, so a label's width is its length times CHAR_W (textLength pins it). */
export const FONT = "'DejaVu Sans Mono', Menlo, Consolas, 'Liberation Mono', monospace";
export const FONT_SIZE = 11;
export const CHAR_W = 6.62;

export const ROLE_COLOUR: Record<PacketRole, string> = {
  request: '#1d4ed8',
  reply: '#047857',
  'icmp-error': '#7c3aed',
};

export const ROLE_TEXT: Record<PacketRole, string> = {
  request: 'request',
  reply: 'reply',
  'icmp-error': 'ICMP error',
};

export const REWRITE_COLOUR: Record<RewriteKind, string> = {
  dnat: '#0369a1',
  snat: '#c2410c',
  'rev-nat': '#0f766e',
  dsr: '#be185d',
  encap: '#92400e',
  decap: '#92400e',
  icmp: '#7c3aed',
  other: '#475569',
};

export const REWRITE_TEXT: Record<RewriteKind, string> = {
  dnat: 'DNAT',
  snat: 'SNAT',
  'rev-nat': 'rev-NAT',
  dsr: 'DSR info',
  encap: 'encap',
  decap: 'decap',
  icmp: 'ICMP error sent',
  other: 'other rewrite',
};

export const DROP_COLOUR = '#dc2626';
export const MUTED = '#64748b';

/** The colour a changed field is highlighted in, by what changes it on a packet of this role. */
export function fieldColour(field: ViewField, role: PacketRole): string {
  if (field === 'dsr') return REWRITE_COLOUR.dsr;
  if (field === 'encap') return REWRITE_COLOUR.encap;
  if (field === 'proto') return REWRITE_COLOUR.icmp;
  if (role !== 'request') return REWRITE_COLOUR['rev-nat'];
  return field === 'src' || field === 'sport' ? REWRITE_COLOUR.snat : REWRITE_COLOUR.dnat;
}

/** A filled arrowhead whose tip is at (x, y), pointing right (dir 1) or left (dir -1). */
export function arrowHead(x: number, y: number, dir: 1 | -1, colour: string): string {
  const b = x - dir * 8;
  return `<path d="M${x},${y} L${b},${y - 4.5} L${b},${y + 4.5} z" fill="${colour}"/>`;
}
