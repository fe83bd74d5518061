/**
 * Every diagnostic midl can report, in one place. Codes are stable: never renumber, never reuse a
 * retired code. `docs/diagnostics.md` documents each entry under the anchor `#midl` + digits, and a test
 * checks that the two agree.
 *
 * Templates use `{name}` placeholders filled from the diagnostic's arguments.
 */
export type Severity = 'error' | 'warning';

export interface CatalogEntry {
  readonly code: `MIDL${number}`;
  readonly name: string;
  readonly severity: Severity;
  readonly message: string;
  /** One sentence for the docs: when this fires and why it matters. */
  readonly description: string;
}

const entries = {
  // 10xx — characters and tokens
  unexpectedCharacter: {
    code: 'MIDL1001',
    name: 'unexpected-character',
    severity: 'error',
    message: "unexpected character '{char}'",
    description: 'The scanner met a character that starts no token of the language.',
  },
  unterminatedString: {
    code: 'MIDL1002',
    name: 'unterminated-string',
    severity: 'error',
    message: 'unterminated string literal',
    description: 'A string literal has no closing quote on its line.',
  },
  unterminatedComment: {
    code: 'MIDL1003',
    name: 'unterminated-comment',
    severity: 'error',
    message: 'unterminated block comment',
    description: 'A `/*` comment is never closed by `*/`.',
  },
  invalidEscape: {
    code: 'MIDL1004',
    name: 'invalid-escape',
    severity: 'error',
    message: "invalid escape sequence '{escape}' in string",
    description: 'Strings accept only the escapes listed in the language reference.',
  },
  singleQuotedString: {
    code: 'MIDL1006',
    name: 'single-quoted-string',
    severity: 'error',
    message: 'strings are written with double quotes',
    description: 'midl has one string syntax, "text"; \'text\' is read as a string so that nothing else is reported, but it is an error.',
  },
  nestingTooDeep: {
    code: 'MIDL1007',
    name: 'nesting-too-deep',
    severity: 'error',
    message: 'nesting is deeper than {max} levels',
    description:
      'Brackets, type suffixes and blocks may nest at most 64 levels deep; deeper input is refused before it is parsed, so no schema can exhaust the compiler.',
  },
  hashComment: {
    code: 'MIDL1008',
    name: 'hash-comment',
    severity: 'error',
    message: "'#' does not start a comment in midl; use '//'",
    description:
      'A line comment is written `// text` (or `/* text */`); `# text`, as in YAML or shell, is an error. The rest of its line is skipped, so its words are not read as code.',
  },
  invalidNumber: {
    code: 'MIDL1005',
    name: 'invalid-number',
    severity: 'error',
    message: "invalid number '{text}': {reason}",
    description: 'A number literal cannot be represented (too large, or not an integer where one is required).',
  },

  // 11xx — syntax
  expectedToken: {
    code: 'MIDL1101',
    name: 'expected-token',
    severity: 'error',
    message: 'expected {expected}, found {found}',
    description: 'The parser needed a specific token here.',
  },
  unexpectedToken: {
    code: 'MIDL1102',
    name: 'unexpected-token',
    severity: 'error',
    message: 'unexpected {found}; expected {expected}',
    description: 'The token cannot start or continue any construct at this point.',
  },
  packageFirst: {
    code: 'MIDL1103',
    name: 'package-first',
    severity: 'error',
    message: "a file must begin with 'package <name>;'",
    description: 'Every file declares its package before anything else.',
  },
  duplicateHeader: {
    code: 'MIDL1104',
    name: 'duplicate-header',
    severity: 'error',
    message: "'{keyword}' is declared more than once in this file",
    description: 'A file has one package declaration and at most one version declaration.',
  },
  misplacedHeader: {
    code: 'MIDL1105',
    name: 'misplaced-header',
    severity: 'error',
    message: "'{keyword}' must come before any declaration",
    description: 'package, version and import lines form the head of a file.',
  },
  danglingDocComment: {
    code: 'MIDL1106',
    name: 'dangling-doc-comment',
    severity: 'warning',
    message: 'doc comment is not attached to any declaration',
    description: 'A `///` comment documents the declaration right after it; this one is followed by none.',
  },

  unclosedBlock: {
    code: 'MIDL1107',
    name: 'unclosed-block',
    severity: 'error',
    message: "expected '}' to close {block}, found {found}",
    description:
      "A block (of a struct, enum, union, error set, topic or intent, or a property block such as `publish { … }`) runs into the next declaration or the end of the file without its '}'. It is reported once, right after the block's last item, and the declaration after it is checked as usual.",
  },

  // 12xx — names and imports
  duplicateName: {
    code: 'MIDL1201',
    name: 'duplicate-name',
    severity: 'error',
    message: "'{name}' is already declared",
    description: 'Two declarations of a package (or two members of one declaration) share a name.',
  },
  unknownName: {
    code: 'MIDL1202',
    name: 'unknown-name',
    severity: 'error',
    message: "unknown {what} '{name}'",
    description: 'A name refers to nothing declared or imported.',
  },
  unknownType: {
    code: 'MIDL1203',
    name: 'unknown-type',
    severity: 'error',
    message: "unknown type '{name}'",
    description: 'A type name is neither a built-in scalar nor a struct, enum or union declared or imported.',
  },
  unknownCapability: {
    code: 'MIDL1204',
    name: 'unknown-capability',
    severity: 'error',
    message: "unknown capability '{name}'",
    description: 'A topic requires a capability that no file in the program declares.',
  },
  unknownEnumMember: {
    code: 'MIDL1205',
    name: 'unknown-enum-member',
    severity: 'error',
    message: "enum '{enum}' has no member '{name}'",
    description: 'A default value names a member the enum does not have.',
  },
  importNotFound: {
    code: 'MIDL1206',
    name: 'import-not-found',
    severity: 'error',
    message: "cannot find imported file '{path}'",
    description: 'An import path, relative to the importing file, names no readable file.',
  },
  importCycle: {
    code: 'MIDL1207',
    name: 'import-cycle',
    severity: 'error',
    message: 'import cycle: {cycle}',
    description: 'Files import each other in a circle; imports must form a tree so that packages have an order.',
  },
  wrongKind: {
    code: 'MIDL1208',
    name: 'wrong-kind',
    severity: 'error',
    message: "'{name}' is {actual}, but {expected} is expected here",
    description: 'A name resolves, but to the wrong kind of declaration.',
  },
  ambiguousName: {
    code: 'MIDL1209',
    name: 'ambiguous-name',
    severity: 'error',
    message: "'{name}' is ambiguous: it is declared in {candidates}",
    description: 'A short package qualifier matches more than one imported package.',
  },
  unusedImport: {
    code: 'MIDL1210',
    name: 'unused-import',
    severity: 'warning',
    message: "import '{path}' is never used",
    description: 'Nothing from the imported file is referenced.',
  },
  importSelf: {
    code: 'MIDL1211',
    name: 'import-self',
    severity: 'error',
    message: 'a file cannot import itself',
    description: 'An import path resolves to the importing file.',
  },

  // 13xx — types, fields, constraints, defaults
  duplicateFieldNumber: {
    code: 'MIDL1301',
    name: 'duplicate-field-number',
    severity: 'error',
    message: "field number @{number} is already used by '{other}'",
    description: 'Field numbers identify fields on the wire and must be unique within a struct or union.',
  },
  reservedFieldNumber: {
    code: 'MIDL1302',
    name: 'reserved-field-number',
    severity: 'error',
    message: 'field number @{number} is reserved',
    description: 'A retired field number can never be reused: old messages would be misread.',
  },
  fieldNumberRange: {
    code: 'MIDL1303',
    name: 'field-number-range',
    severity: 'error',
    message: 'field number @{number} is out of range (1 to {max})',
    description: 'Field numbers are positive and fit in 29 bits, as in protobuf.',
  },
  defaultTypeMismatch: {
    code: 'MIDL1304',
    name: 'default-type-mismatch',
    severity: 'error',
    message: "default {value} does not fit type '{type}'",
    description: 'A default value must type-check against its field.',
  },
  constraintNotApplicable: {
    code: 'MIDL1305',
    name: 'constraint-not-applicable',
    severity: 'error',
    message: "constraint '{constraint}' does not apply to type '{type}'",
    description: 'Each constraint applies to some types only (numbers, strings, arrays…).',
  },
  minGreaterThanMax: {
    code: 'MIDL1306',
    name: 'min-greater-than-max',
    severity: 'error',
    message: "'{min}' ({minValue}) is greater than '{max}' ({maxValue})",
    description: 'A lower bound above its upper bound admits no value.',
  },
  invalidRegex: {
    code: 'MIDL1307',
    name: 'invalid-regex',
    severity: 'error',
    message: 'invalid pattern: {reason}',
    description: 'A `pattern` constraint must be a valid regular expression (ECMAScript syntax with the `u` flag).',
  },
  unknownConstraint: {
    code: 'MIDL1308',
    name: 'unknown-constraint',
    severity: 'error',
    message: "unknown constraint '{name}'",
    description: 'Only min, max, minLength, maxLength, minItems, maxItems, pattern, format and example exist.',
  },
  duplicateConstraint: {
    code: 'MIDL1309',
    name: 'duplicate-constraint',
    severity: 'error',
    message: "constraint '{name}' is given twice",
    description: 'Each constraint may appear once per field.',
  },
  invalidMapKey: {
    code: 'MIDL1310',
    name: 'invalid-map-key',
    severity: 'error',
    message: "map key type '{type}' is not allowed; use string or an integer type",
    description: 'Map keys must be strings or integers so that every codec can represent them.',
  },
  duplicateEnumValue: {
    code: 'MIDL1311',
    name: 'duplicate-enum-value',
    severity: 'error',
    message: "value {value} is already used by '{other}'",
    description: 'Enum members, and error codes in an error set, need distinct numbers.',
  },
  constraintValueType: {
    code: 'MIDL1312',
    name: 'constraint-value-type',
    severity: 'error',
    message: "constraint '{name}' needs {expected}, found {found}",
    description: 'A constraint argument has the wrong kind of value.',
  },
  unknownFormat: {
    code: 'MIDL1313',
    name: 'unknown-format',
    severity: 'error',
    message: "unknown format '{format}'",
    description: 'The `format` constraint accepts the JSON Schema formats listed in the language reference.',
  },
  defaultViolatesConstraint: {
    code: 'MIDL1314',
    name: 'default-violates-constraint',
    severity: 'error',
    message: 'default {value} violates {constraint}',
    description: 'A default must satisfy the constraints of its own field.',
  },
  nestedOptional: {
    code: 'MIDL1315',
    name: 'nested-optional',
    severity: 'error',
    message: 'optional is only allowed on a whole field type, not {where}',
    description: '`?` marks a field (or union arm) as possibly absent; array elements and map values cannot be absent.',
  },
  infiniteStruct: {
    code: 'MIDL1316',
    name: 'infinite-struct',
    severity: 'error',
    message: "struct '{name}' contains itself through required fields: {path}",
    description: 'A value of such a type could never be finished; make one field on the path optional or an array.',
  },
  valueOutOfRange: {
    code: 'MIDL1317',
    name: 'value-out-of-range',
    severity: 'error',
    message: '{what} {value} is out of range ({range})',
    description: 'A number does not fit where it is used.',
  },
  emptyDeclaration: {
    code: 'MIDL1318',
    name: 'empty-declaration',
    severity: 'error',
    message: "{kind} '{name}' has no members",
    description: 'Enums, unions and error sets need at least one member.',
  },
  noValidExample: {
    code: 'MIDL1319',
    name: 'no-valid-example',
    severity: 'error',
    message: "field '{field}' has no valid example: {reason}",
    description:
      "Generated `example()` values, JSON Schema `examples` and the examples given to LLM hosts must validate. Where no sample can be derived from a string field's constraints (a `pattern` with a `format`, or lengths no sample fits), the field needs an explicit `example`, and an explicit one must satisfy the constraints.",
  },

  // 14xx — topics and intents
  invalidAddress: {
    code: 'MIDL1401',
    name: 'invalid-address',
    severity: 'error',
    message: "invalid topic address '{address}': {reason}",
    description: 'Addresses are `/`-separated segments of [a-z0-9._-] or `{param}` placeholders.',
  },
  duplicateParam: {
    code: 'MIDL1402',
    name: 'duplicate-param',
    severity: 'error',
    message: "parameter '{{name}}' appears more than once in the address",
    description: 'Each `{param}` binds one value per message, so it may appear once.',
  },
  notAStruct: {
    code: 'MIDL1403',
    name: 'not-a-struct',
    severity: 'error',
    message: '{property} type must be a struct, found {found}',
    description: 'Payloads, replies and intent bodies are structs, so they can evolve by adding fields.',
  },
  unknownProperty: {
    code: 'MIDL1404',
    name: 'unknown-property',
    severity: 'error',
    message: "unknown {kind} property '{name}'",
    description: 'A topic or intent block contains a property the language does not define.',
  },
  missingProperty: {
    code: 'MIDL1405',
    name: 'missing-property',
    severity: 'error',
    message: "{kind} '{name}' is missing '{property}'",
    description: 'A required property of a topic or intent is absent.',
  },
  duplicateProperty: {
    code: 'MIDL1406',
    name: 'duplicate-property',
    severity: 'error',
    message: "property '{name}' is given twice",
    description: 'Each property of a topic or intent may be set once.',
  },
  invalidPropertyValue: {
    code: 'MIDL1407',
    name: 'invalid-property-value',
    severity: 'error',
    message: "invalid value for '{property}': expected {expected}, found {found}",
    description: 'A property has a value of the wrong form.',
  },
  unknownUnit: {
    code: 'MIDL1408',
    name: 'unknown-unit',
    severity: 'error',
    message: "unknown unit '{unit}' for {what}",
    description: 'Durations take us, ms or s; sizes take B, KiB, MiB or GiB.',
  },
  duplicateTopic: {
    code: 'MIDL1409',
    name: 'duplicate-topic',
    severity: 'error',
    message: "topic '{address}' is already declared",
    description: 'Two topics have the same address (parameters compared by position).',
  },
  toolNameCollision: {
    code: 'MIDL1410',
    name: 'tool-name-collision',
    severity: 'error',
    message: "LLM tool name '{tool}' of {a} collides with {b}",
    description: 'Topic and intent names are mangled to `^[a-zA-Z0-9_-]{1,64}$` for LLM tool lists; two map to the same name.',
  },
  invalidHttp: {
    code: 'MIDL1411',
    name: 'invalid-http',
    severity: 'error',
    message: 'invalid http mapping: {reason}',
    description: 'An intent maps to `METHOD "/path"` with a standard method and a path whose `{params}` are fields of the body.',
  },
  duplicateIntent: {
    code: 'MIDL1412',
    name: 'duplicate-intent',
    severity: 'error',
    message: "intent '{name}' is already declared",
    description: 'Intent names are unique across the program.',
  },
  topicIdCollision: {
    code: 'MIDL1413',
    name: 'topic-id-collision',
    severity: 'error',
    message: "topic '{a}' and topic '{b}' hash to the same id {id}",
    description: 'Topic ids are derived from addresses; a collision must be resolved by renaming one topic.',
  },
  clientPathCollision: {
    code: 'MIDL1414',
    name: 'client-path-collision',
    severity: 'error',
    message: '{a} and {b} have the same client path {path}',
    description:
      'A topic or intent has the member path in the generated client that its own address or name gives (docs/generated-code.md); two with the same path would make one move, so the later is refused.',
  },
  invalidMultipart: {
    code: 'MIDL1415',
    name: 'invalid-multipart',
    severity: 'error',
    message: 'invalid multipart mapping: {reason}',
    description:
      'An intent sent as multipart/form-data names body fields and the file part each becomes: `multipart: openapi "openapi_file";`. Each is a body field that is not a path or query parameter, of a POST, PUT or PATCH.',
  },

  // 15xx — capabilities
  capabilityBitCollision: {
    code: 'MIDL1501',
    name: 'capability-bit-collision',
    severity: 'error',
    message: "capability '{name}' uses bit {bit}, already taken by '{other}'",
    description: 'Each capability owns one bit of the session capability mask.',
  },
  capabilityBitRange: {
    code: 'MIDL1502',
    name: 'capability-bit-range',
    severity: 'error',
    message: 'capability bit {bit} is beyond the mask width ({width} bits: 0 to {max})',
    description: 'Capability masks are 64 bits wide.',
  },
  tooManyCapabilities: {
    code: 'MIDL1503',
    name: 'too-many-capabilities',
    severity: 'error',
    message: "no free bit is left for capability '{name}' ({width} bits in the mask)",
    description: 'More capabilities are declared than the mask has bits.',
  },

  // 16xx — versions and packages
  invalidVersion: {
    code: 'MIDL1601',
    name: 'invalid-version',
    severity: 'error',
    message: "version '{version}' is not semver (MAJOR.MINOR.PATCH)",
    description: 'Schema versions follow Semantic Versioning 2.0.0 so that tools can compare them.',
  },
  missingVersion: {
    code: 'MIDL1602',
    name: 'missing-version',
    severity: 'warning',
    message: "package '{package}' declares no version",
    description: 'Versions travel in every envelope; without one the schema version is 0.0.0.',
  },
  conflictingVersion: {
    code: 'MIDL1603',
    name: 'conflicting-version',
    severity: 'error',
    message: "package '{package}' is version {version} here but {other} in {otherFile}",
    description: 'All files of one package must declare the same version.',
  },

  // 17xx — error sets
  errorCodeRange: {
    code: 'MIDL1701',
    name: 'error-code-range',
    severity: 'error',
    message: 'error code {value} is out of range (1 to 65535)',
    description: 'Error codes travel as 16-bit numbers; 0 means success.',
  },

  // 19xx — inputs and configuration
  unreadableInput: {
    code: 'MIDL1901',
    name: 'unreadable-input',
    severity: 'error',
    message: "cannot read '{path}': {reason}",
    description: 'An input file named on the command line or in midl.yaml cannot be read.',
  },
  invalidConfig: {
    code: 'MIDL1902',
    name: 'invalid-config',
    severity: 'error',
    message: 'invalid midl.yaml: {reason}',
    description: 'midl.yaml is not valid YAML or does not match the documented shape.',
  },
  noInputs: {
    code: 'MIDL1903',
    name: 'no-inputs',
    severity: 'error',
    message: 'no .midl files found in {where}',
    description: 'The inputs named on the command line or in midl.yaml hold no schema files.',
  },
  invalidPolicy: {
    code: 'MIDL1904',
    name: 'invalid-policy',
    severity: 'error',
    message: 'invalid policy: {reason}',
    description: 'A grant policy file (`midl peer --policy`) is not valid YAML or does not match the documented shape.',
  },
  policyUnknownCapability: {
    code: 'MIDL1905',
    name: 'policy-unknown-capability',
    severity: 'error',
    message: "unknown capability '{name}' in the policy",
    description: 'A rule of a grant policy names a capability the schema the peer serves does not declare.',
  },
  exposedSecretFile: {
    code: 'MIDL1906',
    name: 'exposed-secret-file',
    severity: 'error',
    message: "'{path}' holds secrets but {who} may read it (mode {mode})",
    description: 'A file of passwords or keys (`--users`, `--password-file`) is readable by users other than its owner.',
  },
  invalidBridgePolicy: {
    code: 'MIDL1907',
    name: 'invalid-bridge-policy',
    severity: 'error',
    message: 'invalid bridge policy: {reason}',
    description: 'A Flex bridge policy file (`midl bridge --policy`) is not valid YAML or does not match the documented shape.',
  },
  bridgePolicyUnknownName: {
    code: 'MIDL1908',
    name: 'bridge-policy-unknown-name',
    severity: 'error',
    message: "unknown {what} '{name}' in the bridge policy",
    description: 'A bridge policy names a service or an intent that no intent the bridge serves has.',
  },
  bridgePolicyDuplicate: {
    code: 'MIDL1909',
    name: 'bridge-policy-duplicate',
    severity: 'error',
    message: '{what} is defined twice in the bridge policy',
    description: 'Two files of a bridge policy directory define the same setting, service or device.',
  },
} as const satisfies Record<string, CatalogEntry>;

export type DiagnosticId = keyof typeof entries;
export const catalog: { readonly [K in DiagnosticId]: CatalogEntry } = entries;

export function allEntries(): CatalogEntry[] {
  return Object.values(catalog).sort((a, b) => a.code.localeCompare(b.code));
}
