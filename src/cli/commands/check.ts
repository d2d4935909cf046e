/**
 * check.ts: `dsrlab check SCENARIO` and `dsrlab check --kubespray VARS.yml`: validates, prints the
 * effective configuration and what each setting requires (src/check/). Exit status: 0 valid
 * (warnings included), 2 invalid scenario or a Kubespray file with errors.
 */
import pc from '../colour.js';

import { checkKubespray, checkScenario, readKubesprayVars } from '../../check/index.js';
import { checkJson, renderCheck } from '../../check/render.js';
import { InputError } from '../../errors.js';
import { loadScenario } from '../../scenario/index.js';
import type { LbMode } from '../../scenario/index.js';

export interface CheckOptions {
  kubespray?: string;
  mode?: string;
  json?: boolean;
}

function print(text: string): void {
  process.stdout.write(text + '\n');
}

export async function checkCommand(scenario: string | undefined, opts: CheckOptions): Promise<number> {
  if (scenario && opts.kubespray) {
    throw new InputError({ file: '<command line>', keyPath: '--kubespray' }, 'give a scenario or --kubespray VARS.yml, not both');
  }
  if (!scenario && !opts.kubespray) {
    throw new InputError({ file: '<command line>', keyPath: 'SCENARIO' }, 'give a scenario file, or --kubespray VARS.yml for a Kubespray/Kubean variables file');
  }
  if (opts.kubespray) {
    if (opts.mode) throw new InputError({ file: '<command line>', keyPath: '--mode' }, '--mode applies to a scenario; for a Kubespray file set cilium_loadbalancer_mode or cilium_config_extra_vars.bpf-lb-mode');
    const report = checkKubespray(await readKubesprayVars(opts.kubespray));
    print(opts.json ? JSON.stringify(checkJson(report), null, 2) : renderCheck(report));
    if (report.valid) return 0;
    const n = report.errors.length;
    process.stderr.write(`${pc.red('dsrlab: error:')} ${opts.kubespray}: ${n} problem${n === 1 ? '' : 's'} Cilium would refuse or ignore (${[...new Set(report.errors.map((e) => e.setting))].join(', ')})\n`);
    return 2;
  }
  const file = scenario!;
  try {
    const s = await loadScenario(file, opts.mode ? { overrides: { loadBalancerMode: opts.mode as LbMode } } : undefined);
    const report = checkScenario(s);
    print(opts.json ? JSON.stringify(checkJson(report), null, 2) : renderCheck(report));
    return 0;
  } catch (e) {
    if (e instanceof InputError && opts.json) {
      // A script reading --json still gets one object; the error also goes to stderr (main.ts).
      const l = e.location;
      const err = { level: 'error', setting: l.keyPath ?? '', message: e.detail, file: l.file, ...(l.line !== undefined ? { line: l.line, column: l.column } : {}) };
      print(JSON.stringify({ valid: false, kind: 'scenario', file, errors: [err], warnings: [], requirements: [], effective: null }, null, 2));
    }
    throw e;
  }
}
