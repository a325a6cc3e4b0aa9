/**
 * The tapflow logger: JSON lines with the service, a named level and ISO time; its level from the
 * option, else TAPFLOW_LOG_LEVEL, else the default; a name that is not a level refused.
 */
import { Writable } from 'node:stream';
import { UsageError } from '../../src/core/errors';
import { createLogger, LOG_LEVEL_ENV, parseLogLevel } from '../../src/observability/logger';

function capture(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

const saved = process.env[LOG_LEVEL_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[LOG_LEVEL_ENV];
  else process.env[LOG_LEVEL_ENV] = saved;
});

test('a line is one JSON object: service, level by name, ISO time, the fields, an error with its message', async () => {
  delete process.env[LOG_LEVEL_ENV];
  const { stream, lines } = capture();
  const logger = createLogger({ service: 'api', destination: stream });
  logger.info({ workflowId: 'run-1', nodeId: 'a' }, 'hello');
  logger.debug('not at info');
  logger.warn({ error: new Error('boom') }, 'failed');
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({ service: 'api', level: 'info', msg: 'hello', workflowId: 'run-1', nodeId: 'a', pid: process.pid });
  expect(new Date(lines[0]?.time as string).toISOString()).toBe(lines[0]?.time);
  expect(lines[1]).toMatchObject({ level: 'warn', error: { message: 'boom', type: 'Error' } });
});

test('the level: the option, else TAPFLOW_LOG_LEVEL (any case), else the default', () => {
  process.env[LOG_LEVEL_ENV] = 'DEBUG';
  expect(createLogger({ service: 'worker', destination: capture().stream }).level).toBe('debug');
  expect(createLogger({ service: 'worker', level: 'Error', destination: capture().stream }).level).toBe('error');
  delete process.env[LOG_LEVEL_ENV];
  expect(createLogger({ service: 'worker', destination: capture().stream }).level).toBe('info');
  expect(createLogger({ service: 'worker', defaultLevel: 'warn', destination: capture().stream }).level).toBe('warn');
});

test('a name that is not a level is a usage error naming where it came from', () => {
  expect(() => parseLogLevel('loud')).toThrow(new UsageError('TAPFLOW_LOG_LEVEL: "loud" is not a log level (trace, debug, info, warn, error, fatal, silent)'));
  process.env[LOG_LEVEL_ENV] = 'verbose';
  expect(() => createLogger({ service: 'worker' })).toThrow(UsageError);
  expect(() => createLogger({ service: 'worker', level: 'chatty' })).toThrow(/^--log-level: "chatty"/);
});
