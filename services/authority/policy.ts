/**
 * An operator's grant policy: ordered rules saying which client (by the name it gives, or by the user
 * its link proved) may hold which capabilities, how large a payload and which QoS levels. The first rule
 * that matches a HELLO decides; a client no rule matches is refused. Data in, a `GrantFunction` out —
 * reading a policy file is the CLI's (cli/operator/policy-file.ts).
 */
import type { GrantRequest, QosLevel, SessionGrant } from '../../runtime/index.ts';

export interface PolicyRule {
  /** Where the rule stands (`rules[2]` of policy.yaml), named in the grant's record. */
  readonly where: string;
  /** A pattern over the client's self-given name: `*` any run of characters, `?` one; absent: any name. */
  readonly client?: string;
  /** The user the client's link authenticated as; `*`: any authenticated user; absent: any client, authenticated or not. */
  readonly user?: string;
  /** The capabilities the rule grants, of those the client asks for. */
  readonly capabilities: bigint;
  readonly maxPayload?: number;
  readonly qos?: readonly QosLevel[];
}

export interface GrantPolicy {
  readonly rules: readonly PolicyRule[];
}

/** Whether `rule` speaks of the client `hello`. */
export function ruleMatches(rule: PolicyRule, hello: GrantRequest): boolean {
  if (rule.user !== undefined && (hello.user === undefined || (rule.user !== '*' && rule.user !== hello.user))) return false;
  return rule.client === undefined || wildcardMatch(rule.client, hello.name);
}

/** The bus's grant decision (a `GrantFunction`) under `policy`: the first matching rule's grant, or a refusal when none matches. */
export function policyGrant(policy: GrantPolicy): (requested: bigint, hello: GrantRequest) => SessionGrant {
  return (requested: bigint, hello: GrantRequest): SessionGrant => {
    const rule = policy.rules.find((r) => ruleMatches(r, hello));
    if (!rule) {
      const who = `${JSON.stringify(hello.name)}${hello.user === undefined ? '' : ` (user ${JSON.stringify(hello.user)})`}`;
      return { capabilities: 0n, refused: `no rule of the policy grants anything to ${who}`, by: 'no rule matched' };
    }
    return {
      capabilities: requested & rule.capabilities,
      by: rule.where,
      ...(rule.maxPayload === undefined ? {} : { maxPayload: rule.maxPayload }),
      ...(rule.qos === undefined ? {} : { qos: rule.qos }),
    };
  };
}

/**
 * `*` (any run) and `?` (one code point) over `text`, in O(pattern × text) at worst with no
 * backtracking blow-up (a pattern from a file must not make a HELLO expensive).
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  // Code points: `?` stands for one character, never for half of a surrogate pair.
  const p = Array.from(pattern);
  const t = Array.from(text);
  let pi = 0;
  let ti = 0;
  let star = -1;
  let resume = 0;
  while (ti < t.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === t[ti]))) {
      pi++;
      ti++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      resume = ti;
    } else if (star >= 0) {
      pi = star + 1;
      ti = ++resume;
    } else return false;
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
