/**
 * codes.ts: the drop reasons the invariants compare against, as the datapath reports them
 * (negative). The table itself is src/datapath/drop-reasons.ts.
 * @internal
 */
import { dropReasonByName } from '../../../datapath/drop-reasons.js';

/** -DROP_FRAG_NEEDED. */
export const DROP_FRAG_NEEDED_CODE = -(dropReasonByName('DROP_FRAG_NEEDED')?.code ?? 136);
