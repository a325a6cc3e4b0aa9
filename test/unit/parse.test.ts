import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSpecText, SpecSyntaxError } from '../../src/core/parse';
import { validateSpec } from '../../src/core/validate';
import { thumbnails as thumbnailsSpec } from '../helpers/specs';

const SPECS = join(__dirname, '..', 'fixtures', 'specs');

function fixture(name: string): string {
  return readFileSync(join(SPECS, name), 'utf8');
}

/** The error `fn` throws; fails the test when it throws nothing. */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error, but nothing was thrown');
}

const thumbnails = thumbnailsSpec();

describe('parseSpecText: well-formed input', () => {
  test('reads the thumbnails example from JSON', () => {
    const spec = parseSpecText(fixture('thumbnails.json'), 'thumbnails.json');
    expect(spec).toEqual(thumbnails);
    expect(validateSpec(spec).ok).toBe(true);
  });

  test('reads the same spec from YAML', () => {
    const spec = parseSpecText(fixture('thumbnails.yaml'), 'thumbnails.yaml');
    expect(spec).toEqual(thumbnails);
    expect(validateSpec(spec).ok).toBe(true);
  });

  test('reads JSON whatever the file is called when the text starts with "{"', () => {
    expect(parseSpecText('  {"name": "p", "nodes": []}', 'spec')).toEqual({ name: 'p', nodes: [] });
  });

  test('YAML keeps numbers, booleans and nulls typed', () => {
    expect(parseSpecText('a: 1\nb: 2.5\nc: true\nd: null\ne: "1"\n', 'x.yaml')).toEqual({
      a: 1,
      b: 2.5,
      c: true,
      d: null,
      e: '1',
    });
  });

  test('YAML anchors and aliases are resolved', () => {
    const text = 'retry: &r { maximumAttempts: 2 }\nnodes:\n  - retry: *r\n';
    expect(parseSpecText(text, 'x.yaml')).toEqual({
      retry: { maximumAttempts: 2 },
      nodes: [{ retry: { maximumAttempts: 2 } }],
    });
  });

  test('a YAML file that is only a comment parses to null, which validation then refuses', () => {
    const value = parseSpecText('# nothing here\n', 'x.yaml');
    expect(value).toBeNull();
    expect(validateSpec(value).ok).toBe(false);
  });
});

