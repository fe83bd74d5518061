import { UmpError, UmpReader, loopbackLinkPair, type EnvelopeHeader, type UmpLink } from '../../runtime/index.ts';
import { ControlKind, decodeControl, encodeControl, type Control } from '../../runtime/lanes/control.ts';
import {
  CONTROL_GROUP,
  DATA_GROUP,
  DATA_SUB_ID,
  FrameKind,
  decodeDataFrame,
  encodeDataFrame,
  frameOf,
  frameToUmp,
  CONTROL_SUB_ID,
  type DataFrame,
} from '../../runtime/lanes/frame.ts';
import type { NetworkBus } from '../../runtime/index.ts';
import { until } from './network-peers.ts';

/**
 * A hand-driven peer for refusal tests: it speaks the bus frames directly (HELLO, data frames with any
 * header it likes), so tests can send what a well-behaved NetworkBus never would, and read the
 * authority's answers.
 */
export class RawPeer {
  readonly controls: Control[] = [];
  /** Data frames the authority sent here (binary lanes), with every retransmitted copy. */
  readonly frames: DataFrame[] = [];
  private readonly reader = new UmpReader();
  sessionId = 0;
  granted = 0n;
  token = '';
  /** Answers every SUBSCRIBE with SUBSCRIBED, as a bus does (a silent peer makes the authority resend them). */
  answerSubscribes = false;

  constructor(readonly link: UmpLink) {
    link.onReceive((words) => {
      for (const ev of this.reader.push(words)) {
        if (ev instanceof UmpError || ev.kind !== 'sysex8') continue;
        const f = frameOf(ev.data);
        if (f?.subId === DATA_SUB_ID) this.frames.push(decodeDataFrame(f.body, 1 << 20));
        if (f?.subId !== CONTROL_SUB_ID) continue;
        const c = decodeControl(f.body);
        this.controls.push(c);
        if (this.answerSubscribes && c.kind === ControlKind.Subscribe)
          this.control({ kind: ControlKind.Subscribed, subId: c.subId, refused: undefined, message: '' });
      }
    });
  }

  /** A raw peer connected to `authority` over an in-process link. */
  /** A raw peer on a new link to `authority`; `user`: the user the authority's end of the link says it proved. */
  static attach(authority: NetworkBus, user?: string): RawPeer {
    const [mine, theirs] = loopbackLinkPair({ names: ['raw', 'authority'], users: [undefined, user] });
    authority.accept(theirs);
    return new RawPeer(mine);
  }

  control(c: Control): void {
    this.link.send(frameToUmp(encodeControl(c), CONTROL_GROUP, 0));
  }

  /** HELLO and wait for the WELCOME (or REFUSE). */
  async hello(capabilities: bigint, resume?: { sessionId: number; token: string; lastSeq: bigint }): Promise<Control> {
    const before = this.controls.length;
    this.control({
      kind: ControlKind.Hello,
      name: 'raw',
      capabilities,
      maxPayload: 65536,
      jitterBudgetUs: 5000,
      heartbeatMs: 1000,
      clockSources: [1],
      interests: [],
      resume,
    });
    await until(() => this.controls.slice(before).some((c) => c.kind === ControlKind.Welcome || c.kind === ControlKind.Refuse), 2_000, 'WELCOME');
    const answer = this.controls.slice(before).find((c) => c.kind === ControlKind.Welcome || c.kind === ControlKind.Refuse)!;
    if (answer.kind === ControlKind.Welcome) {
      this.sessionId = answer.sessionId;
      this.granted = answer.capabilities;
      this.token = answer.resumeToken;
    }
    return answer;
  }

  header(topicId: number, overrides: Partial<EnvelopeHeader> = {}): EnvelopeHeader {
    return {
      topicId,
      schemaMajor: 0,
      schemaMinor: 1,
      sessionId: this.sessionId,
      corrId: 0n,
      timestampUs: BigInt(Date.now()) * 1000n,
      qos: 1,
      capabilities: this.granted,
      ...overrides,
    };
  }

  data(kind: FrameKind, seq: bigint, address: string, header: EnvelopeHeader, payload: Uint8Array): void {
    this.link.send(frameToUmp(encodeDataFrame(kind, 0, seq, address, header, payload, 1 << 20), DATA_GROUP, Number(seq & 0xffn)));
  }

  /** The answer (ACK covering `seq`, or NACK of it) to data frame `seq`. */
  async answerTo(seq: bigint): Promise<Control> {
    let found: Control | undefined;
    await until(
      () => {
        found = this.controls.find(
          (c) => (c.kind === ControlKind.Nack && c.seq === seq) || (c.kind === ControlKind.Ack && (c.floor >= seq || c.seqs.includes(seq))),
        );
        return found !== undefined;
      },
      2_000,
      `an answer to seq ${seq}`,
    );
    return found!;
  }
}
