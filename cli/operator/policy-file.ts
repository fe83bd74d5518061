/**
 * Reads an operator's grant policy (`midl peer --policy FILE`, YAML): who may hold which capabilities,
 * payload size and QoS levels. Every problem is a diagnostic with the file, line and column, a code frame
 * and a `help:` line, like the compiler's; the result is the services' `GrantPolicy`.
 *
 *     rules:                        # tried in order; the first that matches a client decides
 *       - user: alice               # the Network MIDI 2.0 user the client authenticated as ("*": any)
 *         capabilities: [gpu.dispatch, gpu.read]   # or "*": every capability of the schema
 *         maxPayload: 65536         # bytes, optional
 *         qos: [at_most_once, at_least_once]       # optional: the levels it may send with
 *       - client: "dashboard-*"     # the name the client gives itself (not checked: see docs/policy.md)
 *         capabilities: [telemetry.read]
 */
import { isMap, isScalar, isSeq, type Node as YamlNode, type YAMLMap } from 'yaml';
import type { Diagnostic, DiagnosticId, SourceFile } from '../../compiler/index.ts';
import type { QosLevel } from '../../runtime/index.ts';
import type { GrantPolicy, PolicyRule } from '../../services/index.ts';
import { keyText, PolicyError, readYamlFile, yamlDiagnostic } from './yaml-diagnostics.ts';

export { PolicyError } from './yaml-diagnostics.ts';

const RULE_KEYS = ['client', 'user', 'capabilities', 'maxPayload', 'qos'] as const;
const QOS_LEVELS: readonly QosLevel[] = ['at_most_once', 'at_least_once', 'exactly_once'];
/** The smallest payload limit a session may have (fountain.session.SessionOpen's minimum). */
const MIN_PAYLOAD = 64;

function diagnostic(
  id: DiagnosticId,
  args: Readonly<Record<string, string>>,
  file: SourceFile,
  range: readonly number[] | undefined,
  help: string,
): Diagnostic {
  return yamlDiagnostic(id, args, file, range, help);
}

/**
 * The policy in `path`, its capability names resolved against `capabilities` (the schema's table).
 * Throws `PolicyError` with every problem found (not just the first).
 */
export function readPolicyFile(path: string, capabilities: Readonly<Record<string, { readonly mask: bigint }>>): GrantPolicy {
  const problems: Diagnostic[] = [];
  const { file, doc } = readYamlFile(path, 'invalidPolicy', problems, 'the file must be YAML: a mapping with a `rules` list');
  const invalid = (node: { range?: readonly number[] | null } | undefined | null, reason: string, help: string) =>
    problems.push(diagnostic('invalidPolicy', { reason }, file, node?.range ?? undefined, help));
  if (!doc) throw new PolicyError(problems);
  const top = doc.contents;
  const rulesNode = isMap(top) ? top.get('rules', true) : undefined;
  if (!isMap(top) || !isSeq(rulesNode)) {
    invalid(isMap(top) ? top : top, 'expected a mapping with a `rules` list', 'start the file with `rules:` and one `- capabilities: [...]` entry per rule');
    throw new PolicyError(problems);
  }
  for (const pair of top.items) {
    if (keyText(pair) !== 'rules') invalid(pair.key, `unknown key '${keyText(pair)}' (the file has one key: rules)`, 'remove it, or move it into a rule');
  }
  const known = Object.keys(capabilities);
  const rules: PolicyRule[] = [];
  rulesNode.items.forEach((item, i) => {
    const where = `rules[${i}]`;
    if (!isMap(item)) return invalid(item as YamlNode, `${where} must be a mapping`, `a rule has ${RULE_KEYS.join(', ')}`);
    const rule = readRule(item, where, capabilities, known, file, problems);
    if (rule) rules.push(rule);
  });
  if (rules.length === 0 && problems.length === 0)
    invalid(rulesNode, 'the policy has no rule, so it grants nothing to anyone', 'add a rule: `- user: NAME` with `capabilities: [...]`');
  if (problems.length > 0) throw new PolicyError(problems);
  return { rules };
}

