/**
 * replay.ts: `dsrlab replay CAPTURE --scenario S`: checks the options, loads the scenario, runs
 * replay() (src/replay.ts, which writes --out DIR) and prints the summary as aligned tables or
 * JSON. The exit status is main.ts's mapping: 1 with --fail-on-drop when drops happened.
 */
import pc from '../colour.js';
import { LB_MODES, RESPONDERS, type Responder } from '../../datapath/config.js';
import { DSRLAB_WITHHELD, dropReasonByName } from '../../datapath/drop-reasons.js';
import { InputError } from '../../errors.js';
import { FLOW_LOGS, replay, type FlowLog, type ReplaySummary } from '../../replay.js';
import { loadScenario } from '../../scenario/index.js';
import type { LbMode } from '../../scenario/types.js';
import { keyValues, table } from '../table.js';

export interface ReplayCommandOptions {
  scenario: string;
  out?: string;
  flows?: string;
  mode?: string;
  responder?: string;
  json?: boolean;
  failOnDrop?: boolean;
}

/** Drops that --fail-on-drop counts: every dropped packet but withheld server packets. */
export function failingDrops(s: ReplaySummary): number {
  let n = 0;
  for (const [name, k] of Object.entries(s.dropReasons)) if (dropReasonByName(name)?.code !== DSRLAB_WITHHELD) n += k;
  return n;
}

function pct(n: number, total: number): string {
  return total ? `${((100 * n) / total).toFixed(1)}%` : '—';
}

/** The terminal rendering of a replay summary. */
export function renderReplaySummary(s: ReplaySummary): string {
  const p = s.packets;
  const out: string[] = [];
  out.push(
    keyValues([
      ['capture', pc.bold(s.capture)],
      ['scenario', `${s.scenario} (Cilium ${s.ciliumVersion}, mode ${pc.bold(s.mode)}, responder ${s.responder})`],
    ]),
  );
  out.push('');
  const fates: (string | number)[][] = [
    ['packets in', p.in, ''],
    ['delivered', p.delivered, pct(p.delivered, p.in)],
    ['to a node stack', p.toStack, pct(p.toStack, p.in)],
    ['dropped', p.dropped, pct(p.dropped, p.in)],
    ['answered (ICMP error)', p.answered, pct(p.answered, p.in)],
  ];
  if (p.unaccounted) fates.push([pc.red('unaccounted'), p.unaccounted, pct(p.unaccounted, p.in)]);
  out.push(table(['fate', 'packets', 'share'], fates));
  if (s.drops.length) {
    out.push('');
    out.push(
      table(
        ['drop reason', 'code', 'packets', 'where'],
        s.drops.map((d) => [
          pc.red(d.reason),
          String(d.code),
          d.count,
          Object.entries(d.where)
            .map(([w, k]) => `${w}${k > 1 ? ` ×${k}` : ''}`)
            .join(', '),
        ]),
      ),
    );
  }
  const used = s.backends.filter((b) => b.flows || b.packets);
  if (used.length) {
    out.push('');
    out.push(
      table(
        ['backend', 'node', 'address', 'flows', 'packets'],
        used.map((b) => [b.pod, b.node ?? '—', `${b.address.includes(':') ? `[${b.address}]` : b.address}:${b.port}/${b.protocol}`, b.flows, b.packets]),
      ),
    );
  }
  const pressure: (string | number)[][] = [];
  for (const [node, maps] of Object.entries(s.maps?.nodes ?? {})) {
    for (const [name, m] of Object.entries(maps)) if (m.evictions) pressure.push([node, name, m.maxEntries, m.entries, pc.yellow(m.evictions.toLocaleString('en-US'))]);
  }
  if (pressure.length) {
    out.push('');
    out.push(table(['node', 'map (full: LRU evictions)', 'max entries', 'entries', 'evictions'], pressure));
  }
  const extra: [string, string][] = [];
  if (s.maps?.snatNoMapping) extra.push(['SNAT ports', `exhausted ${s.maps.snatNoMapping} time(s): no free port after the retries (DROP_NAT_NO_MAPPING)`]);
  if (s.flows.split) extra.push(['split flows', `${s.flows.split} flow(s) went to more than one backend`]);
  if (s.responses.made) {
    const r = s.responses;
    extra.push(['responses made', `${r.made} (${r.delivered} delivered, ${r.dropped} dropped, ${r.answered} answered, ${r.toStack} to a stack)`]);
  }
  if (s.withheld.count) {
    extra.push(['withheld', `${s.withheld.count} server packet(s): ${Object.entries(s.withheld.reasons).map(([k, v]) => `${v} ${k}`).join('; ')}`]);
  }
  if (s.comparison) {
    const c = s.comparison;
    const bad = c.mismatched ? pc.red(`${c.mismatched} mismatched`) : '0 mismatched';
    extra.push(['server packets', `${c.compared} reached the client: ${c.matched} matched the capture, ${bad}; ${c.notDelivered} did not reach it`]);
  }
  if (s.outputs) {
    const flows = s.outputs.flows === 'none' ? 'no flows.jsonl (--flows none)' : `flows.jsonl: ${s.outputs.flowRecords} records`;
    extra.push(['written', `${s.outputs.dir} (summary.json, ${flows}, ${s.outputs.pcaps.length} pcaps in points/)`]);
  }
  if (extra.length) {
    out.push('');
    out.push(keyValues(extra));
  }
  if (s.comparison?.firstMismatches.length) {
    for (const m of s.comparison.firstMismatches) out.push(`  ${pc.red('≠')} packet ${m.packet}: ${m.field} (byte ${m.offset}): capture ${m.expected}, replay ${m.got}`);
  }
  return out.join('\n');
}

