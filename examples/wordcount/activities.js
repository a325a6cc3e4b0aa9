// Example activities: count the words of a text corpus, in parallel, and write a report.
// Plain CommonJS, as any user module given to `tapflow worker --activities` may be. Each
// function takes the calling convention's one argument { input, params, upstream, node } and
// returns the node's output. Files are written under a folder keyed by the run id, so a retried
// or repeated node overwrites its own output and never doubles it.
'use strict';
const { mkdir, readdir, readFile, writeFile, rename } = require('node:fs/promises');
const { existsSync } = require('node:fs');
const { isAbsolute, join, resolve } = require('node:path');

/** Writes a file atomically (temp file then rename), so a crash never leaves half a file. */
async function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Reads every .txt file of `input.dir` (or `params.corpus`) and splits the text into
 * `input.parts` chunks at line boundaries, written to `<workDir>/<runId>/part-<i>.txt`. A relative
 * folder is taken from the working directory, or, when no such folder is there, from the tapflow
 * package, where this example's corpus ships.
 * @returns {{ parts: string[], files: number, bytes: number }}
 */
/** @param {string} dir */
function corpusDir(dir) {
  const here = resolve(dir);
  return existsSync(here) || isAbsolute(dir) ? here : resolve(__dirname, '..', '..', dir);
}

async function splitCorpus({ input = {}, params = {}, node }) {
  const dir = corpusDir(params.corpus ?? input.dir ?? 'examples/wordcount/corpus');
  const parts = Number(input.parts ?? 4);
  const names = (await readdir(dir)).filter((n) => n.endsWith('.txt')).sort();
  if (names.length === 0) throw new Error(`no .txt files in ${dir}`);
  const text = (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
  const lines = text.split('\n');
  const per = Math.ceil(lines.length / parts);
  const out = resolve(input.workDir ?? '.tapflow/work', node.runId);
  await mkdir(out, { recursive: true });
  const paths = [];
  for (let i = 0; i < parts; i++) {
    const path = join(out, `part-${i}.txt`);
    await writeAtomic(path, lines.slice(i * per, (i + 1) * per).join('\n'));
    paths.push(path);
  }
  return { parts: paths, files: names.length, bytes: Buffer.byteLength(text) };
}

/**
 * Counts the words of one chunk written by splitCorpus: `input.part` is its index, or, as a map
 * node's item, the chunk's path itself (`item`, at position `index`).
 * @returns {{ part: number, words: number, counts: Record<string, number> }}
 */
async function countWords({ input = {}, upstream, item, index }) {
  let path = typeof item === 'string' ? item : undefined;
  if (path === undefined) {
    const split = Object.values(upstream).find((u) => u && Array.isArray(u.parts));
    if (!split) throw new Error('countWords needs a splitCorpus node upstream, or a chunk path as its map item');
    path = split.parts[input.part];
    if (path === undefined) throw new Error(`no part ${input.part}; the split made ${split.parts.length}`);
  }
  const text = (await readFile(path, 'utf8')).toLowerCase();
  const counts = {};
  let words = 0;
  for (const word of text.match(/[a-z][a-z'-]*/g) ?? []) {
    counts[word] = (counts[word] ?? 0) + 1;
    words++;
  }
  return { part: index ?? input.part, words, counts };
}

/**
 * Adds up the counts of every countWords node upstream (a map node's output is a list of them).
 * @returns {{ words: number, distinct: number, top: Array<[string, number]> }}
 */
async function mergeCounts({ input = {}, upstream }) {
  const total = {};
  let words = 0;
  for (const result of Object.values(upstream).flat()) {
    words += result.words;
    for (const [word, n] of Object.entries(result.counts)) total[word] = (total[word] ?? 0) + n;
  }
  const top = Object.entries(total)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, Number(input.top ?? 20));
  return { words, distinct: Object.keys(total).length, top };
}

/**
 * Writes a Markdown report of the merged counts to `<outDir>/<runId>.md`, and reports it as the
 * run's product (kept on the run's record in the store).
 * @returns {{ path: string, words: number, distinct: number }}
 */
async function writeReport({ input = {}, upstream, node, report }) {
  const merged = Object.values(upstream)[0];
  const dir = resolve(input.outDir ?? '.tapflow/reports');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${node.runId}.md`);
  const rows = merged.top.map(([word, n], i) => `| ${i + 1} | ${word} | ${n} |`);
  const text = [
    `# Word count: ${node.runId}`,
    '',
    `${merged.words} words, ${merged.distinct} distinct.`,
    '',
    '| rank | word | count |',
    '| ---: | --- | ---: |',
    ...rows,
    '',
  ].join('\n');
  await writeAtomic(path, text);
  report?.({ products: [path] });
  return { path, words: merged.words, distinct: merged.distinct };
}

module.exports = { splitCorpus, countWords, mergeCounts, writeReport };
