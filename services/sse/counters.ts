/**
 * What the SSE bridges count, as one plain object per bridge: a metrics exporter (Prometheus, the
 * telemetry topics) reads it whenever it likes; the bridges only ever add to it.
 */
export interface SseCounters {
  /** Streams begun: an upstream answered with text/event-stream (ingress), or an HTTP client got one (egress). */
  streamsOpened: number;
  /** Streams that ended normally (done). */
  streamsDone: number;
  /** Streams that ended in an error event: upstream failure, gap, lost peer, bad event text. */
  streamsErrored: number;
  /** Streams cancelled because the HTTP client went away (egress) or the egress said so (ingress). */
  streamsCancelled: number;
  /** Requests answered without a stream (an error status, or a plain JSON answer). */
  plainAnswers: number;
  /** Server-sent events read from the upstream (ingress) or written to HTTP clients (egress). */
  sseEvents: number;
  /** Bus events carrying them: sseEvents / busEvents is the coalescing factor. */
  busEvents: number;
  /** UTF-16 units of event text carried in bus events. */
  textChars: number;
  /** Bus events that were fragments of one long event. */
  fragments: number;
  /** Bus events received twice and dropped (egress). */
  duplicates: number;
  /** Most bus events held at once waiting for an earlier seq (egress). */
  reorderDepthMax: number;
}

export function newSseCounters(): SseCounters {
  return {
    streamsOpened: 0,
    streamsDone: 0,
    streamsErrored: 0,
    streamsCancelled: 0,
    plainAnswers: 0,
    sseEvents: 0,
    busEvents: 0,
    textChars: 0,
    fragments: 0,
    duplicates: 0,
    reorderDepthMax: 0,
  };
}
