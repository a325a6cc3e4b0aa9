/**
 * Notifications over a real store and a real HTTP receiver: run writes through the store's own
 * write path (`upsertRun`, what the run write queue, the record activity and the reconciler call)
 * become run events; the dispatcher fans them out to the deployment's and the spec's webhooks,
 * once per webhook however often a state is written, signs each POST, retries a failing receiver
 * with backoff recording every attempt, stops on 410, gives up after the last attempt, tells a
 * `queued>D` webhook of a run queued that long (once per queued spell) and skips a run that left
 * the queue first. Two dispatchers on one store never send a delivery twice.
 */
import type { PipelineSpec } from '../../src/core/types';
import { NotificationDispatcher, type NotificationDispatcherOptions } from '../../src/notifications/notification-dispatcher';
import type { NotificationPayload } from '../../src/notifications/notification-payload';
import { listRunNotifications } from '../../src/store/sql/list-run-notifications';
import { upsertRun } from '../../src/store/sql/upsert-run';
import { createWorkerMetrics } from '../../src/observability/metrics';
import { delay, eventually } from '../helpers/poll';
import { databasePerTest } from '../helpers/postgres';
import { signatureValid, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const t = databasePerTest();
const KEY = 'whsec-default-test-key';
const ORDERS_KEY = 'whsec-orders-test-key';
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
});

function dispatcher(options: Partial<NotificationDispatcherOptions> = {}): NotificationDispatcher {
  return new NotificationDispatcher({
    pool: t.db.pool,
    secret: KEY,
    secrets: { ORDERS: ORDERS_KEY },
    consoleUrl: 'https://tapflow.example.com/',
    retry: { initialMs: 30, factor: 2, maxMs: 200, jitter: 0, maxAttempts: 10 },
    timeoutMs: 5_000,
    ...options,
  });
}

/** Turns `d` until `done` holds, as the worker's loop would. */
async function dispatchUntil(d: NotificationDispatcher, what: string, done: () => boolean): Promise<void> {
  await eventually(what, async () => {
    await d.dispatch();
    return done() ? true : undefined;
  }, { intervalMs: 20 });
}

const spec = (notify: PipelineSpec['notify']): PipelineSpec => ({ name: 'orders', nodes: [{ id: 'a', activity: 'step' }], notify });

test('a run ending is told once to each webhook that hears it, signed, however often the state is written', async () => {
  const d = dispatcher({ webhooks: [{ url: `${receiver.base}/ops` }] });
  const id = 'order-1';
  await upsertRun(t.db.pool, {
    workflowId: id,
    pipeline: 'orders',
    pipelineVersion: 3,
    state: 'running',
    seq: 1,
    spec: spec([
      { url: `${receiver.base}/team`, events: ['completed', 'failed'], secret: 'ORDERS' },
      { url: `${receiver.base}/held-only`, events: ['held'] },
    ]),
  });
  await upsertRun(t.db.pool, { workflowId: id, pipeline: 'orders', state: 'running', seq: 2, progressCompleted: 1, progressTotal: 1 });
  await upsertRun(t.db.pool, { workflowId: id, pipeline: 'orders', state: 'completed', seq: 3, reason: 'all nodes completed' });
  // The same end again (the final record after the live write) and a duplicate delivery of it.
  await upsertRun(t.db.pool, { workflowId: id, pipeline: 'orders', state: 'completed', seq: 4, result: { a: 1 } });
  await upsertRun(t.db.pool, { workflowId: id, pipeline: 'orders', state: 'completed', seq: 4, result: { a: 1 } });

  await dispatchUntil(d, 'both webhooks told', () => receiver.at('/ops').length >= 1 && receiver.at('/team').length >= 1);
  await d.dispatch();
  await delay(50);
  await d.dispatch();

  expect(receiver.at('/ops')).toHaveLength(1);
  expect(receiver.at('/team')).toHaveLength(1);
  expect(receiver.at('/held-only')).toHaveLength(0);
  const [ops] = receiver.at('/ops');
  const [team] = receiver.at('/team');
  // Each with its own key: the deployment's default, the spec's named one.
  expect(signatureValid(ops!, KEY)).toBe(true);
  expect(signatureValid(team!, ORDERS_KEY)).toBe(true);
  expect(signatureValid(team!, KEY)).toBe(false);
  expect(ops!.headers['content-type']).toBe('application/json');
  expect(ops!.headers['tapflow-event']).toBe('completed');
  const payload = JSON.parse(ops!.body) as NotificationPayload;
  expect(payload).toEqual({
    id: ops!.headers['tapflow-delivery'],
    event: 'completed',
    runId: id,
    pipeline: 'orders',
    pipelineVersion: 3,
    state: 'completed',
    reason: 'all nodes completed',
    at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    consoleUrl: 'https://tapflow.example.com/console/#/runs/order-1',
  });
  expect(JSON.parse(team!.body).id).not.toBe(payload.id);

  const records = await listRunNotifications(t.db.pool, id);
  expect(records.map((r) => [r.event, r.source, r.status, r.attempts, r.target])).toEqual(
    expect.arrayContaining([
      ['completed', 'deployment', 'delivered', 1, receiver.base],
      ['completed', 'spec', 'delivered', 1, receiver.base],
    ]),
  );
  expect(records).toHaveLength(2);
  expect(records[0]!.attemptLog).toEqual([
    expect.objectContaining({ attempt: 1, statusCode: 200, outcome: 'delivered', error: null, nextAttemptAt: null }),
  ]);
});

