/**
 * `tapflow runs search`: runs from the store by pipeline, state, tag, user, group and creation
 * time, newest first, a page at a time. Reads only the store, so it finds runs long after
 * Temporal's retention has dropped them.
 */
import { UsageError } from '../errors';
import { RUN_STATES, type RunState } from '../pipeline/states';
import { searchRuns } from '../store/sql/search-runs';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT, type RunRecord, type RunSearch } from '../store/types';
import { print, printJson, type GlobalOptions } from './io';
import { paint, table } from './render';
import { decodeRunCursor, encodeRunCursor } from './run-cursor';
import { withStore } from './store-access';
import { parseTimeArg } from './time-arg';

/** Options of `runs search`, as commander gives them. */
export interface RunsSearchOptions extends GlobalOptions {
  pipeline?: string;
  state?: string[];
  tag?: string[];
  user?: string;
  group?: string[];
  from?: string;
  to?: string;
  limit?: string;
  after?: string;
}

/**
 * One run in `tapflow runs search --json`: its store record without the bulky fields (`spec`,
 * `params`, `result`, `nodes`; `tapflow status`, `result` and `history` show those) and the
 * internal write order `seq`. Times are ISO-8601 strings.
 */
export type RunSearchRow = Omit<RunRecord, 'spec' | 'params' | 'result' | 'nodes' | 'seq'>;

/** What `tapflow runs search --json` prints. */
export interface RunsSearchJson {
  /** Newest first (by creation time, then workflow id, both descending). */
  runs: RunSearchRow[];
  /** Pass as `--after` for the next page; `null` when there are no more runs. */
  next: string | null;
}

/** A search and its page size, read from the options. */
export type ParsedRunsSearch = RunSearch & { limit: number };

/**
 * Reads and checks the options.
 *
 * @param now the time relative `--from`/`--to` count back from.
 * @throws {UsageError} for an unknown state, a bad time or range, a bad limit or a bad cursor.
 */
export function parseRunsSearch(options: RunsSearchOptions, now: Date = new Date()): ParsedRunsSearch {
  const states = options.state ?? [];
  for (const state of states) {
    if (!RUN_STATES.includes(state as RunState)) {
      throw new UsageError(`--state: unknown state "${state}"; one of ${RUN_STATES.join(', ')}`);
    }
  }
  const limitText = options.limit ?? String(DEFAULT_SEARCH_LIMIT);
  const limit = /^\d+$/.test(limitText.trim()) ? Number(limitText) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new UsageError(`--limit: "${limitText}" is not a whole number from 1 to ${MAX_SEARCH_LIMIT}`);
  }
  const from = options.from === undefined ? undefined : parseTimeArg('--from', options.from, now);
  const to = options.to === undefined ? undefined : parseTimeArg('--to', options.to, now);
  if (from && to && from.getTime() >= to.getTime()) {
    throw new UsageError(`--from (${from.toISOString()}) must be before --to (${to.toISOString()})`);
  }
  const search: ParsedRunsSearch = { limit };
  if (options.pipeline !== undefined) search.pipeline = options.pipeline;
  if (states.length > 0) search.state = states as RunState[];
  if (options.tag?.length) search.tag = options.tag;
  if (options.user !== undefined) search.userName = options.user;
  if (options.group?.length) search.group = options.group;
  if (from) search.createdFrom = from;
  if (to) search.createdTo = to;
  if (options.after !== undefined) search.after = decodeRunCursor('--after', options.after);
  return search;
}

/**
 * Prints one page of matching runs: a table, or with `--json` a {@link RunsSearchJson}.
 *
 * @throws {UsageError} for bad options (before the store is read).
 * @throws {StoreReadError} when the store cannot be read.
 */
export async function runsSearchCommand(options: RunsSearchOptions): Promise<number> {
  const search = parseRunsSearch(options);
  const page = await withStore((db) => searchPage(db, search));
  if (options.json) {
    const out: RunsSearchJson = { runs: page.runs.map(searchRow), next: page.next };
    printJson(out);
    return 0;
  }
  print(...renderSearch(page.runs, Boolean(process.stdout.isTTY)));
  if (page.next) print('', `more: add --after ${page.next}`);
  return 0;
}

/** One page, and the cursor of the next when more runs match (known exactly, not guessed from a full page). */
async function searchPage(
  db: Parameters<typeof searchRuns>[0],
  search: ParsedRunsSearch,
): Promise<{ runs: RunRecord[]; next: string | null }> {
  // One run more than asked for says whether there is a next page.
  const runs = await searchRuns(db, { ...search, limit: Math.min(search.limit + 1, MAX_SEARCH_LIMIT) });
  let more = runs.length > search.limit;
  const page = runs.slice(0, search.limit);
  const last = page[page.length - 1];
  if (!more && last && search.limit === MAX_SEARCH_LIMIT && page.length === MAX_SEARCH_LIMIT) {
    more = (await searchRuns(db, { ...search, after: last, limit: 1 })).length > 0;
  }
  return { runs: page, next: more && last ? encodeRunCursor(last) : null };
}

function searchRow(r: RunRecord): RunSearchRow {
  return {
    workflowId: r.workflowId,
    firstRunId: r.firstRunId,
    pipeline: r.pipeline,
    state: r.state,
    reason: r.reason,
    progressCompleted: r.progressCompleted,
    progressTotal: r.progressTotal,
    tags: r.tags,
    groups: r.groups,
    userName: r.userName,
    site: r.site,
    event: r.event,
    priority: r.priority,
    timeoutMs: r.timeoutMs,
    retries: r.retries,
    attempt: r.attempt,
    products: r.products,
    plots: r.plots,
    idempotencyKey: r.idempotencyKey,
    rerunOf: r.rerunOf,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    updatedAt: r.updatedAt,
  };
}

function renderSearch(runs: readonly RunRecord[], tty: boolean): string[] {
  if (runs.length === 0) return ['no runs'];
  const time = (t: Date | null): string => (t ? t.toISOString().replace('T', ' ').slice(0, 19) : '');
  return table(
    ['RUN', 'PIPELINE', 'STATE', 'PROGRESS', 'USER', 'TAGS', 'CREATED', 'FINISHED'],
    runs.map((r) => [
      r.workflowId,
      r.pipeline,
      paint(r.state, tty),
      `${r.progressCompleted}/${r.progressTotal}`,
      r.userName ?? '',
      r.tags.join(','),
      time(r.createdAt),
      time(r.finishedAt),
    ]),
  );
}
