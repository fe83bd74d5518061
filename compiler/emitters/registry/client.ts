import type { IrProgram } from '../../ir/ir.ts';
import { GENERATED_HEADER, type EmitOptions } from '../emitter.ts';
import { cmp } from '../shared/names.ts';
import { docCommentText, expr, importDeclaration, lit, named, object, printModule, property, stmt, stmts, type Syntax } from '../shared/ts/index.ts';
import { REGISTRY_MODULE } from './registry.ts';

/**
 * client.ts: `createClient(bus)`, a typed tree with one node per topic and per intent.
 *
 * Tree keys: a topic's literal address segments split on `/` and `.`, each part in camelCase
 * (`resource-usage` → `resourceUsage`); parameter segments are left out (their values are arguments).
 * Intents hang under `intents`, keyed by their name split on `.`.
 *
 * Clashes are resolved the same way on every run:
 *   - two nodes at the same path: topics before intents, then by address/name in code-unit order;
 *     the first keeps the key, the next get `<key>$2`, `<key>$3`, …;
 *   - a node whose path is also a branch (topic `a/b` beside `a/b.c`): the node moves into the branch
 *     under the key `$` (`client.a.b.$`, with `client.a.b.c` beside it).
 * Segment parts never contain `$`, so these keys cannot collide with segment keys.
 */

export const CLIENT_MODULE = 'client';
export const CLIENT_EXPORTS = ['createClient', 'Client'] as const;

interface Leaf {
  readonly kind: 'topic' | 'intent';
  /** Address template or intent name. */
  readonly name: string;
  readonly doc: string | undefined;
}

interface Node {
  readonly leaves: Leaf[];
  readonly children: Map<string, Node>;
}

/** `resource-usage` → `resourceUsage`; `job.dispatch` → `job`, `dispatch`. */
export function keyParts(text: string): string[] {
  return text
    .split('.')
    .map((part) =>
      part
        .split('-')
        .filter(Boolean)
        .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
        .join(''),
    )
    .filter(Boolean);
}

/** Tree path of a topic address: literal segments only, split on `.`. */
export function topicPath(segments: IrProgram['topics'][number]['segments']): string[] {
  return segments.flatMap((s) => (s.kind === 'literal' ? keyParts(s.text) : []));
}

function newNode(): Node {
  return { leaves: [], children: new Map() };
}

function insert(root: Node, path: readonly string[], leaf: Leaf): void {
  let node = root;
  for (const k of path) {
    let next = node.children.get(k);
    if (!next) node.children.set(k, (next = newNode()));
    node = next;
  }
  node.leaves.push(leaf);
}

const leafOrder = (a: Leaf, b: Leaf) => (a.kind !== b.kind ? (a.kind === 'topic' ? -1 : 1) : cmp(a.name, b.name));

/** A resolved tree: each key holds a leaf or a branch, never both. */
export type ClientTree = Map<string, Leaf | ClientTree>;

export function resolveTree(node: Node): ClientTree {
  const out: ClientTree = new Map();
  const put = (base: string, leaves: readonly Leaf[]) => {
    [...leaves].sort(leafOrder).forEach((leaf, i) => out.set(i === 0 ? base : `${base}$${i + 1}`, leaf));
  };
  for (const k of [...node.children.keys()].sort(cmp)) {
    const child = node.children.get(k)!;
    if (child.children.size === 0) put(k, child.leaves);
    else {
      const branch = resolveTree(child);
      if (child.leaves.length > 0) {
        // The branch's own leaves sit under `$` inside it, placed first.
        const self: ClientTree = new Map();
        [...child.leaves].sort(leafOrder).forEach((leaf, i) => self.set(i === 0 ? '$' : `$$${i + 1}`, leaf));
        out.set(k, new Map([...self, ...branch]));
      } else out.set(k, branch);
    }
  }
  return out;
}

export function clientTree(ir: IrProgram): ClientTree {
  const root = newNode();
  for (const t of ir.topics) insert(root, topicPath(t.segments), { kind: 'topic', name: t.address, doc: t.doc });
  for (const i of ir.intents) insert(root, ['intents', ...keyParts(i.name)], { kind: 'intent', name: i.name, doc: i.doc });
  return resolveTree(root);
}

function render(tree: ClientTree): Syntax.Property[] {
  const out: Syntax.Property[] = [];
  for (const [k, v] of tree) {
    if (v instanceof Map) out.push(property(k, object(render(v), true)));
    else if (v.kind === 'topic') {
      out.push(property(k, expr`topicClient(bus, topics[${lit(v.name)}])`, docCommentText(v.doc ? `\`${v.name}\`\n\n${v.doc}` : `\`${v.name}\``)));
    } else {
      out.push(
        property(k, expr`intentClient(bus, intents[${lit(v.name)}])`, docCommentText(v.doc ? `Intent \`${v.name}\`\n\n${v.doc}` : `Intent \`${v.name}\``)),
      );
    }
  }
  return out;
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
  ' * Clashes: two nodes at the same path keep the key in order (topics before intents, then address',
  ' * or name); the next get `<key>$2`, `<key>$3`. A node whose path is also a branch moves into the',
  ' * branch as `$` (topic `a/b` beside `a/b.c`: `client.a.b.$` and `client.a.b.c`).',
  ' */',
].join('\n');

export function clientTs(ir: IrProgram, options: EmitOptions): string {
  const runtimeNames = [...(ir.intents.length > 0 ? ['intentClient'] : []), ...(ir.topics.length > 0 ? ['topicClient'] : []), 'type Bus'];
  const registryNames = [...(ir.intents.length > 0 ? ['intents'] : []), ...(ir.topics.length > 0 ? ['topics'] : [])];
  const imports: Syntax.Statement[] = [
    { ...importDeclaration(named(...runtimeNames), options.runtimeImport), leadingComments: [GENERATED_HEADER, CLIENT_DOC] },
  ];
  if (registryNames.length > 0) imports.push(importDeclaration(named(...registryNames), `./${REGISTRY_MODULE}.ts`));
  const tree = clientTree(ir);
  const body =
    tree.size === 0
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
