/** Counters of one NM2 endpoint, across its sessions (what `Nm2Endpoint.stats()` returns a copy of). */
export interface Nm2Stats {
  datagramsIn: number;
  datagramsOut: number;
  /** Bytes of those datagrams (UDP payload: NM2 signature and commands), every datagram counted, malformed ones too. */
  bytesIn: number;
  bytesOut: number;
  /** Datagrams or commands that could not be read (bad signature, unknown code, malformed). */
  malformed: number;
  naksSent: number;
  naksReceived: number;
  /** Retransmit Requests this endpoint sent for gaps it saw. */
  retransmitsRequested: number;
  /** UMP Data commands this endpoint re-sent for peers' Retransmit Requests. */
  retransmitsServed: number;
  retransmitErrorsSent: number;
  /** UMP Data commands held but not resent: past one request's share, or the session's retransmit budget. */
  retransmitsRationed: number;
  /** UMP Data commands dropped because their seq was already seen (FEC copies, duplicates). */
  fecDuplicatesDropped: number;
  /** Gaps given up on, and the UMP Data commands lost in them. */
  gapsSkipped: number;
  commandsSkipped: number;
  /** UMP Data commands delivered in order (zero-length ones included). */
  commandsDelivered: number;
  /** Sessions now open, and established since the endpoint started. */
  sessions: number;
  sessionsEstablished: number;
}

export function newStats(): Nm2Stats {
  return {
    datagramsIn: 0,
    datagramsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    malformed: 0,
    naksSent: 0,
    naksReceived: 0,
    retransmitsRequested: 0,
    retransmitsServed: 0,
    retransmitErrorsSent: 0,
    retransmitsRationed: 0,
    fecDuplicatesDropped: 0,
    gapsSkipped: 0,
    commandsSkipped: 0,
    commandsDelivered: 0,
    sessions: 0,
    sessionsEstablished: 0,
  };
}
