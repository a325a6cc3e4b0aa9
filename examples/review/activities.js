// Example activities of the review cycle (pipeline.yaml and round.yaml): summarise an article into
// a draft that follows the reviewer's notes, record each verdict, publish the approved draft.
// Plain CommonJS with Node built-ins only, as any module given to `tapflow worker --activities`
// may be. Each function takes the calling convention's one argument { input, params, upstream,
// node } and returns the node's output.
//
// Files are written under `<out>/<runId>/`, where `out` is the run's `params.out` (for a round's
// child run: its parent's, which the child gets as `params.params`) or, without one,
// `<os temp dir>/tapflow-examples/review`. A round's run id is `<run>/draft`, `<run>/draft~2`, ...
// so each round's draft lands in a folder of its own under the run's.
'use strict';
const { createHash } = require('node:crypto');
const { existsSync } = require('node:fs');
const { mkdir, readFile, rename, writeFile } = require('node:fs/promises');
const { tmpdir } = require('node:os');
const { dirname, isAbsolute, join, resolve } = require('node:path');

/** Sentences in a first draft, when the input does not say. */
const FIRST_DRAFT_SENTENCES = 6;

/** Writes a file atomically (temp file then rename), so a crash never leaves half a file. */
async function writeAtomic(path, text) {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/** A file from the working directory or, when no such file is there, from the tapflow package. */
function sourcePath(path) {
  if (typeof path !== 'string' || path === '') throw new TypeError('no source file given (input.source)');
  const here = resolve(path);
  return existsSync(here) || isAbsolute(path) ? here : resolve(__dirname, '..', '..', path);
}

/** The output folder of this run: `out` from its params, or its parent run's (a child's `params.params`). */
async function runDir(params, node) {
  let out;
  for (let p = params; p && typeof p === 'object' && out === undefined; p = p.params) {
    if (typeof p.out === 'string') out = p.out;
  }
  const dir = join(out === undefined ? join(tmpdir(), 'tapflow-examples', 'review') : resolve(out), node.runId);
  await mkdir(dir, { recursive: true });
  return dir;
}

const STOP = new Set(
  ('a an and are as at be before by can could each every few first for from had has have in into is it its ' +
    'many more most much not now of on one or so some still that the their them then there these they this ' +
    'those to too us was we were what when which who with would')
    .split(' '),
);

/** The title (the first `# ` line) and the sentences of a Markdown text, in order. */
function sentencesOf(text) {
  const lines = text.split(/\r?\n/);
  const heading = lines.find((l) => l.startsWith('# '));
  const body = lines
    .filter((l) => !l.startsWith('#'))
    .join('\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
  const sentences = body.flatMap((p) => p.split(/(?<=[.!?])\s+/));
  return { title: heading ? heading.slice(2).trim() : 'Untitled', sentences };
}

const wordsOf = (text) => text.toLowerCase().match(/[a-z][a-z'-]*/g) ?? [];

/**
 * The `keep` sentences that best sum up the text, in their order in it: each sentence scores the
 * mean frequency, across the whole text, of its content words (stop words left out).
 */
function summarise(sentences, keep) {
  const freq = new Map();
  for (const s of sentences) for (const w of wordsOf(s)) if (!STOP.has(w)) freq.set(w, (freq.get(w) ?? 0) + 1);
  const scored = sentences.map((s, i) => {
    const content = wordsOf(s).filter((w) => !STOP.has(w));
    const score = content.length ? content.reduce((sum, w) => sum + (freq.get(w) ?? 0), 0) / content.length : 0;
    return { s, i, score };
  });
  return scored
    .sort((a, b) => b.score - a.score || a.i - b.i)
    .slice(0, keep)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.s);
}

/**
 * What the reviewer's notes ask of the next draft: "shorter" halves the sentences, "longer" adds
 * two, "bullets" (or "list") makes a bulleted list, "prose" (or "paragraph") a paragraph.
 */
function revise(last, total) {
  let sentences = Number(last.sentences) || FIRST_DRAFT_SENTENCES;
  let style = last.style === 'bullets' ? 'bullets' : 'prose';
  const notes = String(last.notes ?? '').toLowerCase();
  const applied = [];
  if (/\bshort|\bcut\b|too long/.test(notes)) {
    sentences = Math.max(1, Math.floor(sentences / 2));
    applied.push('shorter');
  } else if (/\blonger|more detail|too short/.test(notes)) {
    sentences = Math.min(total, sentences + 2);
    applied.push('longer');
  }
  if (/\bbullet|\blist\b/.test(notes)) {
    style = 'bullets';
    applied.push('bullets');
  } else if (/\bprose|\bparagraph/.test(notes)) {
    style = 'prose';
    applied.push('prose');
  }
  return { sentences, style, applied };
}

/**
 * Writes the round's draft of `input.source` to `<out>/<runId>/draft.md`. Round 1 keeps
 * `input.sentences` (default 6) sentences as prose; a later round (`input.last`, the reviewer's
 * verdict on the last draft) revises that draft's length and style by the notes.
 * @returns {{ path: string, round: number, sentences: number, style: string, words: number,
 *   applied: string[], notes: string }}
 */
async function writeDraft({ input = {}, params, node, report }) {
  const text = await readFile(sourcePath(input.source), 'utf8');
  const { title, sentences: all } = sentencesOf(text);
  if (all.length === 0) throw new TypeError(`${input.source} has no sentences to summarise`);
  const last = input.last && typeof input.last === 'object' ? input.last : undefined;
  const plan = last
    ? revise(last, all.length)
    : { sentences: Math.min(all.length, Number(input.sentences) || FIRST_DRAFT_SENTENCES), style: 'prose', applied: [] };
  const kept = summarise(all, plan.sentences);
  const body = plan.style === 'bullets' ? kept.map((s) => `- ${s}`).join('\n') : kept.join(' ');
  const round = Number(input.round) || 1;
  const path = join(await runDir(params, node), 'draft.md');
  await writeAtomic(path, `# ${title}\n\n${body}\n`);
  report?.({ products: [path] });
  return {
    path,
    round,
    sentences: kept.length,
    style: plan.style,
    words: wordsOf(body).length,
    applied: plan.applied,
    notes: last ? String(last.notes ?? '') : '',
  };
}

/**
 * Records the reviewer's verdict (the event's data, `upstream.approval`) on the draft
 * (`upstream.write`) in `review.json` beside it. Anything but `"approved": true` is a rejection.
 * @returns {{ approved: boolean, notes: string, round: number, draft: string, sentences: number,
 *   style: string, words: number }}
 */
async function recordReview({ upstream }) {
  const draft = upstream.write;
  if (!draft || typeof draft.path !== 'string') throw new TypeError('recordReview needs the draft of a writeDraft node "write"');
  const data = upstream.approval && typeof upstream.approval === 'object' ? upstream.approval : {};
  const verdict = {
    approved: data.approved === true,
    notes: typeof data.notes === 'string' ? data.notes : '',
    round: draft.round,
    draft: draft.path,
    sentences: draft.sentences,
    style: draft.style,
    words: draft.words,
  };
  await writeAtomic(join(dirname(draft.path), 'review.json'), `${JSON.stringify({ ...verdict, reviewedAt: new Date().toISOString() }, null, 2)}\n`);
  return verdict;
}

/**
 * Publishes the approved draft (`upstream.draft.decide`, the last round's verdict) to
 * `<out>/<runId>/published.md`, noting the round that was approved.
 * @returns {{ path: string, round: number, words: number, sha256: string }}
 */
async function publishDraft({ params, upstream, node, report }) {
  const verdict = upstream.draft?.decide;
  if (!verdict?.approved) throw new TypeError('publishDraft needs an approved draft (upstream.draft.decide)');
  const text = await readFile(verdict.draft, 'utf8');
  const published = `${text.trimEnd()}\n\n_Approved in round ${verdict.round}${verdict.notes ? `: ${verdict.notes}` : ''}._\n`;
  const path = join(await runDir(params, node), 'published.md');
  await writeAtomic(path, published);
  report?.({ products: [path] });
  return { path, round: verdict.round, words: verdict.words, sha256: createHash('sha256').update(published).digest('hex') };
}

module.exports = { writeDraft, recordReview, publishDraft };
