/**
 * The MIDI-CI responder of a midl node: a transport-agnostic state machine from one decoded CI message
 * to the messages that answer it (PE replies already chunked to the asker's maximum SysEx size). It
 * holds the node's MUID, the state of its profiles, what each asker announced in its Discovery and the
 * PE requests still arriving in chunks — all bounded. What it serves is given to it: identity, profiles
 * and resources as JSON text; link-responder.ts carries it over UMP. docs/midi-ci.md § Responder.
 */
import { BROADCAST_MUID, CI_VERSION_1_2, CiCategory, CiDeviceId, CiNakStatus, PeEncoding, PeStatus } from './constants.ts';
import { CiError, CiErrorCode as E } from './errors.ts';
import { CI_SUB_IDS, type CiAckNak, type CiDiscovery, type CiMessage, type CiPeMessage, type ProfileId } from './messages.ts';
import { chunkPeMessage, encodePeBody } from './pe-body.ts';
import { encodeAsciiJson, encodePeHeader, parsePeHeader, type PeHeader } from './pe-header.ts';
import { PeReassembler, type PeReassemblyOptions } from './reassembler.ts';

/** The midl profile, `7D 00 00 6D 01`: this endpoint speaks the midl bus (its frames on groups 0 and 1); 0x6D is 'm', 0x01 the bus wire version. */
export const MIDL_PROFILE: ProfileId = [0x7d, 0x00, 0x00, 0x6d, 0x01];
/** FountainAI's `com.fountainai.sse` profile under the prototyping id: `7D 00 00` then the low 7 bits of the first two bytes of SHA-256("com.fountainai.sse"). */
export const SSE_PROFILE: ProfileId = [0x7d, 0x00, 0x00, 0x6c, 0x6b];
export const SSE_PROFILE_NAME = 'com.fountainai.sse';

/** midl's Discovery identity: manufacturer 7D 00 00 (prototyping), family 0x006D ('m'), model 1 (a midl peer). */
export const MIDL_CI_IDENTITY = {
  manufacturer: [0x7d, 0x00, 0x00] as const,
  family: 0x006d,
  model: 0x0001,
} as const;

/** The asker's maximum SysEx size when it sent no Discovery (or was forgotten): MIDI-CI's smallest. */
export const DEFAULT_ASKER_MAX_SYSEX = 512;

export interface CiResponderProfile {
  readonly id: ProfileId;
  /** Enabled at start (Set Profile On / Off change it). */
  readonly enabled: boolean;
}

export interface CiResponderOptions {
  /** Software revision, 4 bytes (midl peer: the midl version's major, minor, patch, 0). Default 0 0 0 0. */
  readonly softwareRevision?: readonly [number, number, number, number];
  /** Product instance id answered to Endpoint Info (≤ 16 ASCII characters). Default: none (NAK). */
  readonly productInstanceId?: string;
  /** Largest SysEx this node receives, announced in its Discovery Reply. Default 4096. */
  readonly maxSysExSize?: number;
  /** Profiles of the function block. Default: the midl profile enabled, the SSE profile disabled. */
  readonly profiles?: readonly CiResponderProfile[];
  /**
   * PE resources beside `ResourceList` (made from these): name → JSON text, or a function giving it
   * when asked. `DeviceInfo` is made from the identity unless given.
   */
  readonly resources?: Readonly<Record<string, string | (() => string)>>;
  /** Askers (MUIDs) whose Discovery is remembered; the oldest is forgotten past it. Default 256. */
  readonly maxAskers?: number;
  /** Simultaneous PE requests announced in the PE Capabilities Reply. Default 4. */
  readonly maxRequests?: number;
  readonly reassembly?: PeReassemblyOptions;
  /** A 32-bit random number (tests inject one). Default Web Crypto. */
  readonly random?: () => number;
}

interface Asker {
  readonly maxSysExSize: number;
}

/** Resource names midl serves beside the standard ones. */
export const MIDL_RESOURCES = ['X-MidlSchema', 'X-MidlFacts', 'X-SseTransport'] as const;

