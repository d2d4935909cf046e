/**
 * bar-chart-svg.ts: the backend distribution of a replay as a horizontal SVG bar chart: one bar
 * per backend (flows load-balanced to it), with its node and packet count beside it. Numbers
 * come from replay's summary (backends); colours from svg.ts.
 */
import type { BackendSummary } from '../replay.js';
import { endpoint } from './flow-key.js';
import { esc, MUTED } from './svg.js';

/** Bars drawn at most; the rest are summed into one line. */
export const MAX_BARS = 40;

const NODE_COLOURS = ['#2563eb', '#0d9488', '#d97706', '#9333ea', '#db2777', '#65a30d', '#0891b2', '#b45309'];

/** The chart, or a short note when no backend exists. */
export function backendBarChart(backends: BackendSummary[]): string {
  const rows = [...backends].sort((a, b) => b.flows - a.flows || b.packets - a.packets || a.pod.localeCompare(b.pod));
  if (!rows.length) return '<p class="muted">The scenario has no backends.</p>';
  const shown = rows.slice(0, MAX_BARS);
  const rest = rows.slice(MAX_BARS);
  const nodes = [...new Set(rows.map((b) => b.node ?? '—'))];
  const colourOf = (n: string | undefined) => NODE_COLOURS[nodes.indexOf(n ?? '—') % NODE_COLOURS.length]!;
  const max = Math.max(1, ...shown.map((b) => b.flows));
  const labelW = 300;
  const barW = 380;
  const rowH = 30;
  const width = labelW + barW + 170;
  const height = 14 + shown.length * rowH + (rest.length ? rowH : 0) + 8;
  const out: string[] = [];
  shown.forEach((b, i) => {
    const y = 10 + i * rowH;
    const w = (b.flows / max) * barW;
    const addr = endpoint(b.address, b.port);
    out.push(
      `<g class="bar" data-pod="${esc(b.pod)}" data-flows="${b.flows}" data-packets="${b.packets}">` +
        `<text x="${labelW - 10}" y="${y + 13}" text-anchor="end" font-size="12.5" font-weight="700" fill="#0f172a">${esc(b.pod)}</text>` +
        `<text x="${labelW - 10}" y="${y + 26}" text-anchor="end" font-size="10" fill="${MUTED}">${esc(`${b.node ?? 'remote'} · ${addr}/${b.protocol}`)}</text>` +
        `<rect x="${labelW}" y="${y + 3}" width="${barW}" height="20" rx="3" fill="#f1f5f9"/>` +
        (w > 0 ? `<rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="20" rx="3" fill="${colourOf(b.node)}"/>` : '') +
        `<text x="${labelW + barW + 10}" y="${y + 17}" font-size="12" fill="#0f172a">${b.flows} flow${b.flows === 1 ? '' : 's'} · ${b.packets} pkt${b.packets === 1 ? '' : 's'}</text></g>`,
    );
  });
  if (rest.length) {
    const y = 10 + shown.length * rowH;
    const flows = rest.reduce((n, b) => n + b.flows, 0);
    out.push(`<text x="${labelW - 10}" y="${y + 16}" text-anchor="end" font-size="11" fill="${MUTED}">${rest.length} more backends</text><text x="${labelW + barW + 10}" y="${y + 16}" font-size="12" fill="${MUTED}">${flows} flows</text>`);
  }
  const legend = nodes.map((n) => `<span class="chip"><i style="background:${colourOf(n === '—' ? undefined : n)}"></i>${esc(n === '—' ? 'remote' : n)}</span>`).join(' ');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="bars" data-backends="${rows.length}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Flows per backend" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">` +
    `<title>Flows per backend</title>${out.join('')}</svg>` +
    `<p class="chips">bar colour = node: ${legend}</p>`
  );
}