describe('parseSpecText: empty input', () => {
  test.each([[''], ['   '], ['\n\n\t\n']])('%j is an empty file', (text) => {
    const err = thrown(() => parseSpecText(text, 'spec.yaml'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.name).toBe('SpecSyntaxError');
    expect(err.message).toBe('spec.yaml: the file is empty');
  });

  test('the default source name is "spec"', () => {
    expect(thrown(() => parseSpecText('')).message).toBe('spec: the file is empty');
  });
});

describe('parseSpecText: malformed JSON', () => {
  test('a missing comma is reported at file:line:col', () => {
    const err = thrown(() => parseSpecText(fixture('missing-comma.json'), 'specs/missing-comma.json'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toBe("specs/missing-comma.json:5:5: malformed JSON: Expected ',' or ']' after array element");
  });

  test('an unterminated object is reported at its end', () => {
    expect(thrown(() => parseSpecText('{"a":1', 'x.json')).message).toBe(
      "x.json:1:7: malformed JSON: Expected ',' or '}' after property value",
    );
  });

  test('line and column count from 1 across lines', () => {
    const err = thrown(() => parseSpecText('{\n  "name": "x"\n  "nodes": []\n}', 'x.json'));
    expect(err.message).toBe("x.json:3:3: malformed JSON: Expected ',' or '}' after property value");
  });

  test('a trailing comma', () => {
    const err = thrown(() => parseSpecText('{"name": "x",}', 'x.json'));
    expect(err.message).toMatch(/^x\.json:1:14: malformed JSON: /);
  });

  test('a .json file is read as JSON even when the text looks like YAML', () => {
    const err = thrown(() => parseSpecText('name: x\nnodes: []\n', 'p.json'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(/^p\.json(:\d+:\d+)?: malformed JSON: /);
  });

  test('a text starting with "{" is read as JSON, so a YAML flow mapping is a JSON error', () => {
    const err = thrown(() => parseSpecText('{name: x}', 'p.yaml'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(/^p\.yaml:1:2: malformed JSON: /);
  });

  // V8 words some JSON errors ("Unexpected token ...") without "at position N"; the position
  // comes from parse.ts's own scanner, and the message stays on one line.
  test.each<[string, string, RegExp]>([
    ['a bare word', '{\n  "name": "x",\n  "nodes": [ oops ]\n}', /^x\.json:3:\d+: malformed JSON: /],
    ['a missing value', '{"a": }', /^x\.json:1:\d+: malformed JSON: /],
    ['a misspelt literal', '{\n  "a": 1,\n  "b": tru\n}', /^x\.json:3:\d+: malformed JSON: /],
  ])('%s is reported at file:line:col, on one line', (_label, text, where) => {
    const err = thrown(() => parseSpecText(text, 'x.json'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(where);
    expect(err.message).not.toContain('\n');
  });

  test('an unexpected token message does not quote the whole text back', () => {
    const err = thrown(() => parseSpecText('{\n  "name": "x",\n  "nodes": [ oops ]\n}', 'x.json'));
    expect(err.message).not.toContain('is not valid JSON');
    expect(err.message).not.toContain('\n');
  });

  test('an unexpected token is still a SpecSyntaxError naming the file', () => {
    const err = thrown(() => parseSpecText('{"a": }', 'x.json'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(/^x\.json(:\d+:\d+)?: malformed JSON: Unexpected token/);
  });
});

describe('parseSpecText: malformed YAML', () => {
  test('a duplicate key is refused, not silently overwritten', () => {
    const err = thrown(() => parseSpecText(fixture('duplicate-key.yaml'), 'duplicate-key.yaml'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(/^duplicate-key\.yaml:\d+:\d+: malformed YAML: Map keys must be unique$/);
  });

  test('a duplicate top-level key is refused', () => {
    const err = thrown(() => parseSpecText('name: a\nname: b\nnodes: []\n', 'x.yaml'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toBe('x.yaml:2:1: malformed YAML: Map keys must be unique');
  });

  test.each<[string, string, string]>([
    ['an unclosed flow sequence', 'name: x\nnodes: [\n', 'Flow sequence in block collection'],
    ['a nested compact mapping', 'a: b: c\n', 'Nested mappings are not allowed in compact mappings'],
    ['an unclosed quote', 'name: "x\n', 'Missing closing "quote'],
    ['tab indentation', 'nodes:\n\t- id: a\n', 'Tabs are not allowed as indentation'],
    ['several documents', 'a: 1\n---\nb: 2\n', 'Source contains multiple documents'],
  ])('%s is a SpecSyntaxError at file:line:col with a one-line message', (_label, text, words) => {
    const err = thrown(() => parseSpecText(text, 'x.yaml'));
    expect(err).toBeInstanceOf(SpecSyntaxError);
    expect(err.message).toMatch(/^x\.yaml:\d+:\d+: malformed YAML: /);
    expect(err.message).toContain(words);
    expect(err.message).not.toContain('\n');
  });

  test('a duplicate key is reported at file:line:col of the repeated key', () => {
    const err = thrown(() => parseSpecText(fixture('duplicate-key.yaml'), 'duplicate-key.yaml'));
    expect(err.message).toBe('duplicate-key.yaml:5:5: malformed YAML: Map keys must be unique');
  });

  test('an unclosed flow sequence is reported at file:line:col', () => {
    const err = thrown(() => parseSpecText('name: x\nnodes: [\n', 'x.yaml'));
    expect(err.message).toMatch(/^x\.yaml:3:1: malformed YAML: Flow sequence in block collection/);
  });

  // Errors raised while converting the document (an alias to an undefined anchor, or an alias
  // bomb over maxAliasCount) are bad input too: SpecSyntaxError, so the CLI exits 2.
  test('an alias to an undefined anchor is a SpecSyntaxError', () => {
    expect(thrown(() => parseSpecText('a: *nope\n', 'x.yaml'))).toBeInstanceOf(SpecSyntaxError);
  });

  test('an alias bomb is a SpecSyntaxError', () => {
    const rows = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c']] as const) {
      rows.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${prev}`).join(', ')}]`);
    }
    expect(thrown(() => parseSpecText(`${rows.join('\n')}\n`, 'bomb.yaml'))).toBeInstanceOf(SpecSyntaxError);
  });
});
