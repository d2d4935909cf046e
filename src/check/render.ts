/**
 * render.ts: a CheckReport (index.ts) as terminal text or as the JSON object `--json` prints.
 * Colour comes from picocolors, which leaves it out under NO_COLOR or when stdout is no TTY;
 * the markers (✓ ⚠ ✗) carry the meaning without colour. Nothing here decides anything.
 */

import pc from '../cli/colour.js';

import { visibleLength, table } from '../cli/table.js';
import type { CheckReport } from './index.js';
import type { Finding, Status } from './model.js';
import { GROUPS } from './settings.js';
import type { Value } from './settings.js';

const MARK: Record<Status, string> = { ok: pc.green('✓'), warning: pc.yellow('⚠'), error: pc.red('✗') };

function fmt(v: Value): string {
  return typeof v === 'string' ? (v === '' ? '""' : v) : String(v);
}

function padTo(s: string, w: number): string {
  return s + ' '.repeat(Math.max(0, w - visibleLength(s)));
}

function findingLine(f: Finding, indent: string): string {
  return f.level === 'error' ? `${indent}${MARK.error} ${pc.red(f.message)}` : `${indent}${MARK.warning} ${pc.yellow(f.message)}`;
}

function headline(r: CheckReport): string {
  const parts: string[] = [];
  if (r.kind === 'scenario') {
    parts.push(r.valid ? 'valid scenario' : 'scenario');
    const c = r.counts!;
    parts.push(`Cilium ${r.version}`, `${c.nodes} node${c.nodes === 1 ? '' : 's'}`, `${c.clients} client${c.clients === 1 ? '' : 's'}`, `${c.services} Service${c.services === 1 ? '' : 's'}`, `${c.backends} backend${c.backends === 1 ? '' : 's'}`);
  } else {
    const k = r.kubespray!;
    parts.push('Kubespray variables', `Cilium ${r.version} (${k.versionNote})`, `${k.understood.length} understood`, `${k.notUnderstood.length} not understood`);
  }
  return parts.join(' · ');
}

function settingsSection(r: CheckReport): string[] {
  const out: string[] = [pc.bold('Effective configuration') + pc.dim('  (value · Cilium\'s default where it differs · cilium-config key' + (r.kind === 'kubespray' ? ' or the variable that set it)' : ')'))];
  const rows = r.settings.map((s) => {
    const value = s.isDefault ? fmt(s.value) : pc.bold(fmt(s.value));
    const def = s.isDefault ? pc.dim('(default)') : `(default: ${fmt(s.default)})`;
    const last = s.from ? `← ${s.from}` : pc.dim(s.flag ?? '');
    return { group: s.group, cells: [s.key, value, def, last] };
  });
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((x) => visibleLength(x.cells[i]!))));
  for (const g of GROUPS) {
    const inGroup = rows.filter((x) => x.group === g);
    if (!inGroup.length) continue;
    out.push(`  ${pc.underline(g)}`);
    for (const x of inGroup) out.push(`    ${x.cells.map((c, i) => (i < 3 ? padTo(c, widths[i]!) : c)).join('  ')}`.trimEnd());
  }
  return out;
}

function profileSection(r: CheckReport): string[] {
  const rows = r.profile.map((p) => [p.name, p.since, p.active ? 'newer' : 'older', p.confirmed ? 'confirmed' : "dsrlab's choice", p.spec]);
  const t = table(['behaviour', 'since', `Cilium ${r.version}`, 'switch version', 'where described'], rows);
  return [pc.bold(`Version profile (Cilium ${r.version})`) + pc.dim('  (behaviours that differ between versions: src/scenario/profile.ts)'), ...t.split('\n').map((l) => `  ${l}`)];
}

function listLines(label: string, items: string[]): string[] {
  return items.map((it, i) => `      ${i === 0 ? pc.dim(label.padEnd(9)) : ' '.repeat(9)} · ${it}`);
}

function requirementsSection(r: CheckReport): string[] {
  const out: string[] = [pc.bold('Requirements and implications')];
  for (const g of GROUPS) {
    const inGroup = r.requirements.filter((q) => q.group === g);
    if (!inGroup.length) continue;
    out.push(`  ${pc.underline(g)}`);
    for (const q of inGroup) {
      out.push(`    ${MARK[q.status]} ${pc.bold(q.setting)} = ${q.value}`);
      out.push(...listLines('requires', q.requires));
      out.push(...listLines('implies', q.implies));
      for (const f of q.findings) out.push(findingLine(f, '      '));
      out.push(`      ${pc.dim(`source    ${q.source}`)}`);
    }
  }
  return out;
}

