/**
 * `tapflow runs search`: runs from the store by pipeline (and registered version), schedule, state, tag,
 * user, group and creation time, newest first, a page at a time. Reads only the store, so it finds runs long after
 * Temporal's retention has dropped them.
 */
import { UsageError } from '../core/errors';
import { formatPipelineRef } from '../core/pipeline-registry';
import { readRunSearch } from '../control/run-search-args';
import { searchPage, searchRow, type ParsedRunSearch, type RunSearchPage, type RunSearchRow } from '../store/run-search-page';
import type { RunRecord } from '../store/types';
import { print, printJson, type GlobalOptions } from './io';
import { paint, table } from './render';
import { withStore } from './store-access';

/** Options of `runs search`, as commander gives them. */
export interface RunsSearchOptions extends GlobalOptions {
  pipeline?: string;
  /** With `pipeline`: only runs started from this registered version. */
  version?: string;
  /** Only runs this schedule started. */
  schedule?: string;
  state?: string[];
  tag?: string[];
  user?: string;
  group?: string[];
  from?: string;
  to?: string;
  limit?: string;
  after?: string;
}

/** One run in `tapflow runs search --json` (see `store/run-search-page.ts`, shared with the API). */
export type { RunSearchRow };

/** What `tapflow runs search --json` prints: one page, as `GET /api/runs/search` answers it. */
export type RunsSearchJson = RunSearchPage;

/** A search and its page size, read from the options. */
export type ParsedRunsSearch = ParsedRunSearch;

/**
 * Reads and checks the options.
 *
 * @param now the time relative `--from`/`--to` count back from.
 * @throws {UsageError} for an unknown state, a bad time or range, a bad limit or a bad cursor.
 */
export function parseRunsSearch(options: RunsSearchOptions, now: Date = new Date()): ParsedRunsSearch {
  const { search, problems } = readRunSearch(options, (field) => `--${field}`, now);
  if (problems[0]) throw new UsageError(problems[0].message);
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

function renderSearch(runs: readonly RunRecord[], tty: boolean): string[] {
  if (runs.length === 0) return ['no runs'];
  const time = (t: Date | null): string => (t ? t.toISOString().replace('T', ' ').slice(0, 19) : '');
  return table(
    ['RUN', 'PIPELINE', 'STATE', 'PROGRESS', 'USER', 'TAGS', 'CREATED', 'FINISHED'],
    runs.map((r) => [
      r.workflowId,
      // A run started by name shows the version it ran, as the reference that starts it again.
      r.pipelineVersion === null ? r.pipeline : formatPipelineRef(r.pipeline, r.pipelineVersion),
      paint(r.state, tty),
      progressCell(r),
      r.userName ?? '',
      r.tags.join(','),
      time(r.createdAt),
      time(r.finishedAt),
    ]),
  );
}

/**
 * `75% 3/4`, and `100% 3/4 +1 skipped`: the percentage as every other view of the run counts it
 * (skipped nodes as done), then nodes completed of all. `0/0` for a run that has not reported.
 */
function progressCell(r: RunRecord): string {
  if (r.progressTotal === 0) return `${r.progressCompleted}/${r.progressTotal}`;
  const percent = Math.floor(((r.progressCompleted + r.progressSkipped) * 100) / r.progressTotal);
  const skipped = r.progressSkipped > 0 ? ` +${r.progressSkipped} skipped` : '';
  return `${percent}% ${r.progressCompleted}/${r.progressTotal}${skipped}`;
}
