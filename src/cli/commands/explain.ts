/**
 * explain.ts: `dsrlab explain --scenario S (--packet SPEC… | --capture F --flow N) [--mode M]
 * [--json]`: checks the options, loads the scenario, runs explain() (src/explain) and prints
 * the Explanation as a terminal sequence diagram with per-hop diffs, or as JSON. The work is
 * src/explain's; this file only maps options.
 */
import { LB_MODES, RESPONDERS, type Responder } from '../../datapath/config.js';
import { InputError } from '../../errors.js';
import { explain } from '../../explain/explain.js';
import { parsePacketSpec } from '../../explain/packet-spec.js';
import { renderExplanation } from '../../explain/render.js';
import { loadScenario } from '../../scenario/index.js';
import type { LbMode } from '../../scenario/types.js';

export interface ExplainCommandOptions {
  scenario: string;
  packet?: string[];
  capture?: string;
  flow?: string;
  mode?: string;
  responder?: string;
  json?: boolean;
  brief?: boolean;
}

/** Runs the command; resolves to the exit code (0). Bad input throws InputError (exit 2). */
export async function explainCommand(opts: ExplainCommandOptions): Promise<number> {
  if (opts.mode !== undefined && !(LB_MODES as readonly string[]).includes(opts.mode)) {
    throw new InputError({ file: '--mode' }, `${JSON.stringify(opts.mode)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
  }
  if (opts.responder !== undefined && !(RESPONDERS as readonly string[]).includes(opts.responder)) {
    throw new InputError({ file: '--responder' }, `${JSON.stringify(opts.responder)} is not a responder: allowed values are ${RESPONDERS.join(', ')}`);
  }
  const packets = opts.packet ?? [];
  if (packets.length && opts.capture !== undefined) throw new InputError({ file: '--packet' }, 'give either --packet or --capture, not both');
  if (!packets.length && opts.capture === undefined) throw new InputError({ file: '--packet' }, 'nothing to explain: give --packet SPEC or --capture FILE --flow N');
  let flow: number | undefined;
  if (opts.flow !== undefined) {
    if (!/^\d+$/.test(opts.flow) || Number(opts.flow) < 1) throw new InputError({ file: '--flow' }, `${JSON.stringify(opts.flow)} is not a flow number: flows are numbered 1, 2, … in order of first appearance`);
    flow = Number(opts.flow);
  }
  // Check every SPEC before loading anything, so a typo is reported first.
  const specs = packets.map((p) => parsePacketSpec(p));
  const mode = opts.mode as LbMode | undefined;
  const scenario = await loadScenario(opts.scenario, mode ? { overrides: { loadBalancerMode: mode } } : {});
  const e = await explain(scenario, {
    ...(specs.length ? { packet: specs } : {}),
    ...(opts.capture !== undefined ? { capture: opts.capture } : {}),
    ...(flow !== undefined ? { flow } : {}),
    ...(mode ? { mode } : {}),
    ...(opts.responder ? { responder: opts.responder as Responder } : {}),
  });
  process.stdout.write((opts.json ? JSON.stringify(e, null, 2) : renderExplanation(e, { verbose: !opts.brief })) + '\n');
  return 0;
}
