/**
 * What a bus node's name may be: it is the `peer` of every telemetry report the node publishes (idl/telemetry
 * says how many characters) and travels in HELLO/WELCOME (at most MAX_NAME_BYTES of UTF-8). A name outside
 * either made every report fail validation, or every handshake throw, for the life of the node.
 */
import { codePointLength } from '../codec/index.ts';
import { MAX_NAME_BYTES } from '../lanes/control.ts';
import { JitterReportSchema } from '../protocol/schemas/fountain.telemetry.ts';
import { BusError } from './errors.ts';

const { minLength, maxLength } = JitterReportSchema.properties.peer;

/** Throws `invalid-option`, saying the constraint, unless `name` can be a node's name. */
export function assertNodeName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new BusError('invalid-option', `a bus node's name must be a string, got ${typeof name}`);
  const characters = codePointLength(name);
  if (characters < minLength || characters > maxLength)
    throw new BusError(
      'invalid-option',
      `a bus node's name must have ${minLength} to ${maxLength} characters (the peer of its telemetry); it has ${characters}`,
    );
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > MAX_NAME_BYTES)
    throw new BusError('invalid-option', `a bus node's name must be at most ${MAX_NAME_BYTES} bytes of UTF-8 (HELLO/WELCOME); it has ${bytes}`);
}
