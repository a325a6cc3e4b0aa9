/**
 * Reading specs from text: JSON or YAML, with syntax errors reported as `file:line:col: message`.
 * Not imported by workflow code (it depends on the `yaml` package).
 */
import { TapflowError } from './errors';
import { jsonErrorOffset } from './json-error-offset';
import { checkYamlLimits, isCircular, yaml } from './yaml-limits';

/** A spec file that could not be parsed; the message is one line with the position. */
export class SpecSyntaxError extends TapflowError {
  readonly code = 'spec_syntax';

  constructor(message: string) {
    super(message);
  }
}

/**
 * Parses spec text. JSON when the text starts with `{` or the source name ends in `.json`,
 * otherwise YAML (which also accepts JSON).
 *
 * @param source the file name, used in messages and to pick the format.
 * @throws {SpecSyntaxError} on malformed input.
 */
export function parseSpecText(text: string, source = 'spec'): unknown {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte-order mark
  const isJson = /\.json$/i.test(source) || /^\s*[{[]/.test(text);
  if (text.trim() === '') throw new SpecSyntaxError(`${source}: the file is empty`);
  return isJson ? parseJson(text, source) : parseYaml(text, source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const { line, col } = offset === undefined ? { line: 0, col: 0 } : lineCol(text, offset);
    const where = line ? `${source}:${line}:${col}` : source;
    const clean = (err as Error).message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/^JSON\.parse: /, '')
      .replace(/\n/g, '\\n')
      .replace(/\r/g, '\\r');
    throw new SpecSyntaxError(`${where}: malformed JSON: ${clean}`);
  }
}

function parseYaml(text: string, source: string): unknown {
  // Measured before the recursive parse below, which deep nesting or many aliases would crash or stall.
  const breach = checkYamlLimits(text);
  if (breach) {
    const { line, col } = lineCol(text, breach.offset);
    throw new SpecSyntaxError(`${source}:${line}:${col}: YAML refused: ${breach.message}`);
  }
  const doc = yaml().parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const [line, col] = first.linePos?.[0] ? [first.linePos[0].line, first.linePos[0].col] : [0, 0];
    const where = line ? `${source}:${line}:${col}` : source;
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new SpecSyntaxError(`${where}: malformed YAML: ${message}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias to an unknown anchor, or too many aliases (a "billion laughs" document).
    throw new SpecSyntaxError(`${source}: malformed YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (isCircular(value)) {
    throw new SpecSyntaxError(`${source}: malformed YAML: an alias refers to a collection that contains it (a circular alias)`);
  }
  return value;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, col };
}

