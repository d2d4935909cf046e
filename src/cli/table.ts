/**
 * table.ts: aligned text tables and key/value blocks for the terminal. Hand-written because it
 * is twenty lines and must measure text without colour codes; colours come from picocolors.
 */
// eslint-style note: the ANSI pattern is the one ECMA-48 SGR sequences follow.
const ANSI = /\x1b\[[0-9;]*m/g;

export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

function pad(s: string, width: number, right: boolean): string {
  const gap = Math.max(0, width - visibleLength(s));
  return right ? ' '.repeat(gap) + s : s + ' '.repeat(gap);
}

/** Renders rows under a header; columns whose cells are all numbers are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...cells.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]) => r.map((c, i) => pad(c, widths[i]!, numeric[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Renders `key  value` lines with the keys aligned. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => visibleLength(k)));
  return pairs.map(([k, v]) => pad(k, w, false) + '  ' + v).join('\n');
}
