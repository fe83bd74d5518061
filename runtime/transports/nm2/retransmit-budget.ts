/**
 * How many bytes a session may resend for its peer's Retransmit Requests: a bucket that starts full,
 * earns a fraction of every byte of new UMP Data sent, and never holds more than the burst. However many
 * requests arrive, from the peer or from whoever forges its address, the resent bytes stay within the
 * burst plus that fraction of the stream the peer receives anyway.
 */
import { RETRANSMIT_BURST_BYTES, RETRANSMIT_EARN_FRACTION } from './tuning.ts';

export class RetransmitBudget {
  private credit = RETRANSMIT_BURST_BYTES;

  /** New UMP Data of `bytes` went out. */
  earn(bytes: number): void {
    this.credit = Math.min(RETRANSMIT_BURST_BYTES, this.credit + bytes * RETRANSMIT_EARN_FRACTION);
  }

  /** Spends `bytes` if the budget holds them; false (and nothing spent) otherwise. */
  take(bytes: number): boolean {
    if (bytes > this.credit) return false;
    this.credit -= bytes;
    return true;
  }
}