const ENCODINGS: readonly string[] = Object.values(PeEncoding);
const enc = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function randomU32(): number {
  return (globalThis as unknown as { crypto: { getRandomValues(a: Uint32Array): Uint32Array } }).crypto.getRandomValues(new Uint32Array(1))[0]!;
}

const profileKey = (p: ProfileId): string => p.join(',');

export class CiResponder {
  private muidNow: number;
  private readonly random: () => number;
  private readonly maxSysExSize: number;
  private readonly maxAskers: number;
  private readonly maxRequests: number;
  private readonly softwareRevision: readonly [number, number, number, number];
  private readonly profiles = new Map<string, { id: ProfileId; enabled: boolean }>();
  private readonly resources = new Map<string, string | (() => string)>();
  private readonly askers = new Map<number, Asker>();
  private readonly reassembler: PeReassembler;

  constructor(private readonly options: CiResponderOptions = {}) {
    this.random = options.random ?? randomU32;
    this.maxSysExSize = options.maxSysExSize ?? 4096;
    this.maxAskers = options.maxAskers ?? 256;
    this.maxRequests = options.maxRequests ?? 4;
    this.softwareRevision = options.softwareRevision ?? [0, 0, 0, 0];
    if (options.productInstanceId !== undefined && !/^[\x20-\x7e]{1,16}$/.test(options.productInstanceId))
      throw new CiError(E.BadField, `productInstanceId must be 1 to 16 printable ASCII characters, got ${JSON.stringify(options.productInstanceId)}`);
    for (const p of options.profiles ?? [
      { id: MIDL_PROFILE, enabled: true },
      { id: SSE_PROFILE, enabled: false },
    ])
      this.profiles.set(profileKey(p.id), { id: p.id, enabled: p.enabled });
    this.resources.set('DeviceInfo', () => JSON.stringify(this.deviceInfo()));
    for (const [name, value] of Object.entries(options.resources ?? {})) this.resources.set(name, value);
    this.resources.set('ResourceList', () => JSON.stringify(this.resourceList()));
    this.reassembler = new PeReassembler(options.reassembly);
    this.muidNow = this.newMuid(undefined);
  }

  /** This node's MUID: the same for the life of the responder, new only after a collision. */
  get muid(): number {
    return this.muidNow;
  }

  /** Askers remembered now (bounded by `maxAskers`). */
  get askerCount(): number {
    return this.askers.size;
  }

  /** PE requests partly received now (bounded by the reassembly limits). */
  get openRequests(): number {
    return this.reassembler.openCount;
  }

  /** Whether a profile is enabled now (undefined: not one of this node's). */
  profileEnabled(id: ProfileId): boolean | undefined {
    return this.profiles.get(profileKey(id))?.enabled;
  }

