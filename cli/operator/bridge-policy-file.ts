/**
 * Reads the Flex bridge's policy (`midl bridge --policy FILE|DIR`, YAML): the services' base URLs, the
 * gateway's token endpoint, the journal, the clock window and call timeout, and what each device may
 * send how fast. A directory's `*.yaml` / `*.yml` files are read in name order and merged, like
 * /etc/midi2d/*.yaml; a setting, service or device defined in two of them is a diagnostic naming both.
 * docs/bridge.md documents the shape.
 *
 *     services: { planner: "http://127.0.0.1:8001" }
 *     token: { url: "http://127.0.0.1:8010/auth/token", clientId: midl-bridge, clientSecretFile: client-secret }
 *     journal: /var/lib/midl-bridge/journal
 *     maxAgeMs: 60000
 *     timeoutMs: 10000
 *     devices:
 *       user alice: { intents: ["*"] }
 *       peer footswitch-1: { intents: [planner.*], rate: { perSecond: 5, burst: 10 } }
 *     default: { intents: [awareness.reflect], rate: { perSecond: 1 } }
 */
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { Diagnostic, SourceFile } from '../../compiler/index.ts';
import { intentPatternMatches, type DevicePolicy, type DeviceRate, type DeviceRule } from '../../services/index.ts';
import { UsageError } from '../exit.ts';
import { keyText, PolicyError, readYamlFile, spanOf, yamlDiagnostic, type Ranged } from './yaml-diagnostics.ts';

/** A value of the policy and the file it came from (for the startup note). */
export interface FromFile<T> {
  readonly value: T;
  readonly from: string;
}

export interface PolicyToken {
  readonly url: string;
  readonly clientId?: string;
  /** Absolute (a relative path is taken from the directory of the file that gives it). */
  readonly clientSecretFile?: string;
}

export interface BridgePolicy {
  /** The files read, in order. */
  readonly files: readonly string[];
  readonly services: Readonly<Record<string, FromFile<string>>>;
  readonly token?: FromFile<PolicyToken>;
  /** Absolute (see `PolicyToken.clientSecretFile`). */
  readonly journal?: FromFile<string>;
  readonly maxAgeMs?: FromFile<number>;
  readonly timeoutMs?: FromFile<number>;
  readonly devices: DevicePolicy;
}

/** What the policy is checked against: the intents the bridge serves. */
export interface ServedIntent {
  readonly name: string;
  readonly service: string;
}

const TOP_KEYS = ['services', 'token', 'journal', 'maxAgeMs', 'timeoutMs', 'devices', 'default'] as const;
const TOKEN_KEYS = ['url', 'clientId', 'clientSecretFile'] as const;
const RULE_KEYS = ['intents', 'rate'] as const;
const RATE_KEYS = ['perSecond', 'burst'] as const;
/** Longest timer Node keeps (a longer one fires at once). */
const MAX_MS = 2 ** 31 - 1;
/** Bounds that keep a bucket's arithmetic exact and a typo (perSecond: 5e9) from meaning "unlimited" silently. */
const MAX_RATE = 1_000_000;
const DEVICE = /^(user|peer) (\S(?:.*\S)?)$/s;