test('held, failed, cancelled and terminated runs are told; a run held twice is told twice', async () => {
  const d = dispatcher({ webhooks: [{ url: `${receiver.base}/all`, events: ['held', 'failed', 'cancelled', 'terminated'] }] });
  const write = (workflowId: string, state: 'running' | 'held' | 'failed' | 'cancelled' | 'terminated', seq: number, reason?: string) =>
    upsertRun(t.db.pool, { workflowId, pipeline: 'p', state, seq, ...(reason ? { reason } : {}) });
  await write('r-held', 'running', 1);
  await write('r-held', 'held', 2, 'node a failed: boom');
  await write('r-held', 'running', 3);
  await write('r-held', 'held', 4, 'node a failed again');
  await write('r-failed', 'failed', 1, 'node a failed: boom');
  await write('r-cancelled', 'cancelled', 1, 'operator: stop');
  await write('r-terminated', 'running', 1);
  await write('r-terminated', 'terminated', 2, 'operator pulled the plug');

  await dispatchUntil(d, 'five events told', () => receiver.at('/all').length >= 5);
  await d.dispatch();
  const told = receiver.at('/all').map((r) => JSON.parse(r.body) as NotificationPayload);
  expect(told.map((p) => `${p.runId} ${p.event} ${p.reason}`).sort()).toEqual([
    'r-cancelled cancelled operator: stop',
    'r-failed failed node a failed: boom',
    'r-held held node a failed again',
    'r-held held node a failed: boom',
    'r-terminated terminated operator pulled the plug',
  ]);
  expect(receiver.at('/all').every((r) => signatureValid(r, KEY))).toBe(true);
});

