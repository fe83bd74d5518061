import type { CapabilitySymbol } from '../binder/binder.ts';
import { CAPABILITY_MASK_WIDTH, type IrCapability } from '../ir/ir.ts';
import type { CheckContext } from './context.ts';

/**
 * Assigns each capability its mask bit: bits written in the schema first, then bits pinned in
 * midl.lock, then the lowest free bits in name order, so that existing bits never move.
 */
export function assignCapabilityBits(ctx: CheckContext, caps: readonly CapabilitySymbol[], locked: ReadonlyMap<string, number>): IrCapability[] {
  const owner = new Map<number, string>();
  const out: IrCapability[] = [];
  const pending: CapabilitySymbol[] = [];
  const max = CAPABILITY_MASK_WIDTH - 1;
  // Bits of capabilities that were removed stay taken: a peer holding an old mask must not gain a new right.
  const declared = new Set(caps.map((c) => c.decl.name.text));
  for (const [name, bit] of locked) if (!declared.has(name)) owner.set(bit, `${name} (retired, pinned in midl.lock)`);
  // Explicit bits in source order (files in load order), so a collision is blamed on the later line.
  const collisions: { cap: CapabilitySymbol; bit: number; other: string }[] = [];
  for (const cap of caps) {
    const name = cap.decl.name.text;
    const lit = cap.decl.bit;
    if (!lit) {
      pending.push(cap);
      continue;
    }
    if (lit.kind !== 'number' || lit.integer === null) continue;
    if (lit.integer < 0n || lit.integer > BigInt(max)) {
      ctx.diagnostics.add('capabilityBitRange', { bit: lit.text, width: CAPABILITY_MASK_WIDTH, max }, lit.span, { help: `choose a bit from 0 to ${max}` });
      continue;
    }
    const bit = Number(lit.integer);
    const prior = owner.get(bit);
    if (prior !== undefined) {
      collisions.push({ cap, bit, other: prior });
      continue;
    }
    owner.set(bit, name);
    out.push(irCap(ctx, cap, bit, 'declared'));
  }
  // Suggest a bit only once every explicit bit is known, so the hint is really free.
  for (const { cap, bit, other } of collisions) {
    const free = firstFree(owner, max);
    ctx.diagnostics.add('capabilityBitCollision', { name: cap.decl.name.text, bit, other }, cap.decl.bit!.span, {
      help: free === undefined ? 'no bit is free; remove a capability' : `bit ${free} is free`,
    });
  }
  pending.sort((a, b) => cmp(a.decl.name.text, b.decl.name.text));
  const unlocked: CapabilitySymbol[] = [];
  for (const cap of pending) {
    const bit = locked.get(cap.decl.name.text);
    if (bit !== undefined && bit >= 0 && bit <= max && !owner.has(bit)) {
      owner.set(bit, cap.decl.name.text);
      out.push(irCap(ctx, cap, bit, 'lock'));
    } else unlocked.push(cap);
  }
  for (const cap of unlocked) {
    const bit = firstFree(owner, max);
    if (bit === undefined) {
      ctx.diagnostics.add('tooManyCapabilities', { name: cap.decl.name.text, width: CAPABILITY_MASK_WIDTH }, cap.decl.name.span, {
        help: 'merge related capabilities, or split the backplane into separate schemas',
      });
      continue;
    }
    owner.set(bit, cap.decl.name.text);
    out.push(irCap(ctx, cap, bit, 'assigned'));
  }
  return out.sort((a, b) => a.bit - b.bit);
}

function irCap(ctx: CheckContext, cap: CapabilitySymbol, bit: number, bitSource: IrCapability['bitSource']): IrCapability {
  return { name: cap.decl.name.text, bit, bitSource, ...(cap.decl.doc ? { doc: cap.decl.doc } : {}), source: ctx.source(cap.decl.span) };
}

function firstFree(owner: ReadonlyMap<number, string>, max: number): number | undefined {
  for (let b = 0; b <= max; b++) if (!owner.has(b)) return b;
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
