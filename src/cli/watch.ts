/** `tapflow watch ID`: live progress in the terminal until the run ends. */
import { UsageError } from '../core/errors';
import { isFinal, type RunStatus } from '../core/states';
import { print, printJson, withClient, type GlobalOptions } from './io';
import { progressBar, renderStatus } from './render';

/** Options of `watch`. */
export interface WatchOptions extends GlobalOptions {
  /** Milliseconds between polls. Default: 500. */
  interval?: string;
}

/**
 * Redraws the status in place on a terminal (one line per change otherwise, one JSON object
 * per change with `--json`) until the run ends. Exit code 0 when it completed, 1 otherwise.
 *
 * @throws {RunNotFoundError} for an unknown id.
 */
export function watchCommand(id: string, options: WatchOptions): Promise<number> {
  const interval = parseInterval(options.interval);
  const tty = Boolean(process.stdout.isTTY) && !options.json;
  return withClient(options, async (client) => {
    let last = '';
    let drawnLines = 0;
    for (;;) {
      const status = await client.getStatus(id);
      const key = fingerprint(status);
      if (options.json) {
        if (key !== last) printJson(status);
      } else if (tty) {
        const lines = renderStatus(status, true);
        if (drawnLines > 0) process.stdout.write(`\u001b[${drawnLines}A\u001b[0J`);
        print(...lines);
        drawnLines = lines.length;
      } else if (key !== last) {
        print(`${new Date().toISOString()}  ${status.state.padEnd(10)} ${progressBar(status)}`);
      }
      last = key;
      if (isFinal(status.state)) {
        if (!tty && !options.json && status.reason) print(status.reason);
        return status.state === 'completed' ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  });
}

function fingerprint(status: RunStatus): string {
  return `${status.state}|${status.nodes.map((n) => `${n.state}${n.attempts}`).join(',')}`;
}

/**
 * `--interval`: whole milliseconds, at least 100 (smaller is taken as 100). A value that is not a
 * number is refused rather than replaced by the default: a typo would otherwise watch on silently.
 */
function parseInterval(text: string | undefined): number {
  if (text === undefined) return 500;
  if (!/^\s*\d+\s*$/.test(text)) throw new UsageError(`--interval: expected milliseconds as a whole number, got ${JSON.stringify(text)}`);
  return Math.max(100, Number(text));
}
