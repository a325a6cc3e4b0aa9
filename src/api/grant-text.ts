/**
 * Grants written as text for the command line: `PIPELINE:ACTION[+ACTION...]`, comma-separated,
 * e.g. `thumbnails:read+control,*:read`. Pure: no I/O.
 */
import { UsageError } from '../core/errors';
import { API_ACTIONS, type ApiAction, type Grant } from './permissions';

/** An example of the syntax, for messages. */
export const GRANT_EXAMPLE = 'thumbnails:read+control,*:read';

// A spec's name may be any non-empty string (src/core/validate.ts); a grant can name every
// pipeline whose name has none of the characters the syntax uses and no control characters.
// eslint-disable-next-line no-control-regex -- refuses control characters
const FORBIDDEN_IN_NAME = /[,:+\u0000-\u001f\u007f]/;

/**
 * Reads grants from their text. Spaces around the parts are ignored; a pipeline named twice
 * gets the actions of both, and each grant's actions come in the order of {@link API_ACTIONS}.
 *
 * @throws {UsageError} with one line naming the bad part: an empty text or grant, a grant
 *   without exactly one `:`, a bad pipeline name, an empty or unknown action.
 */
export function parseGrants(text: string): Grant[] {
  if (text.trim() === '') throw new UsageError(`--grant: must not be empty; e.g. ${GRANT_EXAMPLE}`);
  const byPipeline = new Map<string, Set<ApiAction>>();
  text.split(',').forEach((raw, index) => {
    const part = raw.trim();
    if (part === '') throw new UsageError(`--grant: grant ${index + 1} is empty (a stray comma?); e.g. ${GRANT_EXAMPLE}`);
    const pieces = part.split(':');
    if (pieces.length !== 2) throw new UsageError(`--grant: "${part}" is not PIPELINE:ACTION[+ACTION...]; e.g. ${GRANT_EXAMPLE}`);
    const pipeline = (pieces[0] ?? '').trim();
    checkPipeline(pipeline, part);
    const actions = byPipeline.get(pipeline) ?? new Set<ApiAction>();
    for (const word of (pieces[1] ?? '').split('+')) actions.add(checkAction(word.trim(), part));
    byPipeline.set(pipeline, actions);
  });
  return [...byPipeline].map(([pipeline, actions]) => ({ pipeline, actions: API_ACTIONS.filter((a) => actions.has(a)) }));
}

/** Grants as {@link parseGrants} reads them: `thumbnails:read+control,*:read`. */
export function formatGrants(grants: readonly Grant[]): string {
  return grants.map((g) => `${g.pipeline}:${g.actions.join('+')}`).join(',');
}

function checkPipeline(pipeline: string, part: string): void {
  if (pipeline === '') throw new UsageError(`--grant: "${part}" names no pipeline; give a pipeline name or *`);
  if (pipeline !== '*' && (pipeline.includes('*') || FORBIDDEN_IN_NAME.test(pipeline))) {
    throw new UsageError(`--grant: "${pipeline}" is not a pipeline name or *: a name cannot hold ",", ":", "+", "*" or control characters`);
  }
}

function checkAction(word: string, part: string): ApiAction {
  if (word === '') throw new UsageError(`--grant: "${part}" has an empty action; actions are ${API_ACTIONS.join(', ')}`);
  if (!API_ACTIONS.includes(word as ApiAction)) {
    throw new UsageError(`--grant: unknown action "${word}" in "${part}"; actions are ${API_ACTIONS.join(', ')}`);
  }
  return word as ApiAction;
}
