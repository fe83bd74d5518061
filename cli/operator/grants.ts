/**
 * What an authority command (`midl peer`, `midl gpu serve`) grants its clients: `--grant CAPS` (the same
 * capabilities for everyone), `--policy FILE` (rules by user and client name, policy-file.ts), or, with
 * neither, whatever a client asks for.
 */
import type { GrantFunction } from '../../runtime/index.ts';
import { policyGrant } from '../../services/index.ts';
import { UsageError } from '../exit.ts';
import { PolicyError, readPolicyFile } from './policy-file.ts';
import { capabilityMask } from './topics.ts';

export interface GrantFlags {
  readonly grant?: string;
  readonly policy?: string;
}

/** The grant decision the flags ask for (undefined: grant what is asked); UsageError for a bad list or policy file. */
export function grantFromFlags(o: GrantFlags, capabilities: Readonly<Record<string, { readonly mask: bigint }>>): GrantFunction | undefined {
  if (o.grant !== undefined && o.policy !== undefined)
    throw new UsageError('give --grant or --policy, not both: a policy rule can grant the same to every client (`- capabilities: [...]`)');
  if (o.grant !== undefined) {
    const mask = capabilityMask(capabilities, o.grant);
    return (requested) => ({ capabilities: requested & mask, by: '--grant' });
  }
  if (o.policy === undefined) return undefined;
  try {
    return policyGrant(readPolicyFile(o.policy, capabilities));
  } catch (err) {
    if (err instanceof PolicyError) throw new UsageError(err.message, undefined, true);
    throw new UsageError(`--policy ${o.policy}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
