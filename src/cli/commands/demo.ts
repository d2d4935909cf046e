/**
 * demo.ts: `dsrlab demo [--mode M] [--json]`: runs the built-in scenario and packets
 * (src/demo) and prints the sequence diagrams, diffs and takeaways, or the DemoResult as JSON.
 * Nothing here computes a lesson; src/demo/demo.ts does.
 */
import { LB_MODES } from '../../datapath/config.js';
import { runDemo } from '../../demo/demo.js';
import { renderDemo } from '../../demo/render.js';
import { InputError } from '../../errors.js';
import type { LbMode } from '../../scenario/types.js';

export interface DemoCommandOptions {
  mode?: string;
  json?: boolean;
}

/** Runs the command; resolves to the exit code (0). */
export function demoCommand(opts: DemoCommandOptions): number {
  if (opts.mode !== undefined && !(LB_MODES as readonly string[]).includes(opts.mode)) {
    throw new InputError({ file: '--mode' }, `${JSON.stringify(opts.mode)} is not a load-balancer mode: allowed values are ${LB_MODES.join(', ')}`);
  }
  const d = runDemo(opts.mode ? { mode: opts.mode as LbMode } : {});
  process.stdout.write((opts.json ? JSON.stringify(d, null, 2) : renderDemo(d)) + '\n');
  return 0;
}
