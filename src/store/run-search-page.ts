/**
 * One page of the store's runs, as `tapflow runs search` prints it and `GET /api/runs/search`
 * answers it: the page with the exact cursor of the next, and each run's row without the bulky
 * fields. One module for both, so the command line and the API cannot drift apart. The filters
 * are read by `run-search-args.ts`.
 */
import { encodeRunCursor } from './run-cursor';
import type { Queryable } from './pool';
import { searchRuns } from './sql/search-runs';
import { MAX_SEARCH_LIMIT, type RunRecord, type RunSearch } from './types';

/**
 * One run in a search page: its store record without the bulky fields (`spec`, `params`,
 * `result`, `nodes`; `tapflow status`, `result` and `history` show those), the internal write
 * order `seq` and the Temporal execution that last wrote it (the reconciler's business). Times are ISO-8601 strings once serialised as JSON.
 */
export type RunSearchRow = Omit<
  RunRecord,
  'spec' | 'params' | 'result' | 'nodes' | 'seq' | 'executionRunId' | 'executionStartedAt'
>;

/** One page of a search, as `tapflow runs search --json` prints it and the API answers it. */
export interface RunSearchPage {
  /** Newest first (by creation time, then workflow id, both descending). */
  runs: RunSearchRow[];
  /** The cursor of the next page (`--after`, `?after=`); `null` when there are no more runs. */
  next: string | null;
}

/** A search and its page size. */
export type ParsedRunSearch = RunSearch & { limit: number };

/**
 * One page of runs matching `search`, and the cursor of the next page when more runs match: known
 * exactly (one run more is read), not guessed from a full page.
 *
 * @throws the store's error when it cannot be read.
 */
export async function searchPage(db: Queryable, search: ParsedRunSearch): Promise<{ runs: RunRecord[]; next: string | null }> {
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

/** A run's search row: its record without `spec`, `params`, `result`, `nodes`, `seq` and the execution. */
export function searchRow(r: RunRecord): RunSearchRow {
  return {
    workflowId: r.workflowId,
    firstRunId: r.firstRunId,
    pipeline: r.pipeline,
    state: r.state,
    reason: r.reason,
    progressCompleted: r.progressCompleted,
    progressSkipped: r.progressSkipped,
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
    pipelineVersion: r.pipelineVersion,
    scheduleId: r.scheduleId,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    updatedAt: r.updatedAt,
  };
}

/** The page of the search as both the command line (`--json`) and the API answer it. */
export async function searchPageRows(db: Queryable, search: ParsedRunSearch): Promise<RunSearchPage> {
  const page = await searchPage(db, search);
  return { runs: page.runs.map(searchRow), next: page.next };
}
