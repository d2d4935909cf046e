/**
 * compare-text.ts: the terminal rendering of a CompareResult: one column per mode, a block of
 * rows per flow (backend, hops, reply path, what the backend saw, MTU/ICMP, SNAT ports) and a
 * totals block (fates, drops by reason, bytes per link), every column aligned across blocks.
 * Cells that differ from the first mode's are highlighted. The numbers are compare.ts's.
 */
import pc from '../cli/colour.js';
import { visibleLength } from '../cli/table.js';
import type { CompareFlow, CompareResult, FlowModeStats, HopStats } from './compare.js';

/** Flows printed before "… N more" (the JSON has them all). */
export const DEFAULT_TEXT_FLOWS = 20;

interface Block {
  title: string;
  rows: string[][];
}

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - visibleLength(s)));
}

/** Renders blocks under one header, columns aligned across all blocks. */
export function sideBySide(header: string[], blocks: Block[]): string {
  const all = blocks.flatMap((b) => b.rows);
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...all.map((r) => visibleLength(r[i] ?? ''))));
  const line = (r: string[]) =>
    r
      .map((c, i) => pad(c, widths[i]!))
      .join('   ')
      .trimEnd();
  const out = [line(header.map((h) => pc.bold(h))), line(widths.map((w, i) => (i === 0 ? ' '.repeat(w) : '─'.repeat(w))))];
  for (const b of blocks) {
    out.push(b.title);
    for (const r of b.rows) out.push(line(r));
  }
  return out.join('\n');
}

function hops(h: HopStats | null): string {
  if (!h) return '—';
  return h.min === h.max ? String(h.typical) : `${h.typical} (${h.min}–${h.max})`;
}

function list(xs: (string | number)[], empty = '—'): string {
  return xs.length ? xs.join(', ') : empty;
}

function flowRows(f: CompareFlow, modes: string[]): string[][] {
  const cell = (fn: (s: FlowModeStats) => string) => modes.map((m) => (f.modes[m] ? fn(f.modes[m]!) : 'absent'));
  const rows: [string, string[]][] = [
    ['forwarding', cell((s) => s.forwarding)],
    ['backend', cell((s) => list(s.backends))],
    ['packets req / reply', cell((s) => `${s.packets.requests} / ${s.packets.replies}`)],
    ['hops req / reply', cell((s) => `${hops(s.hops.request)} / ${hops(s.hops.reply)}`)],
    ['request path', cell((s) => (s.requestPath.length ? s.requestPath.join('→') : '—'))],
    ['reply path', cell((s) => (s.replyPath.length ? s.replyPath.join('→') : '—'))],
    ['backend saw', cell((s) => list(s.backendSaw))],
    ['client saw', cell((s) => list(s.clientSaw))],
    [
      'MTU drops / ICMP',
      cell((s) => {
        const icmp = Object.entries(s.icmpErrors).map(([k, n]) => `${n}× ${k}`);
        return `${s.mtu.dropped} / ${icmp.length ? icmp.join('; ') : '0'}`;
      }),
    ],
    ['SNAT ports', cell((s) => list(s.snatPorts))],
  ];
  const drops = new Set(modes.flatMap((m) => Object.keys(f.modes[m]?.drops ?? {})));
  if (drops.size) rows.push(['drops', cell((s) => list(Object.entries(s.drops).map(([r, n]) => `${n}× ${r}`)))]);
  return rows.map(([k, cs]) => ['  ' + k, ...highlightDiffs(cs)]);
}

/** Colours the cells that differ from the first column's. */
function highlightDiffs(cells: string[]): string[] {
  return cells.map((c, i) => (i > 0 && c !== cells[0] ? pc.yellow(c) : c));
}

function num(n: number): string {
  return n.toLocaleString('en-US');
}

function totalsRows(r: CompareResult): string[][] {
  const rows: [string, string[]][] = [];
  const per = (fn: (i: number) => string) => r.modes.map((_, i) => fn(i));
  rows.push(['packets in', per((i) => num(r.runs[i]!.packets.in))]);
  rows.push(['delivered', per((i) => num(r.runs[i]!.packets.delivered))]);
  rows.push(['to a node stack', per((i) => num(r.runs[i]!.packets.toStack))]);
  rows.push(['dropped', per((i) => num(r.runs[i]!.packets.dropped))]);
  rows.push(['answered (ICMP error)', per((i) => num(r.runs[i]!.packets.answered))]);
  const reasons = [...new Set(r.runs.flatMap((run) => Object.keys(run.dropReasons)))].sort();
  for (const reason of reasons) rows.push([`  ${reason}`, per((i) => num(r.runs[i]!.dropReasons[reason] ?? 0))]);
  const viaLb = (i: number) => {
    const m = r.modes[i]!;
    const withReplies = r.flows.filter((f) => f.modes[m]?.replyViaLbNode !== undefined);
    const via = withReplies.filter((f) => f.modes[m]!.replyViaLbNode).length;
    return withReplies.length ? `${via} of ${withReplies.length}` : '—';
  };
  rows.push(['flows', per((i) => num(r.flows.filter((f) => f.modes[r.modes[i]!]).length))]);
  rows.push(['flows replying via LB node', per(viaLb)]);
  const hosts = [...new Set(r.runs.flatMap((run) => Object.keys(run.links)))];
  for (const h of hosts) {
    rows.push([
      `wire-${h}`,
      per((i) => {
        const l = r.runs[i]!.links[h];
        return l ? `${num(l.bytes)} B (${num(l.packets)} frame${l.packets === 1 ? '' : 's'})` : '0 B';
      }),
    ]);
  }
  return rows.map(([k, cs]) => ['  ' + k, ...highlightDiffs(cs)]);
}

/** The whole comparison for the terminal; at most `maxFlows` flow blocks. */
export function renderCompare(r: CompareResult, maxFlows = DEFAULT_TEXT_FLOWS): string {
  const head = [
    `capture   ${pc.bold(r.capture)}`,
    `scenario  ${r.scenario} (Cilium ${r.ciliumVersion}), responder ${r.responder}`,
    '',
  ];
  const blocks: Block[] = r.flows.slice(0, maxFlows).map((f, i) => ({ title: pc.cyan(pc.bold(`flow ${i + 1}  ${f.label}`)), rows: flowRows(f, r.modes) }));
  blocks.push({ title: pc.cyan(pc.bold('totals')), rows: totalsRows(r) });
  const body = sideBySide(['', ...r.modes], blocks);
  const more = r.flows.length > maxFlows ? `\n\n… ${r.flows.length - maxFlows} more flow(s) not shown (--json has them all)` : '';
  return head.join('\n') + '\n' + body + more;
}
