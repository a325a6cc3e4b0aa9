/**
 * What a run id and a run's labels (tags, groups, user, site) may hold, checked before a start
 * is sent. Temporal takes ids of up to 1,000 characters; the store's text columns refuse the NUL
 * character, so a label holding one would start a run whose record can never be written; control
 * characters (ANSI escapes) in a label would be printed back to every terminal that lists the run;
 * and activities key files on the run id (`node.runId`, `node.key`), so a `..` segment in it could
 * point them outside their folder. Each is refused with one line naming the field.
 */
import { UsageError } from './errors';

/** Longest run id, in characters: Temporal's limit on a workflow id. */
export const MAX_RUN_ID_LENGTH = 1000;

/** Longest tag or group, in characters (as the HTTP API's schema says). */
export const MAX_LABEL_LENGTH = 100;

/** Longest user or site, in characters. */
export const MAX_NAME_LENGTH = 200;

// C0 controls, DEL and C1 controls (which include the 8-bit CSI of terminal escapes).
// eslint-disable-next-line no-control-regex -- finds control characters
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * The problem with `text` as a name of at most `max` characters, or `undefined` when it is fine:
 * empty, blank, too long, or holding a control character.
 */
export function textProblem(text: string, max: number): string | undefined {
  const length = [...text].length;
  if (text.trim() === '') return 'must not be empty';
  if (length > max) return `at most ${max} characters, got ${length}`;
  if (CONTROL.test(text)) return 'must not contain control characters';
  return undefined;
}

/**
 * Checks a run id: 1 to 1,000 characters, no control characters, no `.` or `..` path segment
 * (ids may hold `/`: a child run's id is `<run id>/<node id>`).
 *
 * @param where the id's name in the message. Default: `id`.
 * @throws {UsageError} naming `where` and the problem.
 */
export function checkRunId(id: string, where = 'id'): string {
  const problem = textProblem(id, MAX_RUN_ID_LENGTH) ?? (id.split(/[/\\]/).some((s) => s === '.' || s === '..') ? 'must not contain a "." or ".." path segment' : undefined);
  if (problem) throw new UsageError(`${where}: ${problem}`);
  return id;
}

/** A run's labels as a start takes them. */
export interface RunLabels {
  tags?: readonly string[];
  groups?: readonly string[];
  user?: string;
  site?: string;
}

/**
 * Checks a start's tags, groups, user and site (see the module comment).
 *
 * @throws {UsageError} naming the first bad one (`tags[1]`, `user`) and its problem.
 */
export function checkRunLabels(labels: RunLabels): void {
  const check = (where: string, text: string, max: number): void => {
    const problem = textProblem(text, max);
    if (problem) throw new UsageError(`${where}: ${problem}`);
  };
  labels.tags?.forEach((tag, i) => check(`tags[${i}]`, tag, MAX_LABEL_LENGTH));
  labels.groups?.forEach((group, i) => check(`groups[${i}]`, group, MAX_LABEL_LENGTH));
  if (labels.user !== undefined) check('user', labels.user, MAX_NAME_LENGTH);
  if (labels.site !== undefined) check('site', labels.site, MAX_NAME_LENGTH);
}

/**
 * Checks a spec's pipeline name as a run takes it: the store keeps it, Temporal indexes it
 * (`TapflowPipeline`) and the default run id starts with it. 1 to 200 characters, no control
 * characters.
 *
 * @throws {UsageError} saying what is wrong with `name`.
 */
export function checkPipelineName(name: string): void {
  const problem = textProblem(name, MAX_NAME_LENGTH);
  if (problem) throw new UsageError(`spec name: ${problem}`);
}
