/**
 * report.ts: `report()`, a capture replayed in one mode and written up as a self-contained HTML
 * page (summary, backend distribution, a sequence diagram per flow). Collecting the hops is
 * trace.ts's; the page is html.ts's.
 */
import { writeFileSync } from 'node:fs';
import type { Responder } from '../datapath/config.js';
import { InputError } from '../errors.js';
import { replay, type ReplaySummary } from '../replay.js';
import { loadScenario } from '../scenario/index.js';
import type { LbMode, Scenario } from '../scenario/types.js';
import { renderReportHtml } from './html.js';
import { TraceCollector } from './trace.js';

/** Flows drawn by default, and packets per flow. */
export const DEFAULT_REPORT_FLOWS = 50;
export const DEFAULT_REPORT_PACKETS = 12;

export interface ReportOptions {
  /** Write the page to this file. */
  html?: string;
  /** Overrides cilium.loadBalancer.mode. */
  mode?: LbMode;
  /** Default: replay's. */
  responder?: Responder;
  /** Flows drawn as sequence diagrams (default 50). */
  maxFlows?: number;
  /** Packets drawn per flow (default 12, plus up to half as many later dropped/answered ones). */
  packetsPerFlow?: number;
}

export interface ReportResult {
  /** The HTML document. */
  html: string;
  /** Where it was written. */
  file?: string;
  summary: ReplaySummary;
  /** Flows in the capture, and how many got a diagram. */
  flows: number;
  diagrams: number;
}

const GENERATOR = 'dsrlab 0.1.0';

/**
 * Replays `capture` and renders the report. `scenario` is a file (loaded with the mode override,
 * so it is validated as `--mode` would be) or a loaded Scenario. Throws InputError for bad input.
 */
export async function report(capture: string, scenario: string | Scenario, opts: ReportOptions = {}): Promise<ReportResult> {
  const maxFlows = opts.maxFlows ?? DEFAULT_REPORT_FLOWS;
  const packetsPerFlow = opts.packetsPerFlow ?? DEFAULT_REPORT_PACKETS;
  if (!Number.isInteger(maxFlows) || maxFlows < 0) throw new InputError({ file: '--max-flows' }, `${maxFlows} is not a whole number ≥ 0`);
  if (!Number.isInteger(packetsPerFlow) || packetsPerFlow < 1) throw new InputError({ file: '--packets-per-flow' }, `${packetsPerFlow} is not a whole number ≥ 1`);
  const sc = typeof scenario === 'string' ? await loadScenario(scenario, opts.mode ? { overrides: { loadBalancerMode: opts.mode } } : {}) : scenario;
  const collector = new TraceCollector({ traceFlows: maxFlows, tracePackets: packetsPerFlow });
  const { summary, controlPlane } = await replay(capture, sc, {
    ...(opts.mode ? { mode: opts.mode } : {}),
    ...(opts.responder ? { responder: opts.responder } : {}),
    onRun: collector.onRun,
  });
  const flows = collector.flows();
  const html = renderReportHtml({ summary, flows, controlPlane, maxFlows, packetsPerFlow, generator: GENERATOR });
  const result: ReportResult = { html, summary, flows: flows.length, diagrams: flows.filter((f) => f.packets !== undefined).length };
  if (opts.html) {
    try {
      writeFileSync(opts.html, html);
    } catch (e) {
      throw new InputError({ file: opts.html }, `cannot write the report: ${(e as Error).message}`);
    }
    result.file = opts.html;
  }
  return result;
}