function readRule(
  map: YAMLMap,
  where: string,
  capabilities: Readonly<Record<string, { readonly mask: bigint }>>,
  known: readonly string[],
  file: SourceFile,
  problems: Diagnostic[],
): PolicyRule | undefined {
  const before = problems.length;
  const invalid = (node: YamlNode | null | undefined, reason: string, help: string) =>
    problems.push(diagnostic('invalidPolicy', { reason }, file, node?.range ?? map.range ?? undefined, help));
  const values = new Map<string, YamlNode>();
  for (const pair of map.items) {
    const key = keyText(pair);
    if (!(RULE_KEYS as readonly string[]).includes(key))
      invalid(pair.key as YamlNode, `${where}: unknown key '${key}' (known: ${RULE_KEYS.join(', ')})`, 'check the spelling');
    else values.set(key, pair.value as YamlNode);
  }
  const text = (key: 'client' | 'user'): string | undefined => {
    const node = values.get(key);
    if (node === undefined) return undefined;
    if (!isScalar(node) || typeof node.value !== 'string' || node.value.length === 0 || node.value.length > 256) {
      invalid(
        node,
        `${where}.${key} must be a non-empty string of at most 256 characters`,
        key === 'client' ? 'a name pattern, e.g. "studio-*"' : 'a user name of the peer\'s --users, or "*"',
      );
      return undefined;
    }
    return node.value;
  };
  const client = text('client');
  const user = text('user');
  let mask = 0n;
  const capsNode = values.get('capabilities');
  if (capsNode === undefined)
    invalid(map, `${where} has no 'capabilities'`, 'list what the rule grants: `capabilities: [name, …]`, `"*"` for all, `[]` for none');
  else if (isScalar(capsNode) && capsNode.value === '*') for (const info of Object.values(capabilities)) mask |= info.mask;
  else if (!isSeq(capsNode)) invalid(capsNode, `${where}.capabilities must be a list of capability names or "*"`, 'e.g. `capabilities: [gpu.dispatch]`');
  else
    for (const item of capsNode.items) {
      const name = isScalar(item) ? item.value : undefined;
      const info = typeof name === 'string' ? capabilities[name] : undefined;
      if (info) mask |= info.mask;
      else
        problems.push(
          diagnostic(
            'policyUnknownCapability',
            { name: String(name) },
            file,
            (item as YamlNode).range ?? undefined,
            known.length === 0 ? 'the schema declares no capability' : `the schema's capabilities: ${known.join(', ')}`,
          ),
        );
    }
  let maxPayload: number | undefined;
  const sizeNode = values.get('maxPayload');
  if (sizeNode !== undefined) {
    const v = isScalar(sizeNode) ? sizeNode.value : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_PAYLOAD)
      invalid(sizeNode, `${where}.maxPayload must be a whole number of bytes, at least ${MIN_PAYLOAD}`, 'e.g. `maxPayload: 65536`');
    else maxPayload = v;
  }
  let qos: QosLevel[] | undefined;
  const qosNode = values.get('qos');
  if (qosNode !== undefined) {
    if (!isSeq(qosNode) || qosNode.items.length === 0)
      invalid(qosNode, `${where}.qos must be a non-empty list of QoS levels`, `levels: ${QOS_LEVELS.join(', ')}`);
    else {
      qos = [];
      for (const item of qosNode.items) {
        const v = isScalar(item) ? item.value : undefined;
        if (typeof v === 'string' && (QOS_LEVELS as readonly string[]).includes(v)) qos.push(v as QosLevel);
        else invalid(item as YamlNode, `${where}.qos: unknown QoS level ${JSON.stringify(v ?? null)}`, `levels: ${QOS_LEVELS.join(', ')}`);
      }
    }
  }
  if (problems.length > before) return undefined;
  return {
    where,
    capabilities: mask,
    ...(client === undefined ? {} : { client }),
    ...(user === undefined ? {} : { user }),
    ...(maxPayload === undefined ? {} : { maxPayload }),
    ...(qos === undefined ? {} : { qos }),
  };
}