test('a failing receiver is retried with backoff, the same delivery each time, every attempt recorded', async () => {
  const metrics = createWorkerMetrics();
  const d = dispatcher({ webhooks: [{ url: `${receiver.base}/flaky`, events: ['failed'] }], metrics });
  receiver.script('/flaky', 500, 500);
  await upsertRun(t.db.pool, { workflowId: 'r-flaky', pipeline: 'p', state: 'failed', reason: 'boom' });

  await dispatchUntil(d, 'delivered on the third attempt', () => receiver.at('/flaky').some((r) => r.status === 200));
  const requests = receiver.at('/flaky');
  expect(requests.map((r) => r.status)).toEqual([500, 500, 200]);
  expect(new Set(requests.map((r) => r.headers['tapflow-delivery'])).size).toBe(1);
  expect(new Set(requests.map((r) => r.body)).size).toBe(1);
  expect(requests.map((r) => r.headers['tapflow-attempt'])).toEqual(['1', '2', '3']);
  expect(requests.every((r) => signatureValid(r, KEY))).toBe(true);

  const [record] = await listRunNotifications(t.db.pool, 'r-flaky');
  expect(record).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null, nextAttemptAt: null });
  expect(record!.attemptLog.map((a) => [a.attempt, a.statusCode, a.outcome, a.error])).toEqual([
    [1, 500, 'retry', 'HTTP 500'],
    [2, 500, 'retry', 'HTTP 500'],
    [3, 200, 'delivered', null],
  ]);
  // Each retry was due after the attempt before it, and was not sent before it was due.
  const [first, second, third] = record!.attemptLog;
  expect(Date.parse(first!.nextAttemptAt!)).toBeGreaterThan(Date.parse(first!.startedAt));
  expect(Date.parse(second!.startedAt)).toBeGreaterThanOrEqual(Date.parse(first!.nextAttemptAt!));
  expect(Date.parse(third!.startedAt)).toBeGreaterThanOrEqual(Date.parse(second!.nextAttemptAt!));
  // The backoff grows: 30 ms, then 60 ms.
  expect(Date.parse(second!.nextAttemptAt!) - Date.parse(second!.startedAt)).toBeGreaterThan(Date.parse(first!.nextAttemptAt!) - Date.parse(first!.startedAt));

  const text = await metrics.registry.metrics();
  expect(text).toContain('tapflow_notification_attempts_total{event="failed",outcome="retry"} 2');
  expect(text).toContain('tapflow_notification_attempts_total{event="failed",outcome="delivered"} 1');
});

test('a receiver that never answers 2xx is given up after the last attempt; 410 Gone stops at once', async () => {
  const d = dispatcher({
    webhooks: [{ url: `${receiver.base}/down`, events: ['failed'] }, { url: `${receiver.base}/gone`, events: ['failed'] }],
    retry: { initialMs: 10, factor: 1, maxMs: 10, jitter: 0, maxAttempts: 3 },
  });
  receiver.script('/down', 503, 503, 503, 503);
  receiver.script('/gone', 410);
  await upsertRun(t.db.pool, { workflowId: 'r-down', pipeline: 'p', state: 'failed' });

  await eventually('both ended', async () => {
    await d.dispatch();
    const records = await listRunNotifications(t.db.pool, 'r-down');
    return records.length === 2 && records.every((r) => r.status !== 'pending') ? records : undefined;
  }, { intervalMs: 20 });
  await delay(50);
  await d.dispatch();
  expect(receiver.at('/down').map((r) => r.status)).toEqual([503, 503, 503]);
  expect(receiver.at('/gone').map((r) => r.status)).toEqual([410]);
  const records = await listRunNotifications(t.db.pool, 'r-down');
  const down = records.find((r) => r.attemptLog.length === 3);
  const gone = records.find((r) => r.attemptLog.length === 1);
  expect(down).toMatchObject({ status: 'failed', attempts: 3, lastStatusCode: 503, lastError: 'gave up after 3 attempts: HTTP 503', nextAttemptAt: null });
  expect(down!.finishedAt).toEqual(expect.any(String));
  expect(gone).toMatchObject({ status: 'failed', lastStatusCode: 410, lastError: expect.stringContaining('410 Gone') });
});

test('a network error is recorded and retried like a failing status', async () => {
  const d = dispatcher({ webhooks: [{ url: 'http://127.0.0.1:1/nothing-listens', events: ['failed'] }], retry: { initialMs: 10_000, jitter: 0 } });
  await upsertRun(t.db.pool, { workflowId: 'r-refused', pipeline: 'p', state: 'failed' });
  await d.dispatch();
  const [record] = await listRunNotifications(t.db.pool, 'r-refused');
  expect(record).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null });
  expect(record!.lastError).toMatch(/ECONNREFUSED|fetch failed/);
  expect(Date.parse(record!.nextAttemptAt!) - Date.parse(record!.attemptLog[0]!.startedAt)).toBeGreaterThanOrEqual(9_000);
});

