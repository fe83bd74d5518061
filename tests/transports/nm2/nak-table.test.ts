/**
 * Every malformed command, every command a state does not expect, and every authentication kind a host
 * does not offer, driven over a real UDP socket by a raw datagram peer, with the exact answer on the
 * wire (docs/wire.md § Network MIDI 2.0, "Answers by state"). Datagrams are hex written from the spec's
 * layout, not produced by our encoder.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../runtime/transports/link.ts';
import { CommandCode, Nm2Endpoint, decodeDatagram, type Nm2EndpointOptions } from '../../../runtime/transports/nm2/index.ts';
import { hex, rawPeer, type RawPeer } from './raw-peer.ts';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

type State = 'stranger' | 'invitee established' | 'secret host, stranger' | 'users host, stranger' | 'initiator pending' | 'initiator established';
type Kind = 'malformed' | 'unexpected' | 'auth not offered';

interface Row {
  readonly state: State;
  readonly kind: Kind;
  readonly what: string;
  /** The command words after "MIDI". */
  readonly send: string;
  /** The whole answer datagram, or null: nothing is sent back. */
  readonly answer: string | null;
}

const MIDI = '4D494449';
const nak = (reason: number, header: string) => `${MIDI} 8F01${reason.toString(16).padStart(2, '0').toUpperCase()}00 ${header}`;
const zeros = (n: number) => Array.from({ length: n }, () => '00000000').join(' ');
const NONCE = '00112233 44556677 8899AABB CCDDEEFF';
const DIGEST = zeros(8);

/** Malformed: the payload length does not fit the command (or its fields cannot be read). NAK 0x03, 0x01 for unknown codes. */
const MALFORMED: readonly (readonly [string, string, number])[] = [
  ['Invitation of 37 words (> 25 name + 11 PIID)', `01250000 ${zeros(37)}`, 3],
  ['Invitation whose name runs past its payload', '01010200 70656572', 3],
  ['Invitation whose name is not UTF-8', '01020100 FFFE0000 70700000', 3],
  ['Invitation with Authentication of 7 words (digest is 8)', `02070000 ${zeros(7)}`, 3],
  ['Invitation with Authentication of 9 words', `02090000 ${zeros(9)}`, 3],
  ['Invitation with User Authentication of 7 words', `03070000 ${zeros(7)}`, 3],
  ['Accepted of 37 words', `10250000 ${zeros(37)}`, 3],
  ['Pending of 37 words', `11250000 ${zeros(37)}`, 3],
  ['Auth Required of 3 words (nonce is 4)', `12030000 ${zeros(3)}`, 3],
  ['User Auth Required of 41 words', `13290000 ${zeros(41)}`, 3],
  ['Ping of 0 words', '20000000', 3],
  ['Ping of 2 words', '20020000 00000001 00000002', 3],
  ['Ping Reply of 0 words', '21000000', 3],
  ['Retransmit Request of 0 words', '80000005', 3],
  ['Retransmit Request of 2 words', '80020005 00000000 00000000', 3],
  ['Retransmit Error of 0 words', '81000100', 3],
  ['Session Reset of 1 word', '82010000 00000000', 3],
  ['Reset Reply of 1 word', '83010000 00000000', 3],
  ['Bye Reply of 1 word', 'F1010000 00000000', 3],
  ['UMP Data of 65 words', `FF410001 ${zeros(65)}`, 3],
  ['UMP Data ending inside a 64-bit packet', 'FF010001 40903C00', 3],
  ['a command whose length runs past the datagram', '20050000 12345678', 3],
  ['unknown code 0x55', '55000000', 1],
  ['draft code 0x22 (not v1.0)', '22000000', 1],
  ['draft code 0x8E (not v1.0)', '8E000000', 1],
];

/** Handshake commands: each is unexpected somewhere. */
const INVITATION = '01020100 70656572 70700000'; // "peer"/"pp", no capabilities
const AUTH = `02080000 ${DIGEST}`;
const USER_AUTH = `03090000 ${DIGEST} 626F6200`; // user "bob"
const ACCEPTED = '10020100 686F7374 68310000'; // "host"/"h1"
const PENDING = '11020100 686F7374 68310000';
const AUTH_REQUIRED = `12060100 ${NONCE} 686F7374 68310000`;
const USER_AUTH_REQUIRED = `13060100 ${NONCE} 686F7374 68310000`;
const UMP_DATA = 'FF020001 40903C00 FFFF0000';
const RETRANSMIT_REQUEST = '80010005 00000000';
const RETRANSMIT_ERROR = '81010100 00050000';
const SESSION_RESET = '82000000';
const RESET_REPLY = '83000000';
const BYE_REPLY = 'F1000000';
const header = (command: string) => command.split(' ')[0]!;
const notExpected = (command: string) => nak(2, header(command));
const SESSION_NOT_ESTABLISHED = `${MIDI} F0000500`;
const OUR_ACCEPTED = `${MIDI} 10050300 6D69646C 20746573 74000000 50494944 34320000`; // "midl test"/"PIID42"