function kubespraySections(r: CheckReport): string[] {
  const k = r.kubespray!;
  const out: string[] = [pc.bold('Variables')];
  const w = Math.max(0, ...k.understood.map((u) => u.variable.length), ...k.notUnderstood.map((u) => u.variable.length));
  const all = [...r.errors, ...r.warnings];
  for (const u of k.understood) {
    const sets = u.sets.length ? `→ ${u.sets.join(', ')}` : '';
    const own = all.filter((f) => f.setting === u.variable);
    const mark = own.some((f) => f.level === 'error') ? MARK.error : own.length ? MARK.warning : MARK.ok;
    out.push(`  ${mark} ${u.variable.padEnd(w)}  ${u.value === '' ? '""' : u.value}  ${sets}${u.note ? pc.dim(`  (${u.note})`) : ''}`.trimEnd());
  }
  if (!k.understood.length) out.push(pc.dim('  no cilium_* variable dsrlab understands: everything below is Kubespray\'s and Cilium\'s default'));
  for (const u of k.notUnderstood) out.push(`  ${pc.yellow('?')} ${u.variable.padEnd(w)}  ${u.value}  ${pc.yellow('not understood')}: ${u.hint}`);
  const parse = [...r.errors, ...r.warnings].filter((f) => !r.requirements.some((q) => q.findings.includes(f)));
  for (const f of parse) out.push(findingLine(f, '  '));

  out.push('', pc.bold('Features Kubespray cannot switch on') + pc.dim('  (seed document: cilium-features-kubespray-cannot-enable)'));
  for (const f of k.features) {
    const head = `  ${f.enabled ? MARK.ok : pc.dim('○')} ${pc.bold(f.title)} ${pc.dim(`(${f.seedHeading})`)}: ${f.enabled ? `on${f.via.length ? ` via ${f.via.join(', ')}` : ''}` : 'off'}`;
    out.push(head);
    if (!f.enabled) {
      out.push(`      ${pc.dim('Helm')}      ${f.helm.join(' ')}`);
      for (const [i, kv] of f.kubespray.entries()) out.push(`      ${pc.dim(i === 0 ? 'Kubespray' : '         ')} ${kv}`);
    }
    if (f.note) out.push(`      ${pc.dim(`note      ${f.note}`)}`);
  }
  return out;
}

function summary(r: CheckReport): string {
  const named = (fs: Finding[]) => [...new Set(fs.map((f) => f.setting))].join(', ');
  if (r.errors.length) {
    return `${MARK.error} ${pc.red(`${r.errors.length} error${r.errors.length === 1 ? '' : 's'}`)} (${named(r.errors)})${r.warnings.length ? `, ${pc.yellow(`${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}`)} (${named(r.warnings)})` : ''}`;
  }
  if (r.warnings.length) return `${MARK.warning} ${pc.yellow(`valid, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'}`)} (${named(r.warnings)})`;
  return `${MARK.ok} ${pc.green('valid, no warnings')}`;
}

/** The report as terminal text. */
export function renderCheck(r: CheckReport): string {
  const out: string[] = [`${pc.bold('dsrlab check')} ${r.file}`, headline(r), ''];
  if (r.kind === 'kubespray') out.push(...kubespraySections(r), '');
  out.push(...settingsSection(r), '', ...profileSection(r), '', ...requirementsSection(r), '', summary(r));
  return out.join('\n');
}

/** The report as the object `--json` prints. */
export function checkJson(r: CheckReport): Record<string, unknown> {
  const o: Record<string, unknown> = {
    valid: r.valid,
    kind: r.kind,
    file: r.file,
    version: r.version,
    effective: r.effective,
    settings: r.settings,
    profile: r.profile,
    requirements: r.requirements.map((q) => ({
      setting: q.setting,
      value: q.value,
      group: q.group,
      requires: q.requires,
      implies: q.implies,
      status: q.status,
      source: q.source,
      findings: q.findings,
    })),
    warnings: r.warnings,
    errors: r.errors,
  };
  if (r.counts) o['counts'] = r.counts;
  if (r.kubespray) o['kubespray'] = r.kubespray;
  return o;
}