test('a run queued longer than D is told once per queued spell; one that left the queue in time is not', async () => {
  const d = dispatcher({ webhooks: [{ url: `${receiver.base}/queue`, events: ['queued>400ms'] }] });
  await upsertRun(t.db.pool, { workflowId: 'r-waits', pipeline: 'p', state: 'queued', seq: 1 });
  await upsertRun(t.db.pool, { workflowId: 'r-moves', pipeline: 'p', state: 'queued', seq: 1 });
  await d.dispatch();
  // Both have a delivery waiting for its time; nothing is sent before it.
  expect(receiver.at('/queue')).toHaveLength(0);
  expect((await listRunNotifications(t.db.pool, 'r-waits')).map((r) => r.status)).toEqual(['pending']);
  await upsertRun(t.db.pool, { workflowId: 'r-moves', pipeline: 'p', state: 'running', seq: 2 });
  // Written queued again, the same spell: nothing new.
  await upsertRun(t.db.pool, { workflowId: 'r-waits', pipeline: 'p', state: 'queued', seq: 2, progressTotal: 1 });

  await dispatchUntil(d, 'the waiting run told', () => receiver.at('/queue').length >= 1);
  await delay(450);
  await d.dispatch();
  const told = receiver.at('/queue').map((r) => JSON.parse(r.body) as NotificationPayload);
  expect(told).toHaveLength(1);
  expect(told[0]).toMatchObject({ event: 'queued', runId: 'r-waits', state: 'queued', queuedForMs: 400 });
  const moved = await listRunNotifications(t.db.pool, 'r-moves');
  expect(moved).toMatchObject([{ status: 'skipped', attempts: 0 }]);

  // A new spell (running, then queued again) is told again.
  await upsertRun(t.db.pool, { workflowId: 'r-waits', pipeline: 'p', state: 'running', seq: 3 });
  await upsertRun(t.db.pool, { workflowId: 'r-waits', pipeline: 'p', state: 'queued', seq: 4 });
  await dispatchUntil(d, 'the second spell told', () => receiver.at('/queue').length >= 2);
  expect((await listRunNotifications(t.db.pool, 'r-waits')).map((r) => r.status)).toEqual(['delivered', 'delivered']);
});

test('two dispatchers on one store send each delivery once', async () => {
  const [a, b] = [dispatcher({ webhooks: [{ url: `${receiver.base}/shared` }] }), dispatcher({ webhooks: [{ url: `${receiver.base}/shared` }] })];
  for (let i = 0; i < 30; i++) await upsertRun(t.db.pool, { workflowId: `r-${i}`, pipeline: 'p', state: 'completed' });
  await eventually('all told', async () => {
    await Promise.all([a.dispatch(), b.dispatch()]);
    return receiver.at('/shared').length >= 30 ? true : undefined;
  }, { intervalMs: 20 });
  await Promise.all([a.dispatch(), b.dispatch()]);
  const runs = receiver.at('/shared').map((r) => (JSON.parse(r.body) as NotificationPayload).runId);
  expect(runs).toHaveLength(30);
  expect(new Set(runs).size).toBe(30);
});

test('a worker without the key a webhook names sends nothing unsigned, and records why', async () => {
  const d = dispatcher({ secrets: {}, retry: { initialMs: 10_000, jitter: 0 } });
  await upsertRun(t.db.pool, {
    workflowId: 'r-nokey',
    pipeline: 'p',
    state: 'failed',
    spec: spec([{ url: `${receiver.base}/keyed`, events: ['failed'], secret: 'MISSING' }]),
  });
  await d.dispatch();
  expect(receiver.at('/keyed')).toHaveLength(0);
  const [record] = await listRunNotifications(t.db.pool, 'r-nokey');
  expect(record).toMatchObject({ status: 'pending', source: 'spec', lastError: expect.stringContaining('TAPFLOW_WEBHOOK_SECRET_MISSING') });
});

test('events older than the age limit when first seen are not delivered', async () => {
  await upsertRun(t.db.pool, { workflowId: 'r-old', pipeline: 'p', state: 'failed' });
  await delay(30);
  const d = dispatcher({ webhooks: [{ url: `${receiver.base}/late` }], maxEventAgeMs: 10 });
  expect(await d.dispatch()).toMatchObject({ events: 1, deliveries: 0 });
  expect(await listRunNotifications(t.db.pool, 'r-old')).toEqual([]);
  expect(receiver.at('/late')).toHaveLength(0);
});
