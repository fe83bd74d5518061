/** Process exit codes shared by every midl command. */
export const ExitCode = {
  /** Nothing wrong was found. */
  Ok: 0,
  /** The command ran and found errors (diagnostics, stale files, undelivered messages). */
  Failure: 1,
  /** Bad usage or unreadable input: the command could not do its job. */
  Usage: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Thrown by a command for bad arguments or unreadable input; main() prints it and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** A catalog code (MIDL19xx) when the problem is one users look up, e.g. an invalid midl.yaml. */
  constructor(
    message: string,
    readonly code?: string,
    /** The message is already rendered diagnostics (code frames, `help:`), printed as it is. */
    readonly rendered = false,
  ) {
    super(message);
  }
}

/** A command's action reports its exit code through this callback. */
export type SetExitCode = (code: ExitCode) => void;
