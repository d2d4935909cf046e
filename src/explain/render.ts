/**
 * render.ts: an Explanation drawn for the terminal: a sequence diagram (one column per host
 * the flow touched, one arrow per link crossing labelled with the packet's tuple), then per
 * packet its hops with the header diff, the state created and the backend choice, then what
 * tcpdump on each node would show. Colour comes from picocolors (off with NO_COLOR or when
 * stdout is not a terminal). What the Explanation holds is explain.ts's business.
 */
import pc from '../cli/colour.js';
import { visibleLength } from '../cli/table.js';
import { endpointText } from './headers.js';
import type { BackendChoice, ExplainedHop, ExplainedPacket, Explanation, ExplainHost, FieldChange } from './types.js';

export interface RenderOptions {
  /** Every hook hop (also unchanged passes), MAC and checksum changes. Default true. */
  verbose?: boolean;
  /** Only these packets (by index); default all. */
  packets?: number[];
  /** Leave out the header block (scenario, flow, backend). */
  noHeader?: boolean;
  /** Indent every line by this many spaces. */
  indent?: number;
}

const ROLE_TEXT: Record<ExplainHost['role'], string> = {
  client: 'client',
  lb: 'LB node',
  'backend-node': 'backend node',
  backend: 'backend pod',
  node: 'node',
  pod: 'pod',
};

function pad(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - visibleLength(s)));
}

/** `web-c 10.244.2.10:8080 on node-c · Maglev hash 2212823186 → slot 12182 of 16381`. */
export function backendText(b: BackendChoice): string {
  const where = `${pc.bold(b.pod)} ${endpointText(b.address, b.port)}${b.node ? ` on ${b.node}` : ''}`;
  if (b.how === 'maglev' && b.maglev) return `${where} · Maglev hash ${b.maglev.hash} → slot ${b.maglev.slot} of ${b.maglev.tableSize} (hash mod table size)`;
  if (b.how === 'random' && b.random) return `${where} · random pick: slot ${b.random.slot}${b.random.of ? ` of ${b.random.of}` : ''}`;
  return `${where} · from the flow's conntrack entry`;
}

function colourLabel(label: string): string {
  return label.replace('+DSR opt', pc.magenta('+DSR opt'));
}

/** The sequence diagram: host columns and one arrow per link crossing. */
export function renderDiagram(e: Explanation, only?: number[]): string[] {
  const hosts = e.hosts;
  const names = hosts.map((h) => h.name);
  const w = Math.max(14, ...hosts.map((h) => Math.max(h.name.length, ROLE_TEXT[h.role].length) + 3));
  const margin = 5;
  const xs = hosts.map((_, i) => margin + i * w + Math.floor(w / 2));
  const width = xs[xs.length - 1]! + 1;
  const centred = (texts: string[]): string => {
    const line = new Array<string>(width + w).fill(' ');
    texts.forEach((t, i) => {
      const start = Math.max(0, xs[i]! - Math.floor(t.length / 2));
      for (let k = 0; k < t.length; k++) line[start + k] = t[k]!;
    });
    return line.join('').trimEnd();
  };
  const out: string[] = [];
  out.push(pc.bold(centred(names)));
  out.push(pc.dim(centred(hosts.map((h) => ROLE_TEXT[h.role]))));
  const lifelines = (): string[] => {
    const line = new Array<string>(width).fill(' ');
    for (const x of xs) line[x] = '│';
    return line;
  };
  out.push(pc.dim(lifelines().join('').trimEnd()));
  for (const p of e.packets) {
    if (only && !only.includes(p.index)) continue;
    let first = true;
    const tag = () => {
      const t = first ? `#${p.index}` : '';
      first = false;
      return t.padEnd(margin - 1) + ' ';
    };
    const colour = p.role === 'reply' ? pc.green : pc.cyan;
    for (const c of p.crossings) {
      const a = names.indexOf(c.from);
      const b = names.indexOf(c.to);
      if (a < 0 || b < 0) continue;
      const line = lifelines();
      const [lo, hi] = a < b ? [xs[a]!, xs[b]!] : [xs[b]!, xs[a]!];
      for (let x = lo; x <= hi; x++) line[x] = '─';
      if (a < b) {
        line[lo] = '├';
        line[hi - 1] = '▶';
        line[hi] = '│';
      } else {
        line[hi] = '┤';
        line[lo + 1] = '◀';
        line[lo] = '│';
      }
      const icmp = /ICMP|ICMPv6/.test(c.label) && p.fate.outcome === 'answered' && c.from === p.fate.answeredBy;
      const arrowColour = icmp ? pc.red : c.xdp ? pc.yellow : colour;
      const body = line.slice(margin).join('');
      const label = colourLabel(c.label) + (c.xdp ? pc.yellow(' (XDP_TX)') : '');
      out.push(tag() + arrowColour(body) + '  ' + label);
    }
    if (p.fate.outcome === 'dropped' && p.fate.host) {
      const i = names.indexOf(p.fate.host);
      const line = lifelines();
      if (i >= 0) line[xs[i]!] = '✕';
      out.push(tag() + pc.red(line.slice(margin).join('')) + '  ' + pc.red(`dropped at ${p.fate.host}: ${p.fate.drop?.name ?? '?'} (${p.fate.drop?.description ?? ''})`));
    }
  }
  return out;
}

