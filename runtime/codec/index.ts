/**
 * Public surface of the payload codec (docs/wire.md § Payload, docs/generated-code.md).
 *
 * Application code uses the generated codecs (`N.encode`, `N.decode`, `N.toJSON`, `N.fromJSON`,
 * `N.validate`), the errors they throw, and the decode limits. The rest is what generated code calls:
 * the `Writer` and `Reader`, the JSON-form and validation helpers, and what the generated ajv
 * validators need at run time (`validatorSupport`, and `ValidatorError` for their declarations).
 */
export type { Codec, EnumCodec, JsonSchema, JsonValue, MessageCodec, ValidationIssue, ValidationResult } from './codec.ts';
export { DecodeError, JsonDecodeError } from './errors.ts';
export { Reader, decodeLimits, setDecodeLimits, type DecodeLimits } from './reader.ts';
export { findJsonProblem, parseJsonStrict, PROTO_KEY, type JsonProblem, type JsonProblemKind } from './strict-json.ts';
export { Writer, acquireWriter, releaseWriter } from './writer.ts';
export { decodeBase64, encodeBase64 } from './base64.ts';
export {
  compareMapKeys,
  fromJsonAny,
  fromJsonArray,
  fromJsonBigInt,
  fromJsonBigIntKey,
  fromJsonBool,
  fromJsonBytes,
  fromJsonDuration,
  fromJsonF32,
  fromJsonFloat,
  fromJsonInt,
  fromJsonIntKey,
  fromJsonList,
  fromJsonMap,
  fromJsonObject,
  fromJsonRoot,
  fromJsonString,
  fromJsonTimestamp,
  fromJsonUuid,
  jsonPointer,
  setJsonKey,
  shortestF32,
  stringifySorted,
  toJsonBytes,
  toJsonF32,
  toJsonFloat,
  toJsonMap,
  toJsonTimestamp,
  unknownJsonKey,
} from './json.ts';
export { UUID_PATTERN, VALID, codePointLength, isJsonValue, matchesFormat, validateRoot, validationResult } from './validate.ts';
export { validatorSupport, type FormatDefinition, type FormatTable, type ValidatorError, type ValidatorSupport } from './validator-support.ts';