  /**
   * The messages that answer `m` (none for a message not addressed to this node, a reply meant for an
   * initiator, or a partial PE request). Never throws for what a peer sends: a request it cannot serve
   * gets a NAK or a PE status.
   */
  async handle(m: CiMessage): Promise<CiMessage[]> {
    if (m.source > 0x0ffffeff) return []; // a broadcast or reserved source cannot be answered
    if (m.source === this.muidNow) {
      // Someone else took our MUID (MIDI-CI: a collision): take a new one, and answer a Discovery with it.
      if (m.kind !== 'discovery') return [];
      this.muidNow = this.newMuid(this.muidNow);
    }
    if (m.kind === 'invalidate-muid') {
      if (m.target === this.muidNow) this.muidNow = this.newMuid(this.muidNow);
      else this.askers.delete(m.target);
      return [];
    }
    if (m.destination !== this.muidNow && m.destination !== BROADCAST_MUID) return [];
    const head = { deviceId: m.deviceId, version: CI_VERSION_1_2, source: this.muidNow, destination: m.source };
    switch (m.kind) {
      case 'discovery':
        return [this.discoveryReply(m)];
      case 'endpoint-info':
        if (m.status !== 0 || this.options.productInstanceId === undefined) return this.nak(m, CiNakStatus.MessageNotSupported, 'no product instance id');
        return [{ kind: 'endpoint-info-reply', ...head, status: 0, data: enc(this.options.productInstanceId) }];
      case 'profile-inquiry': {
        // The profiles are the function block's: a channel or group asked has none.
        const all = m.deviceId === CiDeviceId.FunctionBlock ? [...this.profiles.values()] : [];
        return [
          {
            kind: 'profile-inquiry-reply',
            ...head,
            enabled: all.filter((p) => p.enabled).map((p) => p.id),
            disabled: all.filter((p) => !p.enabled).map((p) => p.id),
          },
        ];
      }
      case 'profile-on':
      case 'profile-off': {
        const p = m.deviceId === CiDeviceId.FunctionBlock ? this.profiles.get(profileKey(m.profile)) : undefined;
        if (!p) return this.nak(m, CiNakStatus.ProfileNotSupportedOnTarget, `profile ${m.profile.map(hex).join(' ')} is not supported on this target`);
        p.enabled = m.kind === 'profile-on';
        return [{ kind: p.enabled ? 'profile-enabled' : 'profile-disabled', ...head, destination: BROADCAST_MUID, profile: p.id, channels: 0 }];
      }
      case 'pe-capabilities':
        return [{ kind: 'pe-capabilities-reply', ...head, maxRequests: this.maxRequests, majorVersion: 0, minorVersion: 0 }];
      case 'pe-get':
      case 'pe-set':
      case 'pe-subscribe':
        return this.peRequest(m);
      case 'unsupported':
      case 'profile-details-inquiry':
      case 'profile-specific-data':
        return m.destination === this.muidNow ? this.nak(m, CiNakStatus.MessageNotSupported, 'message not supported') : [];
      default:
        return []; // replies, reports, ACK/NAK: for an initiator
    }
  }

  private newMuid(old: number | undefined): number {
    for (;;) {
      const muid = this.random() & 0x0fffffff;
      if (muid <= 0x0ffffeff && muid !== old) return muid;
    }
  }

  private discoveryReply(m: CiDiscovery): CiMessage {
    this.remember(m.source, { maxSysExSize: m.maxSysExSize });
    return {
      kind: 'discovery-reply',
      deviceId: CiDeviceId.FunctionBlock,
      version: CI_VERSION_1_2,
      source: this.muidNow,
      destination: m.source,
      manufacturer: MIDL_CI_IDENTITY.manufacturer,
      family: MIDL_CI_IDENTITY.family,
      model: MIDL_CI_IDENTITY.model,
      softwareRevision: this.softwareRevision,
      categories: CiCategory.ProfileConfiguration | CiCategory.PropertyExchange,
      maxSysExSize: this.maxSysExSize,
      outputPathId: m.outputPathId,
      functionBlock: 0x7f,
    };
  }

  private remember(muid: number, asker: Asker): void {
    this.askers.delete(muid);
    if (this.askers.size >= this.maxAskers) this.askers.delete(this.askers.keys().next().value!);
    this.askers.set(muid, asker);
  }

  private nak(m: CiMessage, status: number, text: string): CiAckNak[] {
    const original = m.kind === 'unsupported' ? m.subId : CI_SUB_IDS[m.kind];
    return [
      {
        kind: 'nak',
        deviceId: m.deviceId,
        version: CI_VERSION_1_2,
        source: this.muidNow,
        destination: m.source,
        originalSubId: original,
        statusCode: status,
        statusData: 0,
        details: [0, 0, 0, 0, 0],
        text,
      },
    ];
  }

