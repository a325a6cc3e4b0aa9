/**
 * Reading the filters of a run search (`tapflow runs search`, `GET /api/runs/search`) into a
 * store search, with every problem at once. Shared by the command line and the API, so they take
 * the same filters and say the same about bad ones. Pure.
 */
import { decodeRunCursor } from '../store/run-cursor';
import { parseTimeArg } from './time-arg';
import { UsageError } from '../core/errors';
import { RUN_STATES, type RunState } from '../core/states';
import type { ParsedRunSearch } from '../store/run-search-page';
import { DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT } from '../store/types';

/**
 * The filters as given on the command line or in a query string, before they are checked.
 * Several states match any of them; several tags or groups must all match.
 */
export interface RunSearchArgs {
  pipeline?: string;
  /**
   * Only runs started from this registered version of `pipeline` (`tapflow start NAME@N`): a whole
   * number from 1, and only with `pipeline`, since a version number belongs to one pipeline.
   */
  version?: string | number;
  /** Only runs this Temporal Schedule started (`tapflow schedule create`). */
  schedule?: string;
  state?: readonly string[];
  tag?: readonly string[];
  user?: string;
  group?: readonly string[];
  /** Created at or after: ISO-8601 (UTC without an offset) or how long ago (`2h`, `7d`). */
  from?: string;
  /** Created before: as `from`. */
  to?: string;
  /** Page size, 1 to {@link MAX_SEARCH_LIMIT}. Default: {@link DEFAULT_SEARCH_LIMIT}. */
  limit?: string | number;
  /** The `next` of the previous page. */
  after?: string;
}

/** A filter's name in {@link RunSearchArgs}. */
export type RunSearchField = keyof RunSearchArgs;

/** One problem of the filters: which one, and a line naming it as the caller calls it (`--limit: ...`). */
export interface RunSearchProblem {
  field: RunSearchField;
  message: string;
}

/**
 * Reads and checks the filters, finding every problem (not only the first).
 *
 * @param name how the caller calls a filter in messages: `--state` on the command line,
 *   `querystring.state` in the API. Each message starts with it.
 * @param now the time relative `from`/`to` count back from. Default: now.
 * @returns the search (meaningful only when `problems` is empty) and the problems, in the order
 *   state, limit, from, to, the range, after, version.
 */
export function readRunSearch(
  args: RunSearchArgs,
  name: (field: RunSearchField) => string,
  now: Date = new Date(),
): { search: ParsedRunSearch; problems: RunSearchProblem[] } {
  const problems: RunSearchProblem[] = [];
  const states = args.state ?? [];
  for (const state of states) {
    if (!RUN_STATES.includes(state as RunState)) {
      problems.push({ field: 'state', message: `${name('state')}: unknown state "${state}"; one of ${RUN_STATES.join(', ')}` });
    }
  }
  const limitText = String(args.limit ?? DEFAULT_SEARCH_LIMIT);
  const limit = /^\d+$/.test(limitText.trim()) ? Number(limitText) : NaN;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    problems.push({ field: 'limit', message: `${name('limit')}: "${limitText}" is not a whole number from 1 to ${MAX_SEARCH_LIMIT}` });
  }
  const from = args.from === undefined ? undefined : collect(problems, 'from', () => parseTimeArg(name('from'), args.from as string, now));
  const to = args.to === undefined ? undefined : collect(problems, 'to', () => parseTimeArg(name('to'), args.to as string, now));
  if (from && to && from.getTime() >= to.getTime()) {
    problems.push({ field: 'from', message: `${name('from')} (${from.toISOString()}) must be before ${name('to')} (${to.toISOString()})` });
  }
  const after = args.after === undefined ? undefined : collect(problems, 'after', () => decodeRunCursor(name('after'), args.after as string));
  const version = args.version === undefined ? undefined : readVersion(problems, args, name);

  const search: ParsedRunSearch = { limit };
  if (args.pipeline !== undefined) search.pipeline = args.pipeline;
  if (states.length > 0) search.state = states as RunState[];
  if (args.tag?.length) search.tag = args.tag;
  if (args.user !== undefined) search.userName = args.user;
  if (version !== undefined) search.pipelineVersion = version;
  if (args.schedule !== undefined) search.scheduleId = args.schedule;
  if (args.group?.length) search.group = args.group;
  if (from) search.createdFrom = from;
  if (to) search.createdTo = to;
  if (after) search.after = after;
  return { search, problems };
}

/**
 * The version filter, or undefined with its problems added: a whole number from 1 (at most nine
 * digits, as a pipeline reference takes it, which keeps it inside the column's integer), given
 * with a pipeline.
 */
function readVersion(problems: RunSearchProblem[], args: RunSearchArgs, name: (field: RunSearchField) => string): number | undefined {
  const text = String(args.version).trim();
  let version: number | undefined;
  if (/^[1-9][0-9]{0,8}$/.test(text)) version = Number(text);
  else problems.push({ field: 'version', message: `${name('version')}: "${String(args.version)}" is not a version: a whole number from 1` });
  if (args.pipeline === undefined) {
    // Version 3 of one pipeline has nothing to do with version 3 of another.
    problems.push({ field: 'version', message: `${name('version')}: only with ${name('pipeline')} (a version number belongs to one pipeline)` });
    return undefined;
  }
  return version;
}

/** `parse()`'s value, or undefined with its {@link UsageError}'s message added to `problems`. */
function collect<T>(problems: RunSearchProblem[], field: RunSearchField, parse: () => T): T | undefined {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push({ field, message: err.message });
    return undefined;
  }
}
