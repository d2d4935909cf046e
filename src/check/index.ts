/**
 * index.ts: `dsrlab check` as a library: turns a loaded scenario, or a read Kubespray variables
 * file, into one CheckReport (effective settings with defaults, the version profile, every
 * rule's requirements and implications, warnings and errors). Printing it is render.ts's job;
 * the rules are in requirements.ts.
 */

import { SWITCHES, hasSwitched, scenarioToObject } from '../scenario/index.js';
import type { CiliumVersion, Scenario, SwitchName } from '../scenario/index.js';
import type { KubesprayRead, UnderstoodVariable, UnknownVariable } from './kubespray.js';
import type { CheckSubject, Finding, Requirement } from './model.js';
import { subjectFromScenario } from './model.js';
import { evaluate } from './requirements.js';
import { featureStates } from './seed-features.js';
import type { FeatureState } from './seed-features.js';
import { effectiveSettings } from './settings.js';
import type { EffectiveSetting } from './settings.js';

export { kubesprayFromText, readKubesprayVars } from './kubespray.js';
export type { KubesprayRead, UnderstoodVariable, UnknownVariable } from './kubespray.js';
export type { CheckSubject, Finding, Requirement, Status } from './model.js';
export type { EffectiveSetting } from './settings.js';
export type { FeatureState } from './seed-features.js';

/** One version-dependent behaviour and whether this version has its newer form. */
export interface ProfileSwitch {
  name: SwitchName;
  since: CiliumVersion;
  active: boolean;
  confirmed: boolean;
  spec: string;
  note: string;
}

export interface CheckReport {
  kind: 'scenario' | 'kubespray';
  file: string;
  /** False when there are errors (a Kubespray file Cilium would refuse or ignore). */
  valid: boolean;
  version: CiliumVersion;
  /** The effective configuration as an object (a scenario: the whole scenario, every default explicit). */
  effective: Record<string, unknown>;
  settings: EffectiveSetting[];
  profile: ProfileSwitch[];
  requirements: Requirement[];
  warnings: Finding[];
  errors: Finding[];
  /** Scenario: counts of what it holds. */
  counts?: { nodes: number; clients: number; services: number; backends: number };
  kubespray?: {
    versionNote: string;
    understood: UnderstoodVariable[];
    notUnderstood: UnknownVariable[];
    features: FeatureState[];
  };
}

function profileSwitches(version: CiliumVersion): ProfileSwitch[] {
  return (Object.keys(SWITCHES) as SwitchName[]).map((name) => {
    const sw = SWITCHES[name];
    return { name, since: sw.since, active: hasSwitched(version, name), confirmed: sw.confirmed, spec: sw.spec, note: sw.note };
  });
}

function assemble(s: CheckSubject, effective: Record<string, unknown>, extra: Finding[]): Omit<CheckReport, 'kind'> {
  const requirements = evaluate(s);
  const all = [...extra, ...requirements.flatMap((r) => r.findings)];
  const errors = all.filter((f) => f.level === 'error');
  return {
    file: s.file,
    valid: errors.length === 0,
    version: s.version,
    effective,
    settings: effectiveSettings(s),
    profile: profileSwitches(s.version),
    requirements,
    warnings: all.filter((f) => f.level === 'warning'),
    errors,
  };
}

/** Checks a loaded (so already valid) scenario. */
export function checkScenario(sc: Scenario): CheckReport {
  const s = subjectFromScenario(sc);
  const backends = sc.services.reduce((n, v) => n + v.ports.reduce((m, p) => m + p.backends.length, 0), 0);
  return {
    kind: 'scenario',
    ...assemble(s, scenarioToObject(sc), []),
    counts: { nodes: sc.nodes.length, clients: sc.clients.length, services: sc.services.length, backends },
  };
}

/** Sets `obj.a.b.c` for key `a.b.c`. */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Checks what a Kubespray variables file asks of Cilium. */
export function checkKubespray(read: KubesprayRead): CheckReport {
  const s = read.subject;
  // Helm values as one object; agent flags without a Helm value of their own under extraConfig.
  const effective: Record<string, unknown> = {};
  for (const row of effectiveSettings(s)) {
    if (row.key.includes('-')) put(effective, `extraConfig.${row.key}`, row.value);
    else put(effective, row.key, row.value);
  }
  return {
    kind: 'kubespray',
    ...assemble(s, effective, read.findings),
    kubespray: { versionNote: read.versionNote, understood: read.understood, notUnderstood: read.notUnderstood, features: featureStates(s) },
  };
}
