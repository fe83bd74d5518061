/**
 * DNS-SD over mDNS (RFC 6762 / RFC 6763) for the transports that announce themselves: advertise one
 * service instance (PTR → SRV + TXT → A/AAAA), answer queries for it, announce and say goodbye; browse
 * a service type and turn the responses into services, as each transport's `ServiceProfile` reads
 * them (Network MIDI 2.0's `_midi2._udp`, RTP-MIDI's `_apple-midi._udp`).
 *
 * The mDNS layer (packet codec, multicast socket, group membership) is the `multicast-dns` library.
 * There is no name-conflict probing (RFC 6762 §8): instance names on one backplane are expected to be
 * unique, and each profile keys services on what identifies them anyway.
 */
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import makeMdns from 'multicast-dns';
import type { Answer } from 'dns-packet';

/** What `advertiseService` publishes: one instance of a service type. */
export interface ServiceAdvertisement {
  /** e.g. `_midi2._udp`. */
  readonly serviceType: string;
  /** The DNS-SD instance name ('.' becomes '-'). */
  readonly instanceName: string;
  readonly port: number;
  /** TXT strings, `key=value` each. */
  readonly txt: readonly string[];
  /**
   * Where the service is reached: an IP address (advertised as the only A/AAAA record, e.g. the
   * address the service's socket is bound to) or a host name (the SRV target, answered with this
   * machine's addresses). Default: `<os hostname>.local` with the addresses of `MdnsOptions.interface`,
   * or of every non-internal interface when no interface is given.
   */
  readonly host?: string;
}

/** One instance heard while browsing, with its SRV, TXT and addresses. */
export interface FoundInstance {
  /** The DNS-SD instance label (first label of the PTR target). */
  readonly instanceName: string;
  /** SRV target host name. */
  readonly host: string;
  /** A/AAAA addresses of `host` (IPv4 first); the mDNS sender's address when it gave none. */
  readonly addresses: readonly string[];
  readonly port: number;
  /** TXT keys in lower case → values (the first occurrence of a key wins). */
  readonly txt: ReadonlyMap<string, string>;
}

/** How a transport reads its service type. */
export interface ServiceProfile<S> {
  readonly serviceType: string;
  /**
   * The service an instance makes and the key under which instances are one service (one seen on two
   * interfaces, or announced twice); undefined when the instance makes none. `previous` is what the
   * same key made before, when the instance is seen again.
   */
  describe(found: FoundInstance, previous: S | undefined): { readonly key: string; readonly service: S } | undefined;
}

/** Where mDNS traffic goes. Only IPv4 mDNS (224.0.0.251) is spoken; AAAA records are still read and written. */
export interface MdnsOptions {
  /**
   * IPv4 address of the one interface to join the mDNS group on and send from, e.g. '127.0.0.1' to
   * keep everything on loopback. Default: every interface (multicast-dns's default).
   */
  readonly interface?: string;
  /** UDP port of the mDNS group. Default 5353; tests use a private port so that runs don't see each other. */
  readonly port?: number;
}

/** A discovery socket could not be opened, or the arguments are wrong. */
export class MdnsError extends Error {
  override readonly name = 'MdnsError';
}

const TLD = 'local';
const SERVICES_META = `_services._dns-sd._udp.${TLD}`;
/** The mDNS port (RFC 6762), used unless `MdnsOptions.port` says otherwise. */
export const MDNS_PORT = 5353;

/**
 * Where a listener bound to `host` is announced, and as which address: one on loopback only there (on
 * every interface it would invite clients elsewhere to an address they cannot reach), unless the
 * caller chose an interface; one bound to the wildcard with every address of the machine (the
 * library's default), one bound to an address with that address.
 */
