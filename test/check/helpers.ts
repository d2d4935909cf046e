/**
 * helpers.ts (check tests): run `check` on a scenario object or Kubespray text in-process, and
 * find a rule's outcome or the findings that name a setting.
 */
import { join } from 'node:path';
import { expect } from 'vitest';

import { checkKubespray, checkScenario, kubesprayFromText } from '../../src/check/index.js';
import type { CheckReport } from '../../src/check/index.js';
import type { Finding, Requirement } from '../../src/check/model.js';
import { FIXTURES } from '../helpers.js';
import { parseObject } from '../scenario/helpers.js';

export const checkFixture = (name: string) => join(FIXTURES, 'check', name);

/** `check` of a scenario given as a plain object (written out as YAML and loaded). */
export function checkObject(obj: Record<string, unknown>): CheckReport {
  return checkScenario(parseObject(obj));
}

/** `check --kubespray` of variables given as YAML text. */
export function checkVars(text: string, file = 'vars.yml'): CheckReport {
  return checkKubespray(kubesprayFromText(text, file));
}

/** The requirement entry for `setting` (fails the test when there is none). */
export function requirement(r: CheckReport, setting: string): Requirement {
  const q = r.requirements.find((x) => x.setting === setting);
  expect(q, `no requirement entry for ${setting}; have ${r.requirements.map((x) => x.setting).join(', ')}`).toBeDefined();
  return q!;
}

/** Every warning and error. */
export function findings(r: CheckReport): Finding[] {
  return [...r.errors, ...r.warnings];
}

/**
 * Expects exactly one finding of `level` naming `setting` whose message matches every word; returns it.
 * Other findings may exist.
 */
export function expectFinding(r: CheckReport, level: 'warning' | 'error', setting: string, words: (string | RegExp)[]): Finding {
  const all = findings(r);
  const hits = all.filter((f) => f.level === level && f.setting === setting);
  expect(hits.length, `${level}s naming ${setting}: ${JSON.stringify(all, null, 2)}`).toBeGreaterThan(0);
  const f = hits.find((h) => words.every((w) => (typeof w === 'string' ? h.message.includes(w) : w.test(h.message))));
  expect(f, `no ${level} naming ${setting} says ${words.join(' / ')}: ${JSON.stringify(hits, null, 2)}`).toBeDefined();
  return f!;
}
