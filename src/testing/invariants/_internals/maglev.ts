/**
 * maglev.ts: the Maglev tables of a run's services, rebuilt with Cilium's algorithm from the
 * backends the control plane installed on each node (src/maglev/table.ts), for the Maglev
 * invariants beside this directory.
 * @internal
 */
import type { InstalledService } from '../../../datapath/control-plane.js';
import { buildMaglevTable, type MaglevTable } from '../../../maglev/table.js';
import type { TrafficRun } from '../../run.js';

export interface InstalledMaglev {
  entry: InstalledService;
  /** `namespace/name` and port name of the service. */
  service: string;
  portName: string;
  table: MaglevTable;
}

const cache = new WeakMap<TrafficRun, InstalledMaglev[]>();

/** Every installed service entry that selects by Maglev (and has backends), with its table. */
export function installedMaglev(run: TrafficRun): InstalledMaglev[] {
  let out = cache.get(run);
  if (out) return out;
  out = [];
  const cp = run.cluster.controlPlane;
  const c = run.scenario.cilium;
  const tables = new Map<string, MaglevTable>();
  for (const entry of cp.installed) {
    const fe = cp.frontends.get(entry.revNatIndex);
    if (!fe || !fe.service || entry.slots.length === 0) continue;
    const svc = run.scenario.services.find((s) => s.key === fe.service);
    if (!svc || svc.cilium.lbAlgorithm !== 'maglev') continue;
    const key = entry.slots.join(',');
    let table = tables.get(key);
    if (!table) {
      table = buildMaglevTable(
        entry.slots.map((id) => {
          const b = cp.backends.get(id)!;
          return { addr: b.address, port: b.port, proto: b.protocol, clusterId: b.clusterId, id };
        }),
        c.maglev.hashSeed,
        c.maglev.tableSize,
      );
      tables.set(key, table);
    }
    out.push({ entry, service: fe.service, portName: fe.portName ?? '', table });
  }
  cache.set(run, out);
  return out;
}

/** The hash variant the datapath uses (src/datapath/config.ts: profile.maglev.highPort). */
export function maglevHashVersion(run: TrafficRun): number {
  return run.scenario.profile.maglev.highPort === 'service' ? 0 : 1;
}
