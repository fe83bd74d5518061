import type { IrProgram } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions } from '../emitter.ts';
import { clientPathText, intentClientPath, topicClientPath } from '../../checker/client-path.ts';
import { cmp } from '../shared/names.ts';
import { docCommentText, expr, importDeclaration, lit, named, object, printModule, property, stmt, stmts, type Syntax } from '../shared/ts/index.ts';
import { REGISTRY_MODULE } from './registry.ts';

/**
 * client.ts: `createClient(bus)`, a typed tree with one node per topic and per intent, each at the path
 * its own address or name gives (`compiler/checker/client-path.ts`: literal parts in camelCase,
 * parameters left out, intents under `intents`, reserved parts escaped with a trailing `$`). A node that
 * is a topic or intent and also has children carries both (`withMembers`), so adding a topic never
 * moves or renames an existing member. The checker refuses two topics or intents with one path.
 */

export const CLIENT_MODULE = 'client';
export const CLIENT_EXPORTS = ['createClient', 'Client'] as const;

interface Leaf {
  readonly kind: 'topic' | 'intent';
  /** Address template or intent name. */
  readonly name: string;
  readonly doc: string | undefined;
}

/** A node of the client tree: a topic's or intent's client, a branch of children, or both. */
export interface ClientNode {
  leaf: Leaf | undefined;
  readonly children: Map<string, ClientNode>;
}

function newNode(): ClientNode {
  return { leaf: undefined, children: new Map() };
}

function insert(root: ClientNode, path: readonly string[], leaf: Leaf): void {
  let node = root;
  for (const k of path) {
    let next = node.children.get(k);
    if (!next) node.children.set(k, (next = newNode()));
    node = next;
  }
  // The checker refuses two topics or intents with one client path (MIDL1414); IR that has them is not
  // a checked program.
  if (node.leaf) throw new Error(`${leaf.kind} '${leaf.name}' and ${node.leaf.kind} '${node.leaf.name}' have the same client path ${clientPathText(path)}`);
  node.leaf = leaf;
}

export function clientTree(ir: IrProgram): ClientNode {
  const root = newNode();
  for (const t of ir.topics) insert(root, topicClientPath(t.segments), { kind: 'topic', name: t.address, doc: t.doc });
  for (const i of ir.intents) insert(root, intentClientPath(i.name), { kind: 'intent', name: i.name, doc: i.doc });
  return root;
}

function leafClient(leaf: Leaf): { value: Syntax.Expression; doc: string[] } {
  if (leaf.kind === 'topic')
    return { value: expr`topicClient(bus, topics[${lit(leaf.name)}])`, doc: docCommentText(leaf.doc ? `\`${leaf.name}\`\n\n${leaf.doc}` : `\`${leaf.name}\``) };
  return {
    value: expr`intentClient(bus, intents[${lit(leaf.name)}])`,
    doc: docCommentText(leaf.doc ? `Intent \`${leaf.name}\`\n\n${leaf.doc}` : `Intent \`${leaf.name}\``),
  };
}

function render(node: ClientNode): Syntax.Property[] {
  return [...node.children.keys()].sort(cmp).map((k) => {
    const child = node.children.get(k)!;
    if (!child.leaf) return property(k, object(render(child), true));
    const { value, doc } = leafClient(child.leaf);
    return property(k, child.children.size === 0 ? value : expr`withMembers(${value}, ${object(render(child), true)})`, doc);
  });
}

function usesWithMembers(node: ClientNode): boolean {
  return [...node.children.values()].some((c) => (c.leaf !== undefined && c.children.size > 0) || usesWithMembers(c));
}

const CLIENT_DOC = [
  '/**',
  ' * Typed clients: `createClient(bus)` returns one node per topic, nested by the address segments split on',
  " * '/' and '.' (kebab-case parts in camelCase, parameter segments left out), and one function per Flex",
  ' * intent under `intents`:',
  ' *',
  ' *   client.gpu.job.dispatch.publish(job)                  // gpu/job.dispatch',
  ' *   const accepted = await client.gpu.job.dispatch.request(job, { timeoutMs: 100 })',
  ' *   client.gpu.job.result.subscribe({ corr }, (result, d) => …)   // gpu/job.result/{corr}, one corr',
  ' *   client.gpu.job.result.subscribe((result, d) => d.params.corr) // every corr',
  ' *   client.telemetry.resourceUsage.subscribe(…)          // telemetry/resource-usage',
  ' *   const reply = await client.intents.planner.execute(body)',
  ' *',
  ' * Address parameters come first, as one object named by the schema (`{ corr }`); `publish` and',
  ' * `request` require every parameter, `subscribe` and `serve` match any value of those left out.',
  ' * `request` and `serve` (answer requests) exist only on topics with a reply type.',
  ' *',
  " * A member's path depends only on its own address or name, so adding a topic never moves one: a",
  ' * topic with longer addresses below it keeps its operations beside their nodes (`client.nvm.results`',
  ' * and `client.nvm.results.chunks` for nvm/results/{corr} and nvm/results/{corr}/chunks); a part named',
  ' * like a member (`publish`, `serve`, `topic`, `then`, …) gets a `$` appended (`publish$`), as does a',
  " * topic's first part `intents`. Two topics or intents with one path are refused by `midl check`.",
  ' */',
].join('\n');

export function clientTs(ir: IrProgram, options: EmitOptions): string {
  const tree = clientTree(ir);
  const runtimeNames = [
    ...(ir.intents.length > 0 ? ['intentClient'] : []),
    ...(ir.topics.length > 0 ? ['topicClient'] : []),
    ...(usesWithMembers(tree) ? ['withMembers'] : []),
    'type Bus',
  ];
  const registryNames = [...(ir.intents.length > 0 ? ['intents'] : []), ...(ir.topics.length > 0 ? ['topics'] : [])];
  const imports: Syntax.Statement[] = [
    { ...importDeclaration(named(...runtimeNames), options.runtimeImport), leadingComments: [GENERATED_HEADER, CLIENT_DOC] },
  ];
  if (registryNames.length > 0) imports.push(importDeclaration(named(...registryNames), `./${REGISTRY_MODULE}.ts`));
  const body =
    tree.children.size === 0
      ? stmts`void bus;
    return {};`
      : [stmt`return ${object(render(tree), true)};`];
  return printModule(stmts`${imports}

    /** The typed client tree over \`bus\` (any Bus: LoopbackBus in process, or the network runtime). */
    export function createClient(bus: Bus) {
      ${body}
    }

    export type Client = ReturnType<typeof createClient>;`);
}
