/**
 * Small schemas shared by the CLI and front-end tests: each is a realistic file with a known set of
 * problems (or none).
 */

export const VALID = `/// Transport of the studio recorder.
package studio.transport;
version "2.0.1";

/// Move the play head.
struct Locate {
  /// Target position in samples.
  sample: u64 @1;
  play: bool @2 = false;
}

topic transport/locate {
  payload: Locate;
  qos: at_least_once;
}
`;

/** Valid except that it declares no version: one MIDL1602 warning. */
export const WARNING_ONLY = VALID.replace('version "2.0.1";\n', '');

/** One error: MIDL1203 unknown type 'Bool' at 9:9. */
export const ONE_ERROR = VALID.replace('play: bool @2', 'play: Bool @2');

/** The same declarations as VALID, laid out badly (but without syntax errors). */
export const UNFORMATTED = `/// Transport of the studio recorder.
package   studio.transport ;  version "2.0.1";
/// Move the play head.
struct Locate { /// Target position in samples.
  sample :u64@1;
      play: bool @2 = false;   // stays stopped
}
topic transport/locate { payload: Locate; qos: at_least_once; }
`;

/** A syntax error (missing ';' after @1). */
export const SYNTAX_ERROR = VALID.replace('sample: u64 @1;', 'sample: u64 @1');