function changeLine(c: FieldChange): string {
  const note = c.note ? pc.magenta(` (${c.note})`) : '';
  if (c.kind === 'added') return pc.green(`+ ${c.label} ${c.to}`) + note;
  if (c.kind === 'removed') return pc.red(`- ${c.label} ${c.from}`) + note;
  return `${c.label} ${c.from} → ${pc.bold(c.to ?? '')}` + note;
}

/** The diff of one hop as lines (MACs and checksums grouped; ICMP answers summarised). */
export function changeLines(h: ExplainedHop, verbose: boolean): string[] {
  const out: string[] = [];
  if (h.verdict === 'ANSWERED') {
    const v = h.headers;
    const icmp = v.l4?.icmp;
    const quoted = v.quoted;
    out.push(
      pc.red(`→ ${v.l4?.protocol ?? 'ICMP'} ${icmp ? `type ${icmp.type} code ${icmp.code} (${icmp.name})` : ''}${icmp?.mtu !== undefined ? `, mtu ${pc.bold(String(icmp.mtu))}` : ''}`) +
        ` from ${v.ip?.src} to ${v.ip?.dst}, ${v.ip?.totalLength} bytes`,
    );
    if (quoted) out.push(`quoting ${colourLabel(quotedLabel(h))} (${quoted.length} bytes of it)`);
    return out;
  }
  const macs = h.changes.filter((c) => c.key.endsWith('eth.src') || c.key.endsWith('eth.dst'));
  const sums = h.changes.filter((c) => c.checksum);
  for (const c of h.changes) {
    if (macs.includes(c) || sums.includes(c)) continue;
    out.push(changeLine(c));
  }
  if (verbose && macs.length) out.push(pc.dim(`MAC ${macs.map((c) => `${c.label.replace(' MAC', '')} ${c.from ?? '∅'} → ${c.to ?? '∅'}`).join(', ')}`));
  if (verbose && sums.length) {
    const ok = h.headers.checksumsValid ? pc.green('valid') : pc.red('INVALID');
    out.push(pc.dim(`checksums ${sums.map((c) => `${c.label} ${c.from ?? '∅'} → ${c.to ?? '∅'}`).join(', ')} (`) + ok + pc.dim(')'));
  }
  return out;
}

function quotedLabel(h: ExplainedHop): string {
  const q = h.headers.quoted;
  if (!q?.ip) return '?';
  const l4 = q.l4;
  const proto = l4?.flags !== undefined ? `[${l4.flags}]` : (l4?.protocol ?? '');
  return `${endpointText(q.ip.src, l4?.sport)} → ${endpointText(q.ip.dst, l4?.dport)} ${proto} len ${q.ip.totalLength}`;
}

function fateText(p: ExplainedPacket): string {
  const f = p.fate;
  switch (f.outcome) {
    case 'delivered':
      return pc.green(`delivered to ${f.host}`);
    case 'to-stack':
      return `to ${f.host}'s stack`;
    case 'dropped':
      return pc.red(`dropped at ${f.host} ${f.point ? `(${f.point})` : ''}: ${f.drop?.name} — ${f.drop?.description}`);
    case 'answered':
      return pc.red(`answered by ${f.answeredBy}: ${f.answer}`) + (f.host ? ` (reached ${f.host})` : '');
    default:
      return pc.red('no final fate (unaccounted)');
  }
}

function shownHop(h: ExplainedHop, verbose: boolean): boolean {
  if (h.verdict === 'SEEN') return verbose && h.changes.length > 0;
  if (verbose) return true;
  return h.verdict !== 'PASS' || h.changes.length > 0 || h.created.length > 0;
}

