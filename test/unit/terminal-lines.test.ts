/** `tapflow dev`'s terminal lines: one short line per log line, a failed attempt in its own words. */
import { terminalDestination, terminalLine } from '../../src/observability/terminal-lines';

test('a failed attempt: run, node, attempt and the message once, without token, payload or stack', () => {
  const line = JSON.stringify({
    level: 'warn',
    msg: 'Activity failed',
    workflowId: 'thumbs-1',
    activityId: 'resize',
    nodeId: 'resize',
    attempt: 3,
    taskToken: 'CiQ2YjU4...',
    error: { type: 'ApplicationFailure', message: 'no such file: a.png: no such file: a.png', stack: 'ApplicationFailure: ...\n    at resize' },
  });
  expect(terminalLine(line)).toBe('attempt failed  run thumbs-1  node resize  attempt 3: no such file: a.png');
});

test('any other line: level, message, the run and node it names, and the first line of its error', () => {
  expect(terminalLine(JSON.stringify({ level: 'warn', msg: 'node failed', workflowId: 'r', nodeId: 'n', error: { message: 'boom\nmore' } }))).toBe('warn  node failed  run r  node n: boom');
  expect(terminalLine(JSON.stringify({ level: 'error', msg: 'store unreachable' }))).toBe('error store unreachable');
});

test('a line that is not JSON is passed on as it is; the destination writes one line each', () => {
  expect(terminalLine('plain text\n')).toBe('plain text');
  const out: string[] = [];
  terminalDestination({ write: (t: string) => out.push(t) }).write(`${JSON.stringify({ level: 'info', msg: 'ready' })}\n`);
  expect(out).toEqual(['info  ready\n']);
});