export function announcementFor(host: string, options: MdnsOptions): { readonly mdns: MdnsOptions; readonly host?: string } {
  const loopback = /^127\./.test(host) || host === '::1' || /^::ffff:127\./i.test(host);
  const mdns = options.interface === undefined && loopback ? { ...options, interface: '127.0.0.1' } : options;
  return host === '0.0.0.0' || host === '::' ? { mdns } : { mdns, host };
}
/** RFC 6762 §10: 120 s for records naming a host (SRV, A/AAAA), 75 min for the others. */
const HOST_TTL = 120;
const OTHER_TTL = 4500;
/** RFC 6762 §8.3: announce at least twice, one second apart. */
const ANNOUNCE_GAP_MS = 1000;
/** RFC 6762 §5.2: continuous querying starts at 1 s and at least doubles. */
const FIRST_REQUERY_MS = 1000;
/** How long `browseServices` browses unless told otherwise. */
export const DEFAULT_DISCOVER_MS = 2000;
/** RFC 6763 §6.1: one TXT string is at most 255 bytes. */
const TXT_STRING_MAX = 255;
/** RFC 1035: a label is at most 63 bytes. */
const LABEL_MAX = 63;

type Mdns = ReturnType<typeof makeMdns>;

// ---------------------------------------------------------------------------------------------- socket

/**
 * Opens a multicast-dns instance and waits until its socket is bound and has joined the group.
 *
 * With an explicit interface the socket is bound to 0.0.0.0, not to the interface address (the
 * library's default): Linux delivers a datagram sent to 224.0.0.251 only to sockets bound to the
 * wildcard or the group address, so a socket bound to 127.0.0.1 hears nothing (verified on this
 * loopback-only machine). Membership and the outgoing interface still use `interface`.
 */
async function openMdns(options: MdnsOptions): Promise<Mdns> {
  const port = options.port ?? MDNS_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MdnsError(`mDNS port must be 1..65535, got ${port}`);
  const iface = options.interface;
  if (iface !== undefined && isIP(iface) !== 4) throw new MdnsError(`mDNS interface must be an IPv4 address, got "${iface}"`);
  const mdns = makeMdns(iface === undefined ? { port } : { port, interface: iface, bind: '0.0.0.0' });
  return new Promise((resolve, reject) => {
    const fail = (err: Error): void => {
      mdns.removeAllListeners();
      // An 'error' after this point must not become an unhandled EventEmitter error.
      mdns.on('error', () => {});
      mdns.destroy();
      reject(new MdnsError(`mDNS on ${iface ?? 'all interfaces'} port ${port}: ${err.message}`, { cause: err }));
    };
    // Before 'ready' a warning is a failed group membership: fatal when the caller named the
    // interface (nothing would be heard), harmless for one of several interfaces otherwise.
    const onWarning = (err: Error): void => {
      if (iface !== undefined) fail(err);
    };
    mdns.once('error', fail);
    mdns.on('warning', onWarning);
    mdns.once('ready', () => {
      mdns.removeListener('error', fail);
      mdns.removeListener('warning', onWarning);
      // From here on, socket errors and undecodable packets (anyone on the network can send them)
      // are dropped: one bad datagram must not end discovery or advertising.
      mdns.on('error', () => {});
      mdns.on('warning', () => {});
      resolve(mdns);
    });
  });
}

function destroy(mdns: Mdns): Promise<void> {
  return new Promise((resolve) => mdns.destroy(() => resolve()));
}

// ---------------------------------------------------------------------------------------------- advertise

/**
 * Publishes `ad` until `stop()`: answers queries for `<service type>.local`, the instance and its host,
 * announces twice at start and sends goodbyes (TTL 0) on stop.
 */
