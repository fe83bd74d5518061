/**
 * The `X-SseTransport` resource of a midl node: what FountainAI's SSE-over-MIDI plan asks a transport to
 * announce (`laneGroups`, `mtu`, `maxFlexUmps`, `supportsSysEx8`, `ackPeriodMs`), as the bus carries
 * traffic. docs/midi-ci.md § Resources.
 */
import { CONTROL_GROUP, DATA_GROUP } from '../lanes/frame.ts';
import { FLEX_BYTES_PER_PACKET } from '../ump/index.ts';

/** How long a bus session batches its ACKs (runtime/bus/inbox.ts, `ackDelayMs`'s default). */
const ACK_PERIOD_MS = 5;
/** What a frame may add to its payload (address, header): the bus reads frames of maxPayload + this. */
const FRAME_OVERHEAD_BYTES = 8192;

export interface SseTransportResource {
  /** Groups the data lanes use (control and MIDI-CI stay on `controlGroup`). */
  readonly laneGroups: readonly number[];
  readonly controlGroup: number;
  /** Largest datagram the transport sends, in bytes. */
  readonly mtu: number;
  /** Most Flex Data UMPs one flex-lane frame may take (the largest frame at 12 text bytes per UMP). */
  readonly maxFlexUmps: number;
  readonly supportsSysEx8: boolean;
  readonly ackPeriodMs: number;
}

/** The resource for a node accepting payloads up to `maxPayload` bytes over a transport of `mtu`-byte datagrams. */
export function sseTransportResource(o: { readonly maxPayload: number; readonly mtu: number; readonly supportsSysEx8?: boolean }): SseTransportResource {
  return {
    laneGroups: [DATA_GROUP],
    controlGroup: CONTROL_GROUP,
    mtu: o.mtu,
    maxFlexUmps: Math.ceil((o.maxPayload + FRAME_OVERHEAD_BYTES) / FLEX_BYTES_PER_PACKET),
    supportsSysEx8: o.supportsSysEx8 ?? true,
    ackPeriodMs: ACK_PERIOD_MS,
  };
}
