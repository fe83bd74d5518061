/**
 * Every lane by name: the plug-in point. A new lane is a module implementing `Lane` and one entry here;
 * the type makes a lane name without a framer a compile error, and the schema checker accepts exactly
 * `LANE_NAMES`.
 */
import { flexLane } from './flex.ts';
import type { CarrierMessage, Lane, LaneName } from './lane.ts';
import { sysex7Lane } from './sysex7.ts';
import { sysex8Lane } from './sysex8.ts';

export const LANES: { readonly [N in LaneName]: Lane } = { sysex8: sysex8Lane, flex: flexLane, sysex7: sysex7Lane };

const byCarrier: ReadonlyMap<CarrierMessage['kind'], Lane> = new Map(Object.values(LANES).map((lane) => [lane.carrier, lane]));

/** The lane whose frames arrive as `kind` messages, if any. */
export function laneOfCarrier(kind: string): Lane | undefined {
  return byCarrier.get(kind as CarrierMessage['kind']);
}