/** One packet's hops as lines. */
export function renderPacket(p: ExplainedPacket, verbose = true): string[] {
  const out: string[] = [];
  const who = p.origin === 'responder' ? `reply from the echo responder${p.answers ? ` to #${p.answers}` : ''}` : p.origin === 'capture-server' ? 'server packet from the capture' : 'request';
  const frame = p.captureFrame !== undefined ? pc.dim(` (capture frame ${p.captureFrame})`) : '';
  out.push(`${pc.bold(`#${p.index}`)} ${who}${frame}  ${colourLabel(p.label)}  ${pc.dim('→')} ${fateText(p)}`);
  const hostW = Math.max(...p.hops.map((h) => h.host.length));
  const hookW = 10;
  for (const h of p.hops) {
    if (!shownHop(h, verbose)) continue;
    const verdictColour = h.verdict === 'DROPPED' || h.verdict === 'ANSWERED' ? pc.red : h.verdict === 'TRANSLATED' ? pc.yellow : (s: string) => s;
    out.push(`   ${pad(h.host, hostW)}  ${pad(h.hook, hookW)}  ${verdictColour(h.action)}`);
    const sub = ' '.repeat(3 + hostW + 2 + hookW + 2);
    if (h.backend) out.push(sub + `backend ${backendText(h.backend)}`);
    for (const l of changeLines(h, verbose)) out.push(sub + l);
    for (const s of h.created) out.push(sub + pc.cyan(`state: ${s.text}`));
  }
  const seen = `seen by ${p.seenBy.join(', ') || 'no capture point'}`;
  out.push(pc.dim(`   ${seen}`));
  for (const m of p.missedBy) out.push(pc.yellow(`   not in ${m.point}: ${m.reason}`));
  return out;
}

/** "What tcpdump would see" on each node the flow touched. */
export function renderTcpdump(e: Explanation, only?: number[]): string[] {
  const out: string[] = [];
  const w = Math.max(...e.tcpdump.map((t) => t.node.length), 4);
  for (const t of e.tcpdump) {
    const shown = t.shown.filter((s) => !only || only.includes(s.packet));
    const missed = t.missed.filter((s) => !only || only.includes(s.packet));
    const head = `   tcpdump -i <ext> on ${pad(t.node, w)}  `;
    if (shown.length === 0) out.push(head + pc.dim('shows nothing of this flow'));
    shown.forEach((s, i) => out.push((i === 0 ? head : ' '.repeat(visibleLength(head))) + `${s.direction} #${s.packet}  ${colourLabel(s.label)}`));
    const byReason = new Map<string, string[]>();
    for (const m of missed) {
      const l = byReason.get(m.reason) ?? [];
      l.push(`#${m.packet} ${m.direction}`);
      byReason.set(m.reason, l);
    }
    for (const [reason, list] of byReason) out.push(' '.repeat(visibleLength(head)) + pc.yellow(`misses ${list.join(', ')}: ${reason}`));
  }
  return out;
}

/** The header lines: scenario, mode, flow, backend. */
export function renderHeader(e: Explanation): string[] {
  const out: string[] = [];
  const accel = e.acceleration === 'disabled' ? 'no XDP' : `XDP ${e.acceleration}`;
  out.push(`${pc.bold('scenario')}  ${e.scenario} · Cilium ${e.ciliumVersion} · mode ${pc.bold(e.mode)}${e.mode !== 'snat' ? ` (dispatch ${e.dispatch})` : ''} · ${accel} · responder ${e.responder}`);
  if (e.input.kind === 'capture') out.push(`${pc.bold('capture')}   ${e.input.capture}: flow ${e.input.flow} of ${e.input.flows} (${e.input.capturePackets?.length ?? 0} packets)`);
  const f = e.flow;
  const client = `${endpointText(f.client.address, f.client.port)}${f.client.host ? ` (${f.client.host})` : ''}`;
  const svc = f.service ? ` · ${f.service.kind} ${f.service.name}, forwarding ${pc.bold(f.service.forwarding)}, ${f.service.algorithm}` : ' · no service matches';
  out.push(`${pc.bold('flow')}      ${f.protocol} ${client} → ${endpointText(f.frontend.address, f.frontend.port)}${svc}`);
  if (f.backend) out.push(`${pc.bold('backend')}   ${backendText(f.backend)} (chosen by ${f.backend.host} at ${f.backend.point.toLowerCase().replace('_', ' ')})`);
  return out;
}

/** The whole explanation for the terminal. */
export function renderExplanation(e: Explanation, opts: RenderOptions = {}): string {
  const verbose = opts.verbose ?? true;
  const out: string[] = [];
  if (!opts.noHeader) {
    out.push(...renderHeader(e));
    out.push('');
  }
  out.push(...renderDiagram(e, opts.packets));
  out.push('');
  for (const p of e.packets) {
    if (opts.packets && !opts.packets.includes(p.index)) continue;
    out.push(...renderPacket(p, verbose));
    out.push('');
  }
  out.push(pc.bold('what tcpdump would see'));
  out.push(...renderTcpdump(e, opts.packets));
  const ind = ' '.repeat(opts.indent ?? 0);
  return out.map((l) => (l ? ind + l : l)).join('\n');
}