export async function advertiseService(ad: ServiceAdvertisement, options: MdnsOptions = {}): Promise<{ stop(): Promise<void> }> {
  const records = advertisementRecords(ad, options);
  const serviceFqdn = records.ptr.name;
  const mdns = await openMdns(options);
  const sameName = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

  const onQuery = (query: { questions?: readonly { name?: unknown; type?: unknown }[] }): void => {
    const answers: Answer[] = [];
    let additionals: Answer[] = [];
    for (const q of query.questions ?? []) {
      if (typeof q.name !== 'string') continue;
      const any = q.type === 'ANY';
      if (sameName(q.name, serviceFqdn) && (any || q.type === 'PTR')) {
        answers.push(records.ptr);
        additionals = [records.srv, records.txt, ...records.addresses];
      } else if (sameName(q.name, SERVICES_META) && (any || q.type === 'PTR')) {
        answers.push(records.meta);
      } else if (sameName(q.name, records.instance)) {
        if (any || q.type === 'SRV') answers.push(records.srv);
        if (any || q.type === 'TXT') answers.push(records.txt);
        additionals = records.addresses;
      } else if (sameName(q.name, records.host)) {
        answers.push(...records.addresses.filter((a) => any || a.type === q.type));
      }
    }
    if (answers.length > 0) mdns.respond({ answers, additionals: additionals.filter((a) => !answers.includes(a)) });
  };
  mdns.on('query', onQuery);

  const announcement = { answers: [records.ptr, records.srv, records.txt, records.meta], additionals: records.addresses };
  mdns.respond(announcement);
  const again = setTimeout(() => mdns.respond(announcement), ANNOUNCE_GAP_MS);
  again.unref();

  let stopped: Promise<void> | undefined;
  return {
    stop(): Promise<void> {
      stopped ??= (async () => {
        clearTimeout(again);
        mdns.removeListener('query', onQuery);
        // Goodbye for the records that are this advertisement's alone; the host's A/AAAA records may
        // be shared with other endpoints of the same machine, so they simply expire.
        const goodbye = [records.ptr, records.srv, records.txt].map((r) => ({ ...r, ttl: 0 }));
        await new Promise<void>((resolve) => mdns.respond({ answers: goodbye }, () => resolve()));
        await destroy(mdns);
      })();
      return stopped;
    },
  };
}

interface AdvertisementRecords {
  readonly instance: string;
  readonly host: string;
  readonly ptr: Answer;
  readonly meta: Answer;
  readonly srv: Answer;
  readonly txt: Answer;
  readonly addresses: Answer[];
}

function advertisementRecords(ad: ServiceAdvertisement, options: MdnsOptions): AdvertisementRecords {
  if (typeof ad.instanceName !== 'string' || ad.instanceName.length === 0) throw new MdnsError('advertisement name must be a non-empty string');
  if (!Number.isInteger(ad.port) || ad.port < 1 || ad.port > 65535) throw new MdnsError(`advertisement port must be 1..65535, got ${ad.port}`);
  const serviceFqdn = `${ad.serviceType}.${TLD}`;
  const txtStrings = ad.txt;
  for (const s of txtStrings) {
    if (Buffer.byteLength(s) > TXT_STRING_MAX) throw new MdnsError(`TXT string longer than ${TXT_STRING_MAX} bytes: ${s.slice(0, 40)}…`);
  }
  const instance = `${toLabel(ad.instanceName)}.${serviceFqdn}`;
  const hostIsAddress = ad.host !== undefined && isIP(ad.host) !== 0;
  const machine = toLabel(hostname().split('.')[0] || 'midl');
  // An address given as host gets a host name of its own: A/AAAA records of one name add up in a
  // browser, so sharing the machine's name would attach this address to its other endpoints too.
  const host = !hostIsAddress ? (ad.host?.replace(/\.$/, '') ?? `${machine}.${TLD}`) : `${toLabel(`${machine}-${ad.host.replace(/[.:%]/g, '-')}`)}.${TLD}`;
  const addressList = hostIsAddress ? [ad.host] : options.interface !== undefined ? [options.interface] : machineAddresses();
  return {
    instance,
    host,
    ptr: { name: serviceFqdn, type: 'PTR', ttl: OTHER_TTL, data: instance },
    meta: { name: SERVICES_META, type: 'PTR', ttl: OTHER_TTL, data: serviceFqdn },
    // flush (cache-flush bit): these records are unique to this responder (RFC 6762 §10.2).
    srv: { name: instance, type: 'SRV', ttl: HOST_TTL, flush: true, data: { port: ad.port, target: host, priority: 0, weight: 0 } },
    txt: { name: instance, type: 'TXT', ttl: OTHER_TTL, flush: true, data: txtStrings.map((s) => Buffer.from(s)) },
    addresses: addressList.map((address) => ({ name: host, type: isIP(address) === 6 ? 'AAAA' : 'A', ttl: HOST_TTL, flush: true, data: address })),
  };
}