  private async peRequest(m: CiPeMessage): Promise<CiMessage[]> {
    const got = this.reassembler.accept(m);
    if (got instanceof CiError) {
      const status = got.code === E.OutOfOrder || got.code === E.DuplicateChunk ? CiNakStatus.PeChunksOutOfSequence : CiNakStatus.MalformedMessage;
      return this.nak(m, status, got.message.slice(0, 256));
    }
    if (got.status === 'pending') return [];
    const header = parsePeHeader(got.header);
    if (header instanceof CiError) return this.peReply(m, { status: PeStatus.BadRequest, message: header.message.slice(0, 256) });
    const resource = header.resource;
    if (resource === undefined) return this.peReply(m, { status: PeStatus.BadRequest, message: 'the request header names no resource' });
    const source = this.resources.get(resource);
    if (source === undefined) return this.peReply(m, { status: PeStatus.NotFound, message: `no resource ${resource}` });
    if (m.kind === 'pe-set') return this.peReply(m, { status: PeStatus.NotAllowed, message: `${resource} is read-only` });
    if (m.kind === 'pe-subscribe') return this.peReply(m, { status: PeStatus.NotAllowed, message: `${resource} cannot be subscribed to` });
    const encoding = header.mutualEncoding ?? PeEncoding.Ascii;
    if (!ENCODINGS.includes(encoding)) return this.peReply(m, { status: PeStatus.UnsupportedEncoding });
    let json: Uint8Array;
    try {
      // Re-read and escaped: the body is 7-bit ASCII JSON (\uXXXX for the rest), whatever the text held.
      json = encodeAsciiJson(JSON.parse(typeof source === 'string' ? source : source()) as unknown);
    } catch (err) {
      return this.peReply(m, { status: PeStatus.InternalError, message: `${resource}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 256) });
    }
    const body = encoding === PeEncoding.Ascii ? json : await encodePeBody(json, encoding);
    return this.peReply(m, encoding === PeEncoding.Ascii ? { status: PeStatus.Ok } : { status: PeStatus.Ok, mutualEncoding: encoding }, body);
  }

  private peReply(m: CiPeMessage, header: PeHeader, body: Uint8Array = new Uint8Array(0)): CiMessage[] {
    const kind = m.kind === 'pe-get' ? 'pe-get-reply' : m.kind === 'pe-set' ? 'pe-set-reply' : 'pe-subscribe-reply';
    const max = this.askers.get(m.source)?.maxSysExSize ?? DEFAULT_ASKER_MAX_SYSEX;
    try {
      return chunkPeMessage(
        { kind, deviceId: m.deviceId, source: this.muidNow, destination: m.source, requestId: m.requestId, header: encodePeHeader(header), body },
        max,
      );
    } catch (err) {
      if (!(err instanceof CiError)) throw err;
      // The asker's SysEx size cannot hold the reply (too small, or too many chunks): say so plainly.
      return chunkPeMessage(
        {
          kind,
          deviceId: m.deviceId,
          source: this.muidNow,
          destination: m.source,
          requestId: m.requestId,
          header: encodePeHeader({ status: PeStatus.PayloadTooLarge }),
          body: new Uint8Array(0),
        },
        Math.max(max, DEFAULT_ASKER_MAX_SYSEX),
      );
    }
  }

  private deviceInfo(): Record<string, unknown> {
    const two = (n: number) => [n & 0x7f, (n >> 7) & 0x7f];
    return {
      manufacturerId: [...MIDL_CI_IDENTITY.manufacturer],
      familyId: two(MIDL_CI_IDENTITY.family),
      modelId: two(MIDL_CI_IDENTITY.model),
      versionId: [...this.softwareRevision],
      manufacturer: 'midl (prototyping id 7D)',
      family: 'midl',
      model: 'midl peer',
      version: this.softwareRevision.slice(0, 3).join('.'),
      ...(this.options.productInstanceId === undefined ? {} : { serialNumber: this.options.productInstanceId }),
    };
  }

  private resourceList(): Record<string, unknown>[] {
    return [...this.resources.keys()]
      .filter((r) => r !== 'ResourceList')
      .map((resource) => ({ resource, canGet: true, canSet: 'none', canSubscribe: false, mediaTypes: ['application/json'], encodings: [...ENCODINGS] }));
  }
}

const hex = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');
