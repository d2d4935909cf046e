/**
 * faults.ts: the test-only planted datapath faults (DL_FAULT_* in native/include/dsrlab/cluster.h),
 * by name. Each breaks one DESIGN invariant at one commented place in native/src/node.c so that
 * tests can prove the dsrlab/testing invariants catch it; nothing outside tests sets them.
 * The invariants themselves live in src/testing/invariants/.
 */

/** DL_FAULT_* bits, mirrored from cluster.h (test/properties/faults.test.ts checks they agree). */
export const DATAPATH_FAULTS = {
  /** DSR info on every TCP segment, not only the SYN (breaks the SYN-only option rule). */
  OPT_EVERY_SEGMENT: 0x1,
  /** Reverse SNAT restores the client port + 1 (breaks exact reverse NAT and transparency). */
  REVNAT_PORT_OFF_BY_ONE: 0x2,
  /** The DSR MTU check is skipped: no ICMP too-big, the oversize packet dies on the wire. */
  NO_MTU_CHECK: 0x4,
  /** SNAT hands a new flow the lowest NAT port even if a live flow holds it. */
  SNAT_REUSE_PORT: 0x8,
} as const;

export type DatapathFault = keyof typeof DATAPATH_FAULTS;

/** The bitmask of a list of fault names. */
export function faultBits(faults: readonly DatapathFault[]): number {
  return faults.reduce((n, f) => n | DATAPATH_FAULTS[f], 0);
}
