/**
 * compare.ts: `dsrlab compare CAPTURE --scenario S [--modes snat,dsr,hybrid]`: checks the
 * options, runs compare() (src/report/compare.ts: one replay per mode) and prints the modes side
 * by side (src/report/compare-text.ts) or as one JSON object.
 */
import { RESPONDERS, type Responder } from '../../datapath/config.js';
import { InputError } from '../../errors.js';
import { compare, parseModes } from '../../report/compare.js';
import { DEFAULT_TEXT_FLOWS, renderCompare } from '../../report/compare-text.js';

export interface CompareCommandOptions {
  scenario: string;
  modes?: string;
  responder?: string;
  json?: boolean;
  maxFlows?: string;
}

/** Runs the command; resolves to the exit code. */
export async function compareCommand(capture: string, opts: CompareCommandOptions): Promise<number> {
  const modes = parseModes(opts.modes ?? 'snat,dsr,hybrid');
  if (opts.responder !== undefined && !(RESPONDERS as readonly string[]).includes(opts.responder)) {
    throw new InputError({ file: '--responder' }, `${JSON.stringify(opts.responder)} is not a responder: allowed values are ${RESPONDERS.join(', ')}`);
  }
  let maxFlows = DEFAULT_TEXT_FLOWS;
  if (opts.maxFlows !== undefined) {
    maxFlows = Number(opts.maxFlows);
    if (!Number.isInteger(maxFlows) || maxFlows < 0) throw new InputError({ file: '--max-flows' }, `${JSON.stringify(opts.maxFlows)} is not a whole number ≥ 0`);
  }
  const result = await compare(capture, opts.scenario, { modes, ...(opts.responder ? { responder: opts.responder as Responder } : {}) });
  process.stdout.write((opts.json ? JSON.stringify(result, null, 2) : renderCompare(result, maxFlows)) + '\n');
  return 0;
}
