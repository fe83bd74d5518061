import type { CstNode, IOrAlt, IParserErrorMessageProvider, IToken, TokenType } from 'chevrotain';
import { CstParser, EOF } from '../lexer/chevrotain.ts';
import * as T from '../lexer/tokens.ts';

const describe = (t: TokenType): string => (typeof t.LABEL === 'string' ? t.LABEL : t.name);

/** Messages without Chevrotain's arrows; the diagnostic layer adds code and position. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected }) => describe(expected),
  buildNotAllInputParsedMessage: () => 'a declaration',
  buildNoViableAltMessage: ({ expectedPathsPerAlt }) =>
    alternatives(
      expectedPathsPerAlt
        .flat()
        .map((p) => p[0])
        .filter((t): t is TokenType => !!t),
    ),
  buildEarlyExitMessage: ({ expectedIterationPaths }) => alternatives(expectedIterationPaths.map((p) => p[0]).filter((t): t is TokenType => !!t)),
};

function alternatives(tokens: TokenType[]): string {
  const names = [...new Set(tokens.map(describe))];
  if (names.length <= 1) return names[0] ?? 'something else';
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** Keywords that begin a top-level declaration. */
const DECLARATION_STARTS: ReadonlySet<TokenType> = new Set([
  T.Package,
  T.Version,
  T.Import,
  T.Capability,
  T.Struct,
  T.Enum,
  T.Union,
  T.Errors,
  T.Topic,
  T.Intent,
]);
/** What follows a keyword used as a member name: a field (`:`, `?:`), an enum member (`=`) or a property block (`{`). */
const MEMBER_CONTINUATIONS: ReadonlySet<TokenType> = new Set([T.Colon, T.Question, T.Equals, T.LCurly]);
/** The third token of a declaration (`struct A {`, `capability a;`, `intent a.b {`, `capability a = 3;`); a field missing its colon has a type and '@' there. */
const DECLARATION_THIRDS: ReadonlySet<TokenType> = new Set([T.LCurly, T.Semi, T.Dot, T.Equals]);

/**
 * Concrete syntax of .midl. Deliberately permissive where the checker can say more: headers may appear
 * anywhere at top level (the checker reports misplaced ones), and topic/intent properties are generic
 * `name: values;` or `name { … }` entries validated by the checker.
 */
class MidlParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider: messages, nodeLocationTracking: 'onlyOffset' });
    this.performSelfAnalysis();
  }

  private readonly altCache: IOrAlt<unknown>[][] = [];

  /**
   * Alternatives built once per parser instead of on every rule call: closures in object literals are
   * costly to create per token (and tsx wraps each one to keep its name), which made parsing 10× slower.
   */
  private alternatives(slot: number, build: () => IOrAlt<unknown>[]): IOrAlt<unknown>[] {
    return (this.altCache[slot] ??= build());
  }

  /**
   * Whether the next tokens continue the current block rather than begin a top-level declaration
   * (`struct Name {`, `topic a/b {`, `version "…";`). A keyword used as a member name (`errors: E;`,
   * `topic = 1;`, `publish { … }`) still continues it. Blocks stop at a declaration, so a missing '}' is
   * one error where the block should have closed, and what follows is parsed as itself.
   */
  private readonly insideBlock = (): boolean =>
    !DECLARATION_STARTS.has(this.LA(1).tokenType) || MEMBER_CONTINUATIONS.has(this.LA(2).tokenType) || !DECLARATION_THIRDS.has(this.LA(3).tokenType);

  file = this.RULE('file', () => {
    this.MANY(() => this.OR(this.alternatives(10, () => [{ ALT: () => this.SUBRULE(this.topLevel) }, { ALT: () => this.SUBRULE(this.strayCloser) }])));
  });

  /**
   * A '}' where a declaration should begin, kept in the tree and reported from there: left to Chevrotain's
   * recovery, each one nests a level of recursion, and a few thousand overflow the stack.
   */
  strayCloser = this.RULE('strayCloser', () => {
    this.CONSUME(T.RCurly);
  });

  topLevel = this.RULE('topLevel', () => {
    this.OR(
      this.alternatives(0, () => [
        { ALT: () => this.SUBRULE(this.packageDecl) },
        { ALT: () => this.SUBRULE(this.versionDecl) },
        { ALT: () => this.SUBRULE(this.importDecl) },
        { ALT: () => this.SUBRULE(this.capabilityDecl) },
        { ALT: () => this.SUBRULE(this.structDecl) },
        { ALT: () => this.SUBRULE(this.enumDecl) },
        { ALT: () => this.SUBRULE(this.unionDecl) },
        { ALT: () => this.SUBRULE(this.errorsDecl) },
        { ALT: () => this.SUBRULE(this.topicDecl) },
        { ALT: () => this.SUBRULE(this.intentDecl) },
      ]),
    );
  });

  packageDecl = this.RULE('packageDecl', () => {
    this.CONSUME(T.Package);
    this.SUBRULE(this.qualifiedName);
    this.CONSUME(T.Semi);
  });

  versionDecl = this.RULE('versionDecl', () => {
    this.CONSUME(T.Version);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.Semi);
  });

  importDecl = this.RULE('importDecl', () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringLiteral);
    this.CONSUME(T.Semi);
  });

  capabilityDecl = this.RULE('capabilityDecl', () => {
    this.CONSUME(T.Capability);
    this.SUBRULE(this.qualifiedName);
    this.OPTION(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.integer);
    });
    this.CONSUME(T.Semi);
  });

  structDecl = this.RULE('structDecl', () => {
    this.CONSUME(T.Struct);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.insideBlock, DEF: () => this.SUBRULE(this.member) });
    this.CONSUME(T.RCurly);
  });

  unionDecl = this.RULE('unionDecl', () => {
    this.CONSUME(T.Union);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.insideBlock, DEF: () => this.SUBRULE(this.member) });
    this.CONSUME(T.RCurly);
  });

  member = this.RULE('member', () => {
    this.OR(
      this.alternatives(1, () => [
        { GATE: () => this.LA(2).tokenType === T.At, ALT: () => this.SUBRULE(this.reservedDecl) },
        { ALT: () => this.SUBRULE(this.field) },
      ]),
    );
  });

  reservedDecl = this.RULE('reservedDecl', () => {
    this.CONSUME(T.Reserved);
    this.AT_LEAST_ONE_SEP({
      SEP: T.Comma,
      DEF: () => {
        this.CONSUME(T.At);
        this.SUBRULE(this.integer);
      },
    });
    this.CONSUME(T.Semi);
  });

  field = this.RULE('field', () => {
    this.CONSUME(T.Name);
    this.OPTION(() => this.CONSUME(T.Question));
    this.CONSUME(T.Colon);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(T.At);
    this.SUBRULE(this.integer);
    this.OPTION2(() => this.SUBRULE(this.constraints));
    this.OPTION3(() => {
      this.CONSUME(T.Equals);
      this.SUBRULE(this.literal);
    });
    this.CONSUME(T.Semi);
  });

  typeExpr = this.RULE('typeExpr', () => {
    this.OR(
      this.alternatives(2, () => [
        { GATE: () => this.LA(2).tokenType === T.Less, ALT: () => this.SUBRULE(this.mapType) },
        { ALT: () => this.SUBRULE(this.qualifiedName) },
      ]),
    );
    // `?` may appear between brackets only so that the checker can explain why `u8?[]` is wrong.
    this.MANY(() => {
      this.OR2(
        this.alternatives(3, () => [
          {
            ALT: () => {
              this.CONSUME(T.LSquare);
              this.CONSUME(T.RSquare);
            },
          },
          { ALT: () => this.CONSUME(T.Question) },
        ]),
      );
    });
  });

  mapType = this.RULE('mapType', () => {
    this.CONSUME(T.Map);
    this.CONSUME(T.Less);
    this.SUBRULE(this.typeExpr);
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.typeExpr);
    this.CONSUME(T.Greater);
  });

  constraints = this.RULE('constraints', () => {
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.constraint) });
    this.CONSUME(T.RParen);
  });

  constraint = this.RULE('constraint', () => {
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.literal);
  });

  literal = this.RULE('literal', () => {
    this.OR(
      this.alternatives(4, () => [
        { ALT: () => this.SUBRULE(this.scalarLiteral) },
        { ALT: () => this.SUBRULE(this.qualifiedName) },
        { ALT: () => this.SUBRULE(this.listLiteral) },
      ]),
    );
  });

  /** A one-token literal: strings, numbers, quantities, booleans (shared by defaults and property values). */
  scalarLiteral = this.RULE('scalarLiteral', () => {
    this.OR(
      this.alternatives(9, () => [
        { ALT: () => this.CONSUME(T.StringLiteral) },
        { ALT: () => this.CONSUME(T.NumberLiteral) },
        { ALT: () => this.CONSUME(T.ExpNumber) },
        { ALT: () => this.CONSUME(T.HexNumber) },
        { ALT: () => this.CONSUME(T.Quantity) },
        { ALT: () => this.CONSUME(T.True) },
        { ALT: () => this.CONSUME(T.False) },
      ]),
    );
  });

  listLiteral = this.RULE('listLiteral', () => {
    this.CONSUME(T.LSquare);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.literal) });
    this.CONSUME(T.RSquare);
  });

  integer = this.RULE('integer', () => {
    this.OR(this.alternatives(5, () => [{ ALT: () => this.CONSUME(T.NumberLiteral) }, { ALT: () => this.CONSUME(T.HexNumber) }]));
  });

  enumDecl = this.RULE('enumDecl', () => {
    this.CONSUME(T.Enum);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.insideBlock, DEF: () => this.SUBRULE(this.enumMember) });
    this.CONSUME(T.RCurly);
  });

  enumMember = this.RULE('enumMember', () => {
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.integer);
    this.CONSUME(T.Semi);
  });

  errorsDecl = this.RULE('errorsDecl', () => {
    this.CONSUME(T.Errors);
    this.CONSUME(T.Name);
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.insideBlock, DEF: () => this.SUBRULE(this.errorMember) });
    this.CONSUME(T.RCurly);
  });

  errorMember = this.RULE('errorMember', () => {
    this.CONSUME(T.Name);
    this.CONSUME(T.Equals);
    this.SUBRULE(this.integer);
    this.OPTION(() => this.CONSUME(T.StringLiteral));
    this.CONSUME(T.Semi);
  });

  topicDecl = this.RULE('topicDecl', () => {
    this.CONSUME(T.Topic);
    this.OR(this.alternatives(6, () => [{ ALT: () => this.CONSUME(T.Address) }, { ALT: () => this.SUBRULE(this.qualifiedName) }]));
    this.SUBRULE(this.propertyBlock);
  });

  intentDecl = this.RULE('intentDecl', () => {
    this.CONSUME(T.Intent);
    this.SUBRULE(this.qualifiedName);
    this.SUBRULE(this.propertyBlock);
  });

  propertyBlock = this.RULE('propertyBlock', () => {
    this.CONSUME(T.LCurly);
    this.MANY({ GATE: this.insideBlock, DEF: () => this.SUBRULE(this.property) });
    this.CONSUME(T.RCurly);
  });

  property = this.RULE('property', () => {
    this.CONSUME(T.Name);
    this.OR(
      this.alternatives(7, () => [
        {
          ALT: () => {
            this.CONSUME(T.Colon);
            this.AT_LEAST_ONE_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.valueGroup) });
            this.CONSUME(T.Semi);
          },
        },
        { ALT: () => this.SUBRULE(this.propertyBlock) },
      ]),
    );
  });

  /** One comma-separated item of a property value: `gpu.admin`, `POST "/path"`, `50ms`. */
  valueGroup = this.RULE('valueGroup', () => {
    this.AT_LEAST_ONE(() => {
      this.OR(this.alternatives(8, () => [{ ALT: () => this.SUBRULE(this.typeExpr) }, { ALT: () => this.SUBRULE(this.scalarLiteral) }]));
    });
  });

  qualifiedName = this.RULE('qualifiedName', () => {
    this.CONSUME(T.Name);
    this.MANY(() => {
      this.CONSUME(T.Dot);
      this.CONSUME2(T.Name);
    });
  });
}

