/**
 * Log lines for a person's terminal (`tapflow dev`): each JSON line the logger writes becomes one
 * short line. A failed node attempt, which the SDK logs with its task token, payloads and stack,
 * reads `attempt failed  run <id>  node <id>  attempt <n>: <message>`; anything else reads
 * `<level> <message>` with the run and node when the line names them. `worker` and `api`, and
 * `tapflow dev --log-json`, keep the JSON lines a log shipper reads.
 */
import type { DestinationStream } from 'pino';

/** A pino destination that writes each line as {@link terminalLine} says, to `out` (default: stderr). */
export function terminalDestination(out: { write(text: string): unknown } = process.stderr): DestinationStream {
  return {
    write(line: string): void {
      const text = terminalLine(line);
      if (text) out.write(`${text}\n`);
    },
  };
}

/** One short line for one JSON log line; `undefined` for a line that is not JSON (written as it is by the caller). */
export function terminalLine(json: string): string | undefined {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd() || undefined;
  }
  const message = String(entry.msg ?? '');
  const error = firstLine(errorMessage(entry.error ?? entry.err));
  const run = text(entry.workflowId);
  const node = text(entry.nodeId) ?? text(entry.activityId);
  if (message === 'Activity failed' || message === 'Activity task failed') {
    return `attempt failed  run ${run ?? '?'}  node ${node ?? '?'}  attempt ${text(entry.attempt) ?? '?'}: ${error ?? 'no message'}`;
  }
  const where = [run && `run ${run}`, node && `node ${node}`].filter(Boolean).join('  ');
  return `${String(entry.level ?? 'info').padEnd(5)} ${message}${where ? `  ${where}` : ''}${error ? `: ${error}` : ''}`;
}

function errorMessage(error: unknown): string | undefined {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return undefined;
}

function firstLine(value: string | undefined): string | undefined {
  const line = value?.split('\n')[0];
  // An error that wraps another with the same message reads "X: X" once its causes are joined.
  const half = line === undefined ? -1 : (line.length - 2) / 2;
  return line && Number.isInteger(half) && line.slice(0, half) === line.slice(half + 2) && line.slice(half, half + 2) === ': ' ? line.slice(0, half) : line;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