/** A DNS label: dns-packet splits names on '.', and a label is at most 63 bytes. */
function toLabel(text: string): string {
  let label = text.replace(/\./g, '-');
  while (Buffer.byteLength(label) > LABEL_MAX) label = Array.from(label).slice(0, -1).join('');
  return label;
}

/** Non-internal addresses (link-local IPv6 left out: without a zone they can't be dialled); loopback if there are none. */
function machineAddresses(): string[] {
  const out: string[] = [];
  for (const infos of Object.values(networkInterfaces())) {
    for (const info of infos ?? []) {
      if (info.internal || /^fe80:/i.test(info.address)) continue;
      out.push(info.address);
    }
  }
  return out.length > 0 ? sortAddresses(out) : ['127.0.0.1'];
}

// ---------------------------------------------------------------------------------------------- discover

/**
 * Browses `profile.serviceType` for `timeoutMs` (default 2000) and resolves to the services found, one
 * per key the profile gives. `onService` is called once per service as soon as it is complete.
 * Records that don't make a service (no SRV, port 0, or what the profile refuses) are skipped; a
 * service that says goodbye before the end is dropped.
 */
export async function browseServices<S>(
  profile: ServiceProfile<S>,
  options: MdnsOptions & { timeoutMs?: number; onService?: (s: S) => void } = {},
): Promise<S[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_DISCOVER_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) throw new MdnsError(`discovery timeout must be a number of ms ≥ 0, got ${timeoutMs}`);
  const mdns = await openMdns(options);
  const browser = new Browser(profile, (q) => mdns.query(q), options.onService);
  mdns.on('response', (packet: unknown, rinfo: { address: string }) => browser.absorb(packet, rinfo.address));

  const timers: NodeJS.Timeout[] = [];
  const requery = (delay: number): void => {
    if (delay >= timeoutMs) return;
    timers.push(
      setTimeout(() => {
        browser.queryService();
        requery(delay * 2);
      }, delay),
    );
  };
  browser.queryService();
  requery(FIRST_REQUERY_MS);
  await new Promise((resolve) => timers.push(setTimeout(resolve, timeoutMs)));
  for (const t of timers) clearTimeout(t);
  await destroy(mdns);
  return browser.services();
}

type Question = { name: string; type: 'PTR' | 'SRV' | 'TXT' | 'A' | 'AAAA' };

interface Srv {
  readonly port: number;
  readonly target: string;
  /** Who sent it: the address used when the responder gave no A/AAAA record. */
  readonly referer: string;
}

interface Found<S> {
  service: S;
  addresses: string[];
  /** Instances (PTR targets) that gave this service; it is gone when all said goodbye. */
  readonly instances: Set<string>;
}

/** What one discovery has heard so far, keyed by lower-case owner name, and the services it makes. */
class Browser<S> {
  /** Lower-case instance name → as its PTR spelled it. */
  private readonly instances = new Map<string, string>();
  private readonly srv = new Map<string, Srv>();
  private readonly txt = new Map<string, unknown>();
  private readonly addresses = new Map<string, Set<string>>();
  private readonly asked = new Set<string>();
  private readonly found = new Map<string, Found<S>>();
  private readonly serviceFqdn: string;

  constructor(
    private readonly profile: ServiceProfile<S>,
    private readonly query: (questions: Question[]) => void,
    private readonly onService: ((s: S) => void) | undefined,
  ) {
    this.serviceFqdn = `${profile.serviceType}.${TLD}`;
  }

  queryService(): void {
    this.query([{ name: this.serviceFqdn, type: 'PTR' }]);
  }

  services(): S[] {
    return [...this.found.values()].map((f) => f.service);
  }

  /** Takes in one decoded response from anyone on the network; anything malformed in it is ignored. */
  absorb(packet: unknown, referer: string): void {
    if (!isObject(packet)) return;
    const records = [...asArray(packet.answers), ...asArray(packet.additionals)].filter(isObject);
    for (const rr of records) {
      try {
        this.remember(rr, referer);
      } catch {
        // A record whose fields aren't what its type promises: skip that record alone.
      }
    }
    for (const [instance, spelled] of this.instances) this.resolve(instance, spelled);
  }

