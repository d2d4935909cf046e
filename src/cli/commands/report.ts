/**
 * report.ts: `dsrlab report CAPTURE --scenario S --html FILE [--mode M]`: checks the options,
 * runs report() (src/report/report.ts: one replay, an HTML page with sequence diagrams) and
 * prints where the page went and what it holds.
 */
import { LB_MODES, RESPONDERS, type Responder } from '../../datapath/config.js';
import { InputError } from '../../errors.js';
import { DEFAULT_REPORT_FLOWS, DEFAULT_REPORT_PACKETS, report } from '../../report/report.js';
import type { LbMode } from '../../scenario/types.js';

export interface ReportCommandOptions {
  scenario: string;
  html: string;
  mode?: string;
  responder?: string;
  maxFlows?: string;
  packetsPerFlow?: string;
}

function count(text: string | undefined, option: string, dflt: number, min: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < min) throw new InputError({ file: option }, `${JSON.stringify(text)} is not a whole number ≥ ${min}`);
  return n;
}

/** Runs the command; resolves to the exit code. */
export async function reportCommand(capture: string, opts: ReportCommandOptions): Promise<number> {
  if (opts.mode !== undefined && !(LB_MODES as readonly string[]).includes(opts.mode)) {
    throw new InputError({ file: '--mode' }, `${JSON.stringify(opts.mode)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
  }
  if (opts.responder !== undefined && !(RESPONDERS as readonly string[]).includes(opts.responder)) {
    throw new InputError({ file: '--responder' }, `${JSON.stringify(opts.responder)} is not a responder: allowed values are ${RESPONDERS.join(', ')}`);
  }
  const maxFlows = count(opts.maxFlows, '--max-flows', DEFAULT_REPORT_FLOWS, 0);
  const packetsPerFlow = count(opts.packetsPerFlow, '--packets-per-flow', DEFAULT_REPORT_PACKETS, 1);
  const r = await report(capture, opts.scenario, {
    html: opts.html,
    maxFlows,
    packetsPerFlow,
    ...(opts.mode ? { mode: opts.mode as LbMode } : {}),
    ...(opts.responder ? { responder: opts.responder as Responder } : {}),
  });
  const p = r.summary.packets;
  process.stdout.write(
    `wrote ${r.file} (${Math.round(r.html.length / 1024)} KiB): mode ${r.summary.mode}, ${p.in} packets (${p.delivered} delivered, ${p.toStack} to a stack, ${p.dropped} dropped, ${p.answered} answered), ${r.flows} flows, ${r.diagrams} sequence diagrams\n`,
  );
  return 0;
}
