import type { AddressSegment } from '../ir/ir.ts';

/**
 * Where a topic or intent lives in the generated client tree (`createClient(bus)`). A member's path is a
 * function of its own address or name alone, so adding a topic or intent never moves or renames an
 * existing member:
 *
 *   - a topic's path is its literal address segments split on `/` and `.`, each part in camelCase
 *     (`resource-usage` → `resourceUsage`); parameter segments are left out (their values are arguments);
 *   - an intent's path is `intents` followed by its name split on `.`;
 *   - a topic's operations (`publish`, …) sit on its own node, and the nodes of longer addresses hang on
 *     the same node beside them; a part that is one of `RESERVED_CLIENT_KEYS` gets a `$` appended
 *     (`publish` → `publish$`), always, so a child can never shadow an operation whichever topics exist;
 *     a topic's first part `intents` is escaped the same way, keeping the intent tree apart.
 *
 * Two topics or intents with the same path are refused by the checker (`client-path-collision`): the
 * member declared first keeps its path, and the schema author renames the new one.
 */

/**
 * Member names of the runtime's topic and intent clients (`runtime/bus/client.ts`), `then` (a node
 * holding it would be awaited as a promise), and what a function node (an intent) cannot take as an own
 * property or would lose: a segment part with one of these names gets a `$` appended. Growing this list
 * moves existing members, so a new client operation needs a name outside the segment alphabet or a
 * deliberate break.
 */
export const RESERVED_CLIENT_KEYS: ReadonlySet<string> = new Set([
  'topic',
  'intent',
  'publish',
  'subscribe',
  'request',
  'serve',
  'then',
  '__proto__',
  'constructor',
  'prototype',
  'name',
  'length',
  'caller',
  'arguments',
  'call',
  'apply',
  'bind',
]);

/** The key under which the intent tree hangs off the client root. */
export const INTENTS_KEY = 'intents';

/** `resource-usage` → `resourceUsage`; `job.dispatch` → `job`, `dispatch`; `publish` → `publish$`. */
export function clientKeys(text: string): string[] {
  return text
    .split('.')
    .map((part) =>
      part
        .split('-')
        .filter(Boolean)
        .map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1)))
        .join(''),
    )
    .filter(Boolean)
    .map((key) => (RESERVED_CLIENT_KEYS.has(key) ? `${key}$` : key));
}

/** Client path of a topic: its literal segments' keys; a leading `intents` becomes `intents$`. */
export function topicClientPath(segments: readonly AddressSegment[]): string[] {
  const path = segments.flatMap((s) => (s.kind === 'literal' ? clientKeys(s.text) : []));
  if (path[0] === INTENTS_KEY) path[0] = `${INTENTS_KEY}$`;
  return path;
}

/** Client path of an intent: `intents`, then its name's keys. */
export function intentClientPath(name: string): string[] {
  return [INTENTS_KEY, ...clientKeys(name)];
}

/** `client.gpu.job.dispatch`, `client.a['3d']`: how a user writes the path. */
export function clientPathText(path: readonly string[]): string {
  return ['client', ...path].map((k, i) => (i === 0 ? k : /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `['${k}']`)).join('');
}
