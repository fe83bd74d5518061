/** Why publishing, pulling or checking against the registry stopped: a code to branch on, what and where, and what to do. */
export const RegistryErrorCode = {
  /** A package@version is published with other content than the local one (FountainAI's drifted copies). */
  Drift: 'drift',
  /** The store lacks a document the command needs (a schema, the facts, a program). */
  Missing: 'missing',
  /** The store's document differs from what the local schema gives. */
  Mismatch: 'mismatch',
  /** A stored document does not have the shape midl writes (a hostile or damaged store). */
  Corrupt: 'corrupt',
  /** A stored file name that would write outside the output directory. */
  UnsafePath: 'unsafe-path',
  /** The names on the command line select nothing in the store. */
  NotFound: 'not-found',
  /** midl.lock does not pin the capability bits and topic ids a program would be published with. */
  StaleLock: 'stale-lock',
  /** A program, file or topic name that no store id can hold. */
  InvalidName: 'invalid-name',
} as const;
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    /** One line telling the operator what to do, printed as `help:`. */
    readonly help?: string,
  ) {
    super(message);
  }
}
