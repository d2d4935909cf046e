/**
 * report.ts: how an invariant words a violation (its name, what should hold, then flow, hop,
 * expected and seen, one per line) and which packet it was about, so the runner (check.ts) can
 * print that packet as a `dsrlab explain` command. The checks themselves are the invariant files.
 * `violation` is public (custom invariants use it); the rest is internal.
 */
import type { TrafficRun } from '../../run.js';

const culprit = new WeakMap<TrafficRun, number | undefined>();

/**
 * For writing an invariant of your own: builds its explanation (the rule, then one indented line
 * each for flow, hop, expected, seen …) and tells the runner which packet it is about, so the
 * counterexample's `dsrlab explain` command shows that packet.
 * @param run - the run being checked
 * @param rule - the invariant's name and what must hold, e.g. `transparency: the client sees replies from the address:port it sent to`
 * @param lines - flow, hop, expected, seen …
 * @param packet - the SentPacket id (or a reply's packet id) the violation concerns
 * @returns the explanation, for the invariant to return
 * @remarks Since 0.1.0
 * @public
 */
export function violation(run: TrafficRun, rule: string, lines: string[], packet?: number): string {
  culprit.set(run, packet);
  return [rule, ...lines.map((l) => `  ${l}`)].join('\n');
}

/** The packet id the last violation reported for this run concerned, if any. */
export function violationPacket(run: TrafficRun): number | undefined {
  return culprit.get(run);
}

/** Forgets what the last violation concerned (the runner calls this before each invariant). */
export function forgetViolation(run: TrafficRun): void {
  culprit.delete(run);
}
