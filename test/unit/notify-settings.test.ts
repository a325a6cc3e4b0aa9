/**
 * Webhooks named in a spec's `notify` and in a deployment's settings: what validation refuses,
 * each problem at its place, and how the worker's environment and flags are read.
 */
import { UsageError } from '../../src/core/errors';
import { formatProblem, validateSpec } from '../../src/core/validate';
import { checkNotificationSettings, notificationSettingsFromEnv } from '../../src/notifications/notification-settings';
import { retryDelay, DEFAULT_RETRY_SCHEDULE } from '../../src/notifications/retry-schedule';
import { webhookTargets } from '../../src/notifications/webhook-targets';

const nodes = [{ id: 'a', activity: 'step' }];

function problems(notify: unknown): string[] {
  const result = validateSpec({ name: 'p', nodes, notify });
  return result.ok ? [] : result.problems.map(formatProblem);
}

test('a valid notify is taken', () => {
  expect(problems([{ url: 'https://hooks.example.com/tapflow?team=a', events: ['failed', 'held', 'queued>10m'], secret: 'ORDERS' }, { url: 'http://10.0.0.1:8080/x' }])).toEqual([]);
});

test('every problem of a bad notify is listed at its place', () => {
  expect(
    problems([
      { url: 'ftp://hooks.example.com/x', events: ['failed', 'finished', 'queued', 'queued>soon', 'failed>1m', 'failed'] },
      { events: [] },
      'https://x.example.com',
      { url: 'https://user:pw@hooks.example.com/', secret: 'whsec_actual-key', header: 'x' },
      { url: 'https://a.example.com/same' },
      { url: 'https://a.example.com/same' },
    ]),
  ).toEqual([
    'notify[0].url: "ftp://hooks.example.com/x" is not an http:// or https:// URL (user names and passwords in the URL are not taken)',
    'notify[0].events[1]: unknown event "finished"; expected one of "held", "failed", "completed", "cancelled", "terminated", "queued>D"',
    'notify[0].events[2]: "queued" needs a duration: write "queued>10m" (queued longer than 10 minutes)',
    'notify[0].events[3]: "soon" is not a duration; use e.g. "queued>10m"',
    'notify[0].events[4]: only "queued" takes a duration ("queued>10m")',
    'notify[0].events[5]: "failed" is listed twice',
    'notify[1].url: missing: a webhook needs a url',
    'notify[1].events: must name at least one event (leave it out for the default events)',
    'notify[2]: must be an object with a "url", got "https://x.example.com"',
    'notify[3].header: unknown field; a webhook has "url", "events" and "secret"',
    'notify[3].url: "https://user:pw@hooks.example.com/" is not an http:// or https:// URL (user names and passwords in the URL are not taken)',
    expect.stringMatching(/^notify\[3\]\.secret: must be a key's name .*never the key itself$/),
    'notify[5].url: the same URL as notify[4]: name a webhook once, with all its events',
  ]);
  expect(problems({ url: 'https://x.example.com' })).toEqual([expect.stringMatching(/^notify: must be an array of webhooks/)]);
});

test('a child pipeline may name its own webhooks, checked at its place', () => {
  const result = validateSpec({ name: 'p', nodes: [{ id: 'c', kind: 'pipeline', pipeline: { name: 'child', nodes, notify: [{ url: 'nope' }] } }] });
  expect(result.ok ? [] : result.problems.map(formatProblem)).toEqual([
    'nodes[0].pipeline.notify[0].url: "nope" is not an http:// or https:// URL (user names and passwords in the URL are not taken)',
  ]);
});

test('the environment and flags name the deployment webhooks and keys', () => {
  expect(notificationSettingsFromEnv({}, {})).toBeUndefined();
  const settings = notificationSettingsFromEnv(
    {
      TAPFLOW_WEBHOOKS: '[{"url": "https://b.example.com/h", "events": ["queued>5m"], "secret": "OPS"}]',
      TAPFLOW_WEBHOOK_SECRET: 'k0',
      TAPFLOW_WEBHOOK_SECRET_OPS: 'k1',
      TAPFLOW_CONSOLE_URL: 'https://tapflow.example.com',
    },
    { webhooks: ['https://a.example.com/h'], webhookEvents: 'failed, held' },
  );
  expect(settings).toEqual({
    webhooks: [{ url: 'https://a.example.com/h', events: ['failed', 'held'] }, { url: 'https://b.example.com/h', events: ['queued>5m'], secret: 'OPS' }],
    secret: 'k0',
    secrets: { OPS: 'k1' },
    consoleUrl: 'https://tapflow.example.com',
  });
  expect(notificationSettingsFromEnv({ TAPFLOW_WEBHOOKS: 'https://a.example.com/1 https://a.example.com/2', TAPFLOW_WEBHOOK_SECRET: 'k' })?.webhooks).toEqual([
    { url: 'https://a.example.com/1' },
    { url: 'https://a.example.com/2' },
  ]);
  // A key alone: the specs' webhooks are delivered.
  expect(notificationSettingsFromEnv({ TAPFLOW_WEBHOOK_SECRET: 'k' })).toEqual({ webhooks: [], secret: 'k', secrets: {} });
});

test('bad deployment settings are one usage error naming each problem', () => {
  const run = (env: NodeJS.ProcessEnv, flags = {}) => {
    try {
      notificationSettingsFromEnv(env, flags);
      return undefined;
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
  };
  expect(run({}, { webhooks: ['https://a.example.com/'] })).toMatch(/webhooks\[0\]: no key to sign it: set TAPFLOW_WEBHOOK_SECRET/);
  expect(run({ TAPFLOW_WEBHOOK_SECRET: 'k' }, { webhooks: ['nope'], webhookEvents: 'failed,soon' })).toBe(
    'webhooks: --webhook[0].url: "nope" is not an http:// or https:// URL (user names and passwords in the URL are not taken); --webhook[0].events[1]: unknown event "soon"; expected one of "held", "failed", "completed", "cancelled", "terminated", "queued>D"',
  );
  expect(run({ TAPFLOW_WEBHOOKS: '[{"url": 1}', TAPFLOW_WEBHOOK_SECRET: 'k' })).toMatch(/^webhooks: TAPFLOW_WEBHOOKS: is not JSON/);
  expect(run({ TAPFLOW_WEBHOOKS: '[{"url": "https://a.example.com", "secret": "OPS"}]', TAPFLOW_WEBHOOK_SECRET: 'k' })).toMatch(
    /webhooks\[0\]\.secret: no key named "OPS": set TAPFLOW_WEBHOOK_SECRET_OPS/,
  );
  expect(() => checkNotificationSettings({ secret: 'k', pollMs: 0, retry: { jitter: 1 } })).toThrow('notifications: pollMs: must be a whole number of at least 1; retry.jitter: must be from 0 to less than 1');
});

test('which webhooks hear an event: the deployment first, each URL once, queued with its wait', () => {
  const deployment = [{ url: 'https://a.example.com/' }, { url: 'https://q.example.com/', events: ['queued>1m'] }];
  const spec = [{ url: 'https://a.example.com/', events: ['failed'], secret: 'X' }, { url: 'https://s.example.com/', events: ['failed', 'queued>30s'], secret: 'S' }];
  expect(webhookTargets('failed', deployment, spec)).toEqual([
    { url: 'https://a.example.com/', source: 'deployment', secretName: null, afterMs: 0 },
    { url: 'https://s.example.com/', source: 'spec', secretName: 'S', afterMs: 0 },
  ]);
  expect(webhookTargets('queued', deployment, spec).map((t) => [t.url, t.afterMs])).toEqual([
    ['https://q.example.com/', 60_000],
    ['https://s.example.com/', 30_000],
  ]);
  expect(webhookTargets('completed', deployment, spec).map((t) => t.url)).toEqual(['https://a.example.com/']);
});

test('the default backoff: 10 attempts over hours, growing to a cap, with jitter taken off', () => {
  const none = () => 0;
  const waits = Array.from({ length: 9 }, (_, i) => retryDelay(DEFAULT_RETRY_SCHEDULE, i + 1, none)!);
  expect(waits).toEqual([10_000, 30_000, 90_000, 270_000, 810_000, 2_430_000, 7_200_000, 7_200_000, 7_200_000]);
  expect(retryDelay(DEFAULT_RETRY_SCHEDULE, 10)).toBeUndefined();
  expect(retryDelay(DEFAULT_RETRY_SCHEDULE, 1, () => 1)).toBe(8_000);
});