/** One parser instance, reset per file through `input`, as Chevrotain recommends. */
const parser = new MidlParser();

export interface ParseError {
  /** What was expected, already phrased for users (e.g. "';'"). */
  readonly expected: string;
  readonly token: IToken;
  readonly previousToken: IToken | undefined;
  readonly kind: 'mismatch' | 'no-alternative' | 'not-all-input' | 'early-exit';
  readonly resyncedTokens: readonly IToken[];
  /** Grammar rules being parsed when the error happened, outermost first. */
  readonly ruleStack: readonly string[];
}

export function parseTokens(tokens: IToken[]): { cst: CstNode; errors: ParseError[] } {
  parser.input = tokens;
  const cst = parser.file();
  const errors: ParseError[] = parser.errors.map((e) => {
    const kind =
      e.name === 'MismatchedTokenException'
        ? 'mismatch'
        : e.name === 'NoViableAltException'
          ? 'no-alternative'
          : e.name === 'NotAllInputParsedException'
            ? 'not-all-input'
            : 'early-exit';
    return {
      expected: e.message,
      token: e.token,
      previousToken: (e as { previousToken?: IToken }).previousToken,
      kind,
      resyncedTokens: e.resyncedTokens,
      ruleStack: e.context.ruleStack,
    };
  });
  return { cst, errors };
}

export { EOF };
