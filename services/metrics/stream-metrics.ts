/**
 * Coalescing of a token stream carried over the bus (the SSE bridges, `midl stream`): how many tokens
 * each flush packed into one bus message. The bridge calls `flushed` once per message it publishes; the
 * histogram's `_sum` is the tokens carried and its `_count` the messages.
 */
import { Histogram, type Registry } from 'prom-client';

/** Tokens per flush: powers of two up to a flush interval's worth of a fast model. */
const TOKEN_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

export interface StreamMetrics {
  /** One bus message carried `tokens` tokens (events) and `bytes` bytes of their text. */
  flushed(tokens: number, bytes: number): void;
}

/** Registers the stream metrics in `registry`. */
export function streamMetrics(registry: Registry): StreamMetrics {
  const tokens = new Histogram({
    name: 'midl_stream_coalesced_tokens',
    help: 'Tokens coalesced into one bus message per flush',
    buckets: TOKEN_BUCKETS,
    registers: [registry],
  });
  const bytes = new Histogram({
    name: 'midl_stream_coalesced_bytes',
    help: 'Bytes of token text coalesced into one bus message per flush',
    buckets: [16, 64, 256, 1024, 4096, 16384, 65536],
    registers: [registry],
  });
  return {
    flushed(n, size) {
      tokens.observe(n);
      bytes.observe(size);
    },
  };
}
