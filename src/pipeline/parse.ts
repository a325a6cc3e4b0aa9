/**
 * Reading specs from text: JSON or YAML, with syntax errors reported as `file:line:col: message`.
 * Not imported by workflow code (it depends on the `yaml` package).
 */
import { parseDocument } from 'yaml';

/** A spec file that could not be parsed; the message is one line with the position. */
export class SpecSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpecSyntaxError';
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
  const isJson = /\.json$/i.test(source) || /^\s*[{[]/.test(text);
  if (text.trim() === '') throw new SpecSyntaxError(`${source}: the file is empty`);
  return isJson ? parseJson(text, source) : parseYaml(text, source);
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /position (\d+)/.exec(message);
    let { line, col } = pos ? lineCol(text, Number(pos[1])) : { line: 0, col: 0 };
    if (!line) {
      // Newer Node versions often leave the position out; YAML (a superset of JSON) finds it.
      const where = parseDocument(text).errors[0]?.linePos?.[0];
      if (where) ({ line, col } = where);
    }
    const where = line ? `${source}:${line}:${col}` : source;
    const clean = message
      .replace(/ in JSON at position \d+.*$/s, '')
      .replace(/, (?:\.\.\.)?".*" is not valid JSON$/s, '')
      .replace(/^JSON\.parse: /, '');
    throw new SpecSyntaxError(`${where}: malformed JSON: ${clean}`);
  }
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) {
    const [line, col] = first.linePos?.[0] ? [first.linePos[0].line, first.linePos[0].col] : [0, 0];
    const where = line ? `${source}:${line}:${col}` : source;
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? 'syntax error';
    throw new SpecSyntaxError(`${where}: malformed YAML: ${message}`);
  }
  return doc.toJS({ maxAliasCount: 100 });
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