/** The files `path` names: itself, or a directory's `*.yaml` / `*.yml` in name order. UsageError when there is none or it cannot be read. */
export function policyFiles(path: string): string[] {
  try {
    if (!statSync(path).isDirectory()) return [path];
    const names = readdirSync(path)
      .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (names.length === 0) throw new UsageError(`--policy ${path}: the directory holds no .yaml or .yml file`);
    return names.map((n) => join(path, n));
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--policy ${path}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/**
 * The policy at `path` (a file or a directory), checked against the `served` intents. Throws
 * `PolicyError` with every problem of every file, or `UsageError` when a file cannot be read.
 */
export function readBridgePolicy(path: string, served: readonly ServedIntent[]): BridgePolicy {
  const problems: Diagnostic[] = [];
  const reader = new Reader(served, problems);
  const files = policyFiles(path);
  for (const f of files) {
    let read: ReturnType<typeof readYamlFile>;
    try {
      read = readYamlFile(f, 'invalidBridgePolicy', problems, 'the file must be YAML: a mapping of services, token, journal, devices, …');
    } catch (err) {
      throw new UsageError(`--policy ${f}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (read.doc) reader.file(read.file, resolve(dirname(f)), read.doc.contents);
  }
  if (problems.length > 0) throw new PolicyError(problems);
  return reader.result(files);
}

/** Where a setting was first defined, for the diagnostic of a second definition. */
interface Defined {
  readonly file: SourceFile;
  readonly node: YamlNode;
}

class Reader {
  private readonly services: Record<string, FromFile<string>> = {};
  private token?: FromFile<PolicyToken>;
  private journal?: FromFile<string>;
  private maxAgeMs?: FromFile<number>;
  private timeoutMs?: FromFile<number>;
  private readonly devices = new Map<string, DeviceRule>();
  private defaultRule?: DeviceRule;
  private readonly defined = new Map<string, Defined>();
  private readonly serviceNames: string[];
  private readonly intentNames: string[];
  private file$!: SourceFile;
  private dir = '';

  constructor(
    served: readonly ServedIntent[],
    private readonly problems: Diagnostic[],
  ) {
    this.serviceNames = [...new Set(served.map((i) => i.service))].sort();
    this.intentNames = served.map((i) => i.name).sort();
  }

  private invalid(node: Ranged, reason: string, help: string): void {
    this.problems.push(yamlDiagnostic('invalidBridgePolicy', { reason }, this.file$, node, help));
  }

  /** False (and a diagnostic) when `what` was defined before, in this file or another. */
  private firstDefinition(what: string, node: YamlNode): boolean {
    const before = this.defined.get(what);
    if (before) {
      this.problems.push(
        yamlDiagnostic('bridgePolicyDuplicate', { what }, this.file$, node, 'keep one definition: a file of the directory may not override another', [
          { message: 'first defined here', span: spanOf(before.file, before.node) },
        ]),
      );
      return false;
    }
    this.defined.set(what, { file: this.file$, node });
    return true;
  }

  file(file: SourceFile, dir: string, top: unknown): void {
    this.file$ = file;
    this.dir = dir;
    // A file with comments only (a drop-in switched off) is no mistake.
    if (top === null || (isScalar(top) && top.value === null)) return;
    if (!isMap(top)) return this.invalid(top, 'expected a mapping', `a bridge policy has the keys ${TOP_KEYS.join(', ')}`);
    for (const pair of top.items) {
      const key = keyText(pair);
      const value = pair.value as YamlNode;
      const keyNode = pair.key as YamlNode;
      if (!(TOP_KEYS as readonly string[]).includes(key)) {
        this.invalid(keyNode, `unknown key '${key}' (known: ${TOP_KEYS.join(', ')})`, 'check the spelling');
        continue;
      }
      if (key === 'services') this.readServices(value);
      else if (key === 'devices') this.readDevices(value);
      else if (this.firstDefinition(key, keyNode)) this.readSetting(key, value);
    }
  }

  private readSetting(key: string, value: YamlNode): void {
    const from = this.file$.path;
    if (key === 'token') {
      const token = this.readToken(value);
      if (token) this.token = { value: token, from };
    } else if (key === 'journal') {
      const dir = this.text(value, 'journal', 'a directory, e.g. `journal: /var/lib/midl-bridge/journal`');
      if (dir !== undefined) this.journal = { value: resolve(this.dir, dir), from };
    } else if (key === 'maxAgeMs' || key === 'timeoutMs') {
      const ms = this.whole(value, key, 0, MAX_MS, key === 'maxAgeMs' ? 'e.g. `maxAgeMs: 60000`' : 'e.g. `timeoutMs: 10000`');
      if (ms !== undefined) this[key] = { value: ms, from };
    } else {
      const rule = this.readRule(value, 'default');
      if (rule) this.defaultRule = rule;
    }
  }

  private readServices(node: YamlNode): void {
    if (!isMap(node))
      return this.invalid(node, 'services must be a mapping of service name to base URL', 'e.g. `services: { planner: "http://127.0.0.1:8001" }`');
    for (const pair of node.items) {
      const name = keyText(pair);
      const keyNode = pair.key as YamlNode;
      if (!this.serviceNames.includes(name)) {
        this.problems.push(
          yamlDiagnostic(
            'bridgePolicyUnknownName',
            { what: 'service', name },
            this.file$,
            keyNode,
            `the served intents' services: ${this.serviceNames.join(', ')}`,
          ),
        );
        continue;
      }
      const url = this.url(pair.value as YamlNode, `services.${name}`);
      if (url !== undefined && this.firstDefinition(`service '${name}'`, keyNode)) this.services[name] = { value: url, from: this.file$.path };
    }
  }

  private readToken(node: YamlNode): PolicyToken | undefined {
    if (!isMap(node)) {
      this.invalid(node, 'token must be a mapping with url, and clientId with clientSecretFile', 'e.g. `token: { url: "http://127.0.0.1:8010/auth/token" }`');
      return undefined;
    }
    const values = this.keys(node, 'token', TOKEN_KEYS);
    const urlNode = values.get('url');
    if (!urlNode) this.invalid(node, "token has no 'url'", "the gateway's token endpoint, e.g. `url: http://127.0.0.1:8010/auth/token`");
    const url = urlNode && this.url(urlNode, 'token.url');
    const idNode = values.get('clientId');
    const secretNode = values.get('clientSecretFile');
    const clientId = idNode && this.text(idNode, 'token.clientId', 'the client id the gateway knows the bridge by');
    const secret = secretNode && this.text(secretNode, 'token.clientSecretFile', 'a file whose first line is the secret, readable by its owner only');
    if ((idNode === undefined) !== (secretNode === undefined))
      this.invalid(idNode ?? secretNode, 'token: give clientId and clientSecretFile together', 'the gateway checks the two as a pair');
    if (url === undefined) return undefined;
    return {
      url,
      ...(clientId === undefined ? {} : { clientId }),
      ...(secret === undefined ? {} : { clientSecretFile: resolve(this.dir, secret) }),
    };
  }

  private readDevices(node: YamlNode): void {
    if (!isMap(node))
      return this.invalid(node, 'devices must be a mapping of sender to rule', 'e.g. `devices: { "peer footswitch-1": { intents: [planner.*] } }`');
    for (const pair of node.items) {
      const sender = keyText(pair);
      const keyNode = pair.key as YamlNode;
      if (!DEVICE.test(sender)) {
        this.invalid(
          keyNode,
          `device '${sender}' is not 'user NAME' nor 'peer NAME'`,
          '`user NAME`: the user its link proved (--users); `peer NAME`: the endpoint name it gives (not proven)',
        );
        continue;
      }
      const rule = this.readRule(pair.value as YamlNode, `devices.${sender}`);
      if (rule && this.firstDefinition(`device '${sender}'`, keyNode)) this.devices.set(sender, rule);
    }
  }

  private readRule(node: YamlNode, where: string): DeviceRule | undefined {
    if (!isMap(node)) {
      this.invalid(node, `${where} must be a mapping with intents and an optional rate`, 'e.g. `{ intents: [planner.*], rate: { perSecond: 5, burst: 10 } }`');
      return undefined;
    }
    const before = this.problems.length;
    const values = this.keys(node, where, RULE_KEYS);
    const intentsNode = values.get('intents');
    const intents: string[] = [];
    if (intentsNode === undefined)
      this.invalid(node, `${where} has no 'intents'`, 'list what it may send: `intents: [planner.execute, llm.*]`, `["*"]` for all, `[]` for none');
    else if (!isSeq(intentsNode)) this.invalid(intentsNode, `${where}.intents must be a list`, 'e.g. `intents: [planner.execute, llm.*]` or `intents: ["*"]`');
    else
      for (const item of intentsNode.items) {
        const pattern = isScalar(item) ? item.value : undefined;
        if (typeof pattern === 'string' && (pattern === '*' || this.intentNames.some((n) => intentPatternMatches(pattern, n)))) intents.push(pattern);
        else
          this.problems.push(
            yamlDiagnostic(
              'bridgePolicyUnknownName',
              { what: 'intent', name: typeof pattern === 'string' ? pattern : String(pattern) },
              this.file$,
              item as YamlNode,
              `an intent the bridge serves (${this.intentNames.join(', ')}), a prefix like planner.*, or "*"`,
            ),
          );
      }
    const rateNode = values.get('rate');
    const rate = rateNode && this.readRate(rateNode, `${where}.rate`);
    if (this.problems.length > before) return undefined;
    return { intents, ...(rate === undefined ? {} : { rate }) };
  }

  private readRate(node: YamlNode, where: string): DeviceRate | undefined {
    const help = 'e.g. `rate: { perSecond: 5, burst: 10 }` (burst: how many at once; default perSecond, at least 1)';
    if (!isMap(node)) {
      this.invalid(node, `${where} must be a mapping with perSecond and an optional burst`, help);
      return undefined;
    }
    const values = this.keys(node, where, RATE_KEYS);
    const perNode = values.get('perSecond');
    let perSecond: number | undefined;
    if (perNode === undefined) this.invalid(node, `${where} has no 'perSecond'`, help);
    else {
      const v = isScalar(perNode) ? perNode.value : undefined;
      if (typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= MAX_RATE) perSecond = v;
      else this.invalid(perNode, `${where}.perSecond must be a number above 0 and at most ${MAX_RATE}`, help);
    }
    const burstNode = values.get('burst');
    const burst = burstNode && this.whole(burstNode, `${where}.burst`, 1, MAX_RATE, help);
    if (perSecond === undefined || (burstNode !== undefined && burst === undefined)) return undefined;
    return { perSecond, burst: burst ?? Math.max(1, Math.ceil(perSecond)) };
  }

  /** The values of `map` by key, each key checked against `known`. */
  private keys(map: YAMLMap, where: string, known: readonly string[]): Map<string, YamlNode> {
    const values = new Map<string, YamlNode>();
    for (const pair of map.items) {
      const key = keyText(pair);
      if (known.includes(key)) values.set(key, pair.value as YamlNode);
      else this.invalid(pair.key as YamlNode, `${where}: unknown key '${key}' (known: ${known.join(', ')})`, 'check the spelling');
    }
    return values;
  }

  private text(node: YamlNode, where: string, help: string): string | undefined {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v === 'string' && v.length > 0 && v.length <= 4096 && !v.includes('\0')) return v;
    this.invalid(node, `${where} must be a non-empty string`, help);
    return undefined;
  }

  private whole(node: YamlNode, where: string, min: number, max: number, help: string): number | undefined {
    const v = isScalar(node) ? node.value : undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max) return v;
    this.invalid(node, `${where} must be a whole number from ${min} to ${max}`, help);
    return undefined;
  }

  private url(node: YamlNode, where: string): string | undefined {
    const text = this.text(node, where, 'an http: or https: URL, e.g. "http://127.0.0.1:8001"');
    if (text === undefined) return undefined;
    let protocol: string | undefined;
    try {
      protocol = new URL(text).protocol;
    } catch {
      // Not a URL at all: said below, as for another scheme.
    }
    if (protocol === 'http:' || protocol === 'https:') return text;
    this.invalid(node, `${where}: ${JSON.stringify(text)} is not an http: or https: URL`, 'e.g. "http://127.0.0.1:8001"');
    return undefined;
  }

  result(files: readonly string[]): BridgePolicy {
    return {
      files,
      services: this.services,
      ...(this.token ? { token: this.token } : {}),
      ...(this.journal ? { journal: this.journal } : {}),
      ...(this.maxAgeMs ? { maxAgeMs: this.maxAgeMs } : {}),
      ...(this.timeoutMs ? { timeoutMs: this.timeoutMs } : {}),
      devices: { devices: this.devices, ...(this.defaultRule ? { default: this.defaultRule } : {}) },
    };
  }
}
