import type { IrErrorSet, IrIntent, IrProgram, IrTopic } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions } from '../emitter.ts';
import { importPath, tsNames, typesModule } from '../shared/names.ts';
import { cmp, docComment, hexBigint, key, str } from './tsout.ts';

/**
 * capabilities.ts and registry.ts (docs/generated-code.md § Registry). Both read the IR only; values
 * come from the types modules (`types/<package>.ts`: one `Codec` per type, error sets as `N` codes and
 * `NMessages`) and the runtime's
 * `defineTopic`/`defineIntent`/`defineErrorSet`/`capabilityMaskHelpers`.
 */

export const CAPABILITIES_MODULE = 'capabilities';
export const REGISTRY_MODULE = 'registry';

/** Names capabilities.ts and registry.ts export (index.ts resolves clashes with schema types). */
export const CAPABILITIES_EXPORTS = ['Capabilities', 'CapabilityName', 'CapabilityMask'] as const;
export const REGISTRY_EXPORTS = ['errorSets', 'topics', 'topicsById', 'TopicAddress', 'intents', 'IntentName'] as const;

export function capabilitiesTs(ir: IrProgram, options: EmitOptions): string {
  const out = [
    GENERATED_HEADER,
    '/**',
    ' * Capability bits of this schema. Each capability owns one bit of the 64-bit session capability mask',
    ' * (a bigint); bits are stable: written in the schema or pinned in midl.lock, never moved.',
    " * A session may publish (subscribe to) a topic when its mask holds any one of the topic's publish",
    ' * (subscribe) capabilities; a topic that names none is open to every session.',
    ' */',
    `import { capabilityMaskHelpers } from ${str(options.runtimeImport)};`,
    '',
    '/** Every capability by name: its bit, its single-bit mask and its documentation. */',
    'export const Capabilities = Object.freeze({',
  ];
  for (const c of ir.capabilities) {
    out.push(...docComment(c.doc ? `${c.doc}\n\nBit ${c.bit}.` : `Bit ${c.bit}.`, '  '));
    out.push(`  ${key(c.name)}: Object.freeze({ bit: ${c.bit}, mask: ${hexBigint(1n << BigInt(c.bit))}, doc: ${str(c.doc ?? '')} }),`);
  }
  out.push(
    '});',
    '',
    'export type CapabilityName = keyof typeof Capabilities;',
    '',
    '/**',
    ' * Mask helpers: `maskOf(...names)`, `hasAll(mask, required)`, `hasAny(mask, required)`, `describe(mask)`',
    ' * (names in bit order, `bit N` for bits no capability owns) and `nameOf(bit)`.',
    ' */',
    'export const CapabilityMask = capabilityMaskHelpers<CapabilityName>(Capabilities);',
  );
  return `${out.join('\n')}\n`;
}

/** A local alias for each package's types module, unique and unlike any other name in registry.ts. */
export function packageAliases(packages: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const pkg of [...packages].sort(cmp)) {
    const base = `t_${pkg.replace(/[^A-Za-z0-9]/g, '_') || '_'}`;
    let alias = base;
    for (let n = 2; used.has(alias); n++) alias = `${base}_${n}`;
    used.add(alias);
    out.set(pkg, alias);
  }
  return out;
}

function capabilityMask(names: readonly string[]): string {
  if (names.length === 0) return '0n';
  return names.map((n) => `Capabilities[${str(n)}].mask`).join(' | ');
}

export function registryTs(ir: IrProgram, options: EmitOptions): string {
  const names = tsNames(ir);
  const declPackage = new Map<string, string>([...ir.types, ...ir.errorSets].map((d) => [d.name, d.package]));
  const used = new Set<string>();
  for (const t of ir.topics) for (const n of [t.payload, t.reply]) if (n) used.add(n);
  for (const i of ir.intents) for (const n of [i.body, i.reply]) if (n) used.add(n);
  for (const e of ir.errorSets) used.add(e.name);
  const packages = [...new Set([...used].map((n) => declPackage.get(n) ?? ''))].sort(cmp);
  const alias = packageAliases(packages);
  const typeRef = (fq: string) => `${alias.get(declPackage.get(fq) ?? '')}.${names.get(fq) ?? fq}`;

  const runtimeNames = [
    ...(ir.errorSets.length > 0 ? ['defineErrorSet'] : []),
    ...(ir.intents.length > 0 ? ['defineIntent'] : []),
    ...(ir.topics.length > 0 ? ['defineTopic'] : []),
  ];
  const out = [
    GENERATED_HEADER,
    '/**',
    ' * Topic and intent registry of this schema. `topics` has one entry per topic keyed by address',
    ' * template, `topicsById` the same entries by stable topic id, `intents` one entry per Flex intent keyed',
    ' * by name. Each entry is the runtime descriptor a Bus takes (`bus.publish(topics[address], value)`);',
    ' * `createClient(bus)` in client.ts wraps them in a typed tree.',
    ' */',
    `import { ${runtimeNames.join(', ')} } from ${str(options.runtimeImport)};`,
  ];
  if (ir.topics.some((t) => t.publish.length + t.subscribe.length > 0)) out.push(`import { Capabilities } from './${CAPABILITIES_MODULE}.ts';`);
  for (const pkg of packages) out.push(`import * as ${alias.get(pkg)} from ${str(importPath(REGISTRY_MODULE, typesModule(pkg), '.ts'))};`);

  out.push('', '/** Error sets that topics and intents answer with, by fully qualified name. */', 'export const errorSets = Object.freeze({');
  for (const e of [...ir.errorSets].sort((a, b) => cmp(a.name, b.name))) out.push(...errorSetEntry(e, typeRef));
  out.push('});');

  out.push('', '/** Every topic by address template. */', 'export const topics = Object.freeze({');
  for (const t of ir.topics) out.push(...topicEntry(t, typeRef));
  out.push(
    '});',
    '',
    'export type TopicAddress = keyof typeof topics;',
    '',
    '/** Every topic by its stable numeric id (the id carried in envelope headers). */',
    'export const topicsById: ReadonlyMap<number, (typeof topics)[TopicAddress]> = new Map(Object.values(topics).map((t) => [t.id, t] as const));',
  );

  out.push('', '/** Every Flex intent by name. */', 'export const intents = Object.freeze({');
  for (const i of ir.intents) out.push(...intentEntry(i, typeRef));
  out.push('});', '', 'export type IntentName = keyof typeof intents;');
  return `${out.join('\n')}\n`;
}