  private remember(rr: Record<string, unknown>, referer: string): void {
    if (typeof rr.name !== 'string') return;
    const name = rr.name.toLowerCase();
    const goodbye = rr.ttl === 0;
    const data = rr.data;
    switch (rr.type) {
      case 'PTR':
        if (name !== this.serviceFqdn.toLowerCase() || typeof data !== 'string') return;
        if (goodbye) this.forget(data.toLowerCase());
        else this.instances.set(data.toLowerCase(), data);
        return;
      case 'SRV':
        if (!isObject(data) || typeof data.target !== 'string' || typeof data.port !== 'number') return;
        if (goodbye) this.forget(name);
        else this.srv.set(name, { port: data.port, target: data.target, referer });
        return;
      case 'TXT':
        if (goodbye) this.forget(name);
        else this.txt.set(name, data);
        return;
      case 'A':
      case 'AAAA':
        if (goodbye || typeof data !== 'string' || isIP(data) === 0) return;
        getOrAdd(this.addresses, name, () => new Set()).add(data);
        return;
    }
  }

  private forget(instance: string): void {
    this.instances.delete(instance);
    this.srv.delete(instance);
    this.txt.delete(instance);
    for (const [key, f] of this.found) {
      f.instances.delete(instance);
      if (f.instances.size === 0) this.found.delete(key);
    }
  }

  /** Makes a service of `instance` once its SRV and TXT are known, asking for what is missing (once). */
  private resolve(instance: string, spelled: string): void {
    const srv = this.srv.get(instance);
    const txtData = this.txt.get(instance);
    if (srv === undefined || txtData === undefined) {
      this.askOnce(instance, [
        { name: instance, type: 'SRV' },
        { name: instance, type: 'TXT' },
      ]);
      return;
    }
    if (!Number.isInteger(srv.port) || srv.port < 1 || srv.port > 65535) return;
    const target = srv.target.toLowerCase();
    const known = this.addresses.get(target);
    if (known === undefined) {
      this.askOnce(target, [
        { name: srv.target, type: 'A' },
        { name: srv.target, type: 'AAAA' },
      ]);
    }
    const heard = sortAddresses(known ? [...known] : [srv.referer]);
    const instanceName = spelled.slice(0, spelled.length - this.serviceFqdn.length - 1);
    const base = { instanceName, host: srv.target, port: srv.port, txt: parseTxt(txtData) };
    const first = this.profile.describe({ ...base, addresses: heard }, undefined);
    if (first === undefined) return;
    const found = this.found.get(first.key);
    if (found === undefined) {
      this.found.set(first.key, { service: first.service, instances: new Set([instance]), addresses: heard });
      this.onService?.(first.service);
      return;
    }
    // Seen again (another interface, a re-announcement): one service, addresses merged.
    found.instances.add(instance);
    found.addresses = sortAddresses([...found.addresses, ...heard]);
    found.service = this.profile.describe({ ...base, addresses: found.addresses }, found.service)?.service ?? found.service;
  }

  private askOnce(name: string, questions: Question[]): void {
    if (this.asked.has(name)) return;
    this.asked.add(name);
    this.query(questions);
  }
}

/**
 * TXT strings (`key=value`, RFC 6763 §6) → lower-case key → value. The first occurrence of a key wins
 * (§6.4); a string that isn't valid UTF-8 or has no key is skipped, as is data of any other shape.
 */
function parseTxt(data: unknown): Map<string, string> {
  const out = new Map<string, string>();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const item of Array.isArray(data) ? data : [data]) {
    let text: string;
    try {
      text = typeof item === 'string' ? item : item instanceof Uint8Array ? decoder.decode(item) : '';
    } catch {
      continue;
    }
    const eq = text.indexOf('=');
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (key === '' || out.has(key)) continue;
    out.set(key, eq < 0 ? '' : text.slice(eq + 1));
  }
  return out;
}

/** IPv4 before IPv6, otherwise in the order given, without repeats. */
function sortAddresses(addresses: readonly string[]): string[] {
  const unique = [...new Set(addresses)];
  return [...unique.filter((a) => isIP(a) === 4), ...unique.filter((a) => isIP(a) !== 4)];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function asArray(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = make()));
  return value;
}
