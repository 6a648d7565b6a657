// JSONC (JSON with comments and trailing commas, as Dokku's hujson reads app.json): text to a value, or one
// sentence naming the line and column at fault. Pure; never throws, whatever the tenant wrote.
import { createScanner, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';

/** Deeper nesting is refused before parsing: jsonc-parser recurses per level, and no manifest needs more. */
export const MAX_JSONC_DEPTH = 64;

// jsonc-parser's SyntaxKind is a const enum, which isolated modules (tsx) cannot read: its values, named here.
const OPEN_BRACE = 1;
const CLOSE_BRACE = 2;
const OPEN_BRACKET = 3;
const CLOSE_BRACKET = 4;
const COMMA = 5;
const LINE_COMMENT = 12;
const BLOCK_COMMENT = 13;
const LINE_BREAK = 14;
const TRIVIA = 15;
const EOF = 17;

const ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'an unexpected character',
  InvalidNumberFormat: 'a malformed number',
  PropertyNameExpected: 'a property name was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: 'a colon was expected',
  CommaExpected: 'a comma was expected',
  CloseBraceExpected: 'a closing } was expected',
  CloseBracketExpected: 'a closing ] was expected',
  EndOfFileExpected: 'nothing may follow the value',
  InvalidCommentToken: 'a malformed comment',
  UnexpectedEndOfComment: 'a /* comment is never closed',
  UnexpectedEndOfString: 'a string is never closed',
  UnexpectedEndOfNumber: 'a number ends too early',
  InvalidUnicode: 'a malformed \\u escape',
  InvalidEscapeCharacter: 'a malformed escape',
  InvalidCharacter: 'a control character inside a string',
};

/** 1-based line and column of a character offset (lines end at \n, \r\n or \r). */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      start = i + 1;
    }
  }
  return { line, column: offset - start + 1 };
}

/**
 * Parses JSONC `text` (named `name` in errors). The value has plain JSON semantics: the text is rewritten
 * without comments and trailing commas and handed to JSON.parse, so `"__proto__"` is an own property, as in JSON.
 */
export function parseJsonc(text: string, name: string): { value: unknown } | { error: string } {
  const at = (offset: number, what: string) => {
    const { line, column } = lineColumn(text, offset);
    return { error: `${name} is not valid JSON (comments and trailing commas are allowed): line ${line}, column ${column}: ${what}` };
  };
  // Pass 1 (iterative): nesting depth, and the text without comments and trailing commas.
  const scanner = createScanner(text, false);
  const out: string[] = [];
  let depth = 0;
  let pendingComma = false;
  for (let kind = scanner.scan(); kind !== EOF; kind = scanner.scan()) {
    if (kind === LINE_COMMENT || kind === BLOCK_COMMENT || kind === LINE_BREAK || kind === TRIVIA) continue;
    if (kind === OPEN_BRACE || kind === OPEN_BRACKET) {
      if (++depth > MAX_JSONC_DEPTH) return at(scanner.getTokenOffset(), `nested deeper than ${MAX_JSONC_DEPTH} levels`);
    } else if (kind === CLOSE_BRACE || kind === CLOSE_BRACKET) depth--;
    // A comma is written only once a value follows it; one before } or ] (or the end) is dropped.
    if (pendingComma && kind !== CLOSE_BRACE && kind !== CLOSE_BRACKET) out.push(',');
    pendingComma = kind === COMMA;
    if (!pendingComma) out.push(text.slice(scanner.getTokenOffset(), scanner.getTokenOffset() + scanner.getTokenLength()));
  }
  // Pass 2: jsonc-parser's errors carry the offset that locates the fault (depth is bounded by now).
  const errors: ParseError[] = [];
  parse(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });
  const first = errors[0];
  if (first) return at(first.offset, ERROR_TEXT[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error));
  try {
    return { value: JSON.parse(out.join('')) };
  } catch (err) {
    // Not reached for text jsonc-parser accepted; kept so a disagreement between the two is an error, not a throw.
    return { error: `${name} is not valid JSON: ${(err as Error).message}` };
  }
}