const ROWS: Row[] = [
  ...MALFORMED.flatMap(([what, send, reason]) =>
    (['stranger', 'invitee established', 'initiator established'] as const).map((state): Row => ({
      state,
      kind: 'malformed',
      what,
      send,
      answer: nak(reason, header(send)),
    })),
  ),
  { state: 'stranger', kind: 'malformed', what: 'a malformed NAK (never NAK a NAK)', send: '8F000000', answer: null },

  // A host with no session for the sender.
  { state: 'stranger', kind: 'auth not offered', what: 'Invitation with Authentication, no secret', send: AUTH, answer: notExpected(AUTH) },
  { state: 'stranger', kind: 'auth not offered', what: 'Invitation with User Authentication, no users', send: USER_AUTH, answer: notExpected(USER_AUTH) },
  { state: 'secret host, stranger', kind: 'auth not offered', what: 'Invitation with User Authentication', send: USER_AUTH, answer: notExpected(USER_AUTH) },
  { state: 'users host, stranger', kind: 'auth not offered', what: 'Invitation with Authentication', send: AUTH, answer: notExpected(AUTH) },
  ...[ACCEPTED, PENDING, AUTH_REQUIRED, USER_AUTH_REQUIRED].map((send): Row => ({
    state: 'stranger',
    kind: 'unexpected',
    what: `invitation reply ${header(send)}`,
    send,
    answer: notExpected(send),
  })),
  // Data-plane commands without a session: Bye "session not established" tells the peer to invite again (amidi2net does the same).
  ...[UMP_DATA, RETRANSMIT_REQUEST, RETRANSMIT_ERROR, SESSION_RESET, RESET_REPLY].map((send): Row => ({
    state: 'stranger',
    kind: 'unexpected',
    what: `${header(send)} without a session`,
    send,
    answer: SESSION_NOT_ESTABLISHED,
  })),
  { state: 'stranger', kind: 'unexpected', what: 'Bye Reply without a session', send: BYE_REPLY, answer: null },

  // An invitee's established session.
  { state: 'invitee established', kind: 'unexpected', what: 'Invitation again (our Accepted was lost)', send: INVITATION, answer: OUR_ACCEPTED },
  { state: 'invitee established', kind: 'auth not offered', what: 'Invitation with Authentication, no secret', send: AUTH, answer: notExpected(AUTH) },
  {
    state: 'invitee established',
    kind: 'auth not offered',
    what: 'Invitation with User Authentication, no users',
    send: USER_AUTH,
    answer: notExpected(USER_AUTH),
  },
  ...[ACCEPTED, PENDING, AUTH_REQUIRED, USER_AUTH_REQUIRED].map((send): Row => ({
    state: 'invitee established',
    kind: 'unexpected',
    what: `invitation reply ${header(send)} to the invitee`,
    send,
    answer: notExpected(send),
  })),

  // An initiator waiting for the reply to its invitation.
  ...[INVITATION, AUTH, USER_AUTH, UMP_DATA, RETRANSMIT_REQUEST, RETRANSMIT_ERROR, SESSION_RESET, RESET_REPLY, BYE_REPLY].map((send): Row => ({
    state: 'initiator pending',
    kind: 'unexpected',
    what: `${header(send)} before Accepted`,
    send,
    answer: notExpected(send),
  })),
  // An initiator's established session.
  ...[INVITATION, AUTH, USER_AUTH, PENDING, AUTH_REQUIRED, USER_AUTH_REQUIRED].map((send): Row => ({
    state: 'initiator established',
    kind: 'unexpected',
    what: `${header(send)} after Accepted`,
    send,
    answer: notExpected(send),
  })),
  { state: 'initiator established', kind: 'unexpected', what: 'a second Accepted (a resent invitation answered twice)', send: ACCEPTED, answer: null },
];

/** Ping with an id of its own: its reply marks that everything sent before it has been answered. */
const PING = `${MIDI} 20010000 CAFEF00D`;
const PING_REPLY = `${MIDI} 21010000 CAFEF00D`;
/** The initiator resends its Invitation until answered; those are not answers to a row. */
const isResend = (h: string) => h.startsWith(`${MIDI} 01`);

interface Setup {
  readonly peer: RawPeer;
  /** Where the peer sends. */
  readonly port: number;
  readonly errors: unknown[];
}