/** An error set's codes and messages are the consts of its types module (`N`, `NMessages`). */
function errorSetEntry(e: IrErrorSet, ref: (fq: string) => string): string[] {
  const codes = ref(e.name);
  const messages = e.members.some((m) => m.message !== undefined) ? `${codes}Messages` : '{}';
  return [...docComment(e.doc, '  '), `  ${str(e.name)}: defineErrorSet({ name: ${str(e.name)}, codes: ${codes}, messages: ${messages} }),`];
}

function typeArgs(args: readonly string[]): string {
  // Trailing defaults (`never`) are left out: defineTopic<P>, defineTopic<P, R>, defineTopic<P, never, 'corr'>.
  const list = [...args];
  while (list.length > 1 && list[list.length - 1] === 'never') list.pop();
  return `<${list.join(', ')}>`;
}

function topicEntry(t: IrTopic, typeRef: (fq: string) => string): string[] {
  const params = t.params.map(str);
  const budget = [
    t.budget.latencyUs === undefined ? '' : `latencyUs: ${t.budget.latencyUs}`,
    t.budget.jitterUs === undefined ? '' : `jitterUs: ${t.budget.jitterUs}`,
  ].filter(Boolean);
  return [
    ...docComment(t.doc ? `\`${t.address}\`\n\n${t.doc}` : `\`${t.address}\``, '  '),
    `  ${str(t.address)}: defineTopic${typeArgs([typeRef(t.payload), t.reply ? typeRef(t.reply) : 'never', params.length > 0 ? params.join(' | ') : 'never'])}({`,
    `    address: ${str(t.address)},`,
    `    id: ${t.id},`,
    `    params: [${params.join(', ')}],`,
    `    package: ${str(t.package)},`,
    `    version: ${str(t.version)},`,
    `    payload: ${typeRef(t.payload)},`,
    `    reply: ${t.reply ? typeRef(t.reply) : 'undefined'},`,
    `    qos: ${str(t.qos)},`,
    `    budget: {${budget.length > 0 ? ` ${budget.join(', ')} ` : ''}},`,
    `    publish: ${capabilityMask(t.publish)},`,
    `    subscribe: ${capabilityMask(t.subscribe)},`,
    `    errors: ${t.errors ? `errorSets[${str(t.errors)}]` : 'undefined'},`,
    `    lane: ${str(t.lane)},`,
    `    maxPayload: ${t.maxPayload},`,
    `    stream: ${t.stream},`,
    `    toolName: ${str(t.toolName)},`,
    '  }),',
  ];
}

function intentEntry(i: IrIntent, typeRef: (fq: string) => string): string[] {
  return [
    ...docComment(i.doc ? `\`${i.name}\` (${i.http.method} ${i.http.path})\n\n${i.doc}` : `\`${i.name}\` (${i.http.method} ${i.http.path})`, '  '),
    `  ${str(i.name)}: defineIntent${typeArgs([typeRef(i.body), i.reply ? typeRef(i.reply) : 'never'])}({`,
    `    name: ${str(i.name)},`,
    `    toolName: ${str(i.toolName)},`,
    `    package: ${str(i.package)},`,
    `    version: ${str(i.version)},`,
    `    body: ${typeRef(i.body)},`,
    `    reply: ${i.reply ? typeRef(i.reply) : 'undefined'},`,
    `    method: ${str(i.http.method)},`,
    `    path: ${str(i.http.path)},`,
    `    pathParams: [${i.http.pathParams.map(str).join(', ')}],`,
    `    service: ${str(i.service)},`,
    `    errors: ${i.errors ? `errorSets[${str(i.errors)}]` : 'undefined'},`,
    '  }),',
  ];
}