/** Runs the command; resolves to the exit code (0, or 1 with --fail-on-drop and drops). */
export async function replayCommand(capture: string, opts: ReplayCommandOptions): Promise<number> {
  if (opts.mode !== undefined && !(LB_MODES as readonly string[]).includes(opts.mode)) {
    throw new InputError({ file: '--mode' }, `${JSON.stringify(opts.mode)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
  }
  if (opts.responder !== undefined && !(RESPONDERS as readonly string[]).includes(opts.responder)) {
    throw new InputError({ file: '--responder' }, `${JSON.stringify(opts.responder)} is not a responder: allowed values are ${RESPONDERS.join(', ')}`);
  }
  if (opts.flows !== undefined && !(FLOW_LOGS as readonly string[]).includes(opts.flows)) {
    throw new InputError({ file: '--flows' }, `${JSON.stringify(opts.flows)} is not a flow log level: allowed values are ${FLOW_LOGS.join(', ')}`);
  }
  const mode = opts.mode as LbMode | undefined;
  const scenario = await loadScenario(opts.scenario, mode ? { overrides: { loadBalancerMode: mode } } : {});
  const progress = progressLine();
  const { summary } = await replay(capture, scenario, {
    ...(mode ? { mode } : {}),
    ...(opts.responder ? { responder: opts.responder as Responder } : {}),
    ...(opts.out ? { out: opts.out } : {}),
    ...(opts.flows ? { flows: opts.flows as FlowLog } : {}),
    ...(progress ? { onProgress: progress.update } : {}),
  });
  progress?.done();
  process.stdout.write((opts.json ? JSON.stringify(summary, null, 2) : renderReplaySummary(summary)) + '\n');
  return opts.failOnDrop && failingDrops(summary) > 0 ? 1 : 0;
}

/**
 * A one-line progress bar on stderr for replays that take more than a moment, only on a TTY
 * (never in pipes, files or CI logs) unless DSRLAB_PROGRESS=1 asks for it anyway (a wrapper
 * that relays it, scripts/huge-replay.ts). Twenty lines by hand: no library fits a single \r line.
 */
function progressLine(): { update: (p: { packets: number; bytesRead: number; fileSize: number }) => void; done: () => void } | undefined {
  if (!process.stderr.isTTY && process.env.DSRLAB_PROGRESS !== '1') return undefined;
  const start = Date.now();
  let shown = false;
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (now - start < 1000 || now - last < 100) return;
      last = now;
      shown = true;
      const frac = p.fileSize ? Math.min(1, p.bytesRead / p.fileSize) : 0;
      const width = 30;
      const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
      process.stderr.write(`\r${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${p.packets.toLocaleString('en-US')} packets`);
    },
    done() {
      if (shown) process.stderr.write('\r' + ' '.repeat(60) + '\r');
    },
  };
}