async function setUp(state: State): Promise<Setup> {
  const errors: unknown[] = [];
  const options: Partial<Nm2EndpointOptions> =
    state === 'secret host, stranger' ? { secret: 's' } : state === 'users host, stranger' ? { users: new Map([['alice', 'pw']]) } : {};
  const e = await Nm2Endpoint.listen({
    name: 'midl test',
    productInstanceId: 'PIID42',
    pingIntervalMs: 60_000,
    onError: (err) => errors.push(err),
    ...options,
  });
  cleanup.push(() => e.close());
  const peer = await rawPeer();
  cleanup.push(() => peer.close());
  if (state === 'invitee established') {
    peer.send(hex(`${MIDI} ${INVITATION}`), e.port);
    expect(await peer.next()).toBe(OUR_ACCEPTED);
  }
  if (state === 'initiator pending' || state === 'initiator established') {
    const connecting = e.connect('127.0.0.1', peer.port, { timeoutMs: 10_000 });
    const outcome = connecting.then(
      () => 'open',
      (err: unknown) => err,
    );
    expect(await peer.next()).toBe(`${MIDI} 01050300 6D69646C 20746573 74000000 50494944 34320000`);
    if (state === 'initiator established') {
      peer.send(hex(`${MIDI} ${ACCEPTED}`), e.port);
      expect(await outcome).toBe('open');
    } else {
      // Closing the endpoint ends the pending invitation: that, and only that, fails the connect.
      cleanup.push(async () => {
        await e.close();
        const err = await outcome;
        expect(err).toBeInstanceOf(TransportError);
        expect((err as TransportError).code).toBe('closed');
      });
    }
  }
  if (state === 'invitee established' || state === 'initiator established') {
    // Close as a peer would: the endpoint's Bye is answered, so it need not wait out its Bye resends.
    cleanup.push(async () => {
      const closing = e.close();
      expect(await peer.next((h) => h.startsWith(`${MIDI} F0`))).toBe(`${MIDI} F0000100`);
      peer.send(hex(`${MIDI} F1000000`), e.port);
      await closing;
    });
  }
  return { peer, port: e.port, errors };
}

describe('NM2 answers on the wire, by state', () => {
  for (const row of ROWS) {
    it(`${row.state}: ${row.kind}: ${row.what} → ${row.answer ?? 'nothing'}`, async () => {
      const { peer, port, errors } = await setUp(row.state);
      peer.send(hex(`${MIDI} ${row.send}`), port);
      peer.send(hex(PING), port);
      const answered = await peer.next((h) => !isResend(h));
      if (row.answer === null) {
        expect(answered).toBe(PING_REPLY);
      } else {
        expect(answered).toBe(row.answer);
        expect(await peer.next((h) => !isResend(h))).toBe(PING_REPLY);
      }
      // Unreadable commands are also reported through onError, naming what was wrong; nothing else is.
      if (row.kind === 'malformed') {
        expect(errors.length).toBeGreaterThan(0);
        for (const err of errors) expect((err as Error).message).toMatch(/malformed|length-past-end|unknown-code/);
      } else expect(errors).toEqual([]);
    });
  }
});

describe('NM2 decoder: payload length bounds', () => {
  const BOUNDS: readonly (readonly [number, number, number])[] = [
    [CommandCode.InvitationWithAuth, 8, 8],
    [CommandCode.Ping, 1, 1],
    [CommandCode.PingReply, 1, 1],
    [CommandCode.RetransmitRequest, 1, 1],
    [CommandCode.RetransmitError, 1, 1],
    [CommandCode.SessionReset, 0, 0],
    [CommandCode.ResetReply, 0, 0],
    [CommandCode.ByeReply, 0, 0],
    [CommandCode.Invitation, 0, 36],
    [CommandCode.Accepted, 0, 36],
    [CommandCode.AuthRequired, 4, 40],
    [CommandCode.UserAuthRequired, 4, 40],
    [CommandCode.UmpData, 0, 64],
  ];
  it('any payload word count outside a command’s bounds is a malformed error carrying its header, and the next command still reads', () => {
    const outside = fc.constantFrom(...BOUNDS).chain(([code, least, most]) =>
      fc.tuple(
        fc.constant(code),
        fc.integer({ min: 0, max: 255 }).filter((n) => n < least || n > most),
      ),
    );
    fc.assert(
      fc.property(outside, ([code, words]) => {
        const bytes = new Uint8Array(4 + 4 + words * 4 + 8);
        const view = new DataView(bytes.buffer);
        view.setUint32(0, 0x4d494449);
        const hdr = ((code << 24) | (words << 16)) >>> 0;
        view.setUint32(4, hdr);
        view.setUint32(8 + words * 4, 0x20010000); // a Ping after it
        view.setUint32(12 + words * 4, 7);
        const decoded = decodeDatagram(bytes);
        expect(decoded.errors).toHaveLength(1);
        expect(decoded.errors[0]).toMatchObject({ kind: 'malformed', offset: 4, header: hdr });
        expect(decoded.commands).toEqual([{ type: 'ping', id: 7 }]);
      }),
      { numRuns: 500 },
    );
  });
});
