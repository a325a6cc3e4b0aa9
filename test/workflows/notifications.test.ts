/**
 * Notifications from real runs: a worker with a store and notifications (`createWorker`'s
 * `notifications`) tells a real HTTP receiver of runs completing, failing, held and cancelled, and
 * of a run Temporal terminated once the run reconciler has written it: exactly one signed POST per
 * webhook and event, to the deployment's webhook and to the one a spec names in `notify`; and of a
 * run left queued (a concurrency limit) longer than its webhook says. Real dev server (the
 * reconciler asks its visibility), real PostgreSQL.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { RunReconciler } from '../../src/control/run-reconciler';
import type { PipelineSpec } from '../../src/core/types';
import type { NotificationPayload } from '../../src/notifications/notification-payload';
import { AttemptRecorder } from '../../src/store/attempt-recorder';
import { getRun } from '../../src/store/sql/get-run';
import { listAttempts } from '../../src/store/sql/list-attempts';
import { listRunNotifications } from '../../src/store/sql/list-run-notifications';
import { delay, eventually } from '../helpers/poll';
import { freshDatabase, startTestPostgres, type TestDatabase } from '../helpers/postgres';
import type { EmbeddedPostgres } from '../../src/devstack/embedded-postgres';
import { devServerEnv } from '../helpers/temporal';
import { startRig, uniqueTaskQueue, type TestRig } from '../helpers/worker';
import { signatureValid, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';

const KEY = 'whsec-workflow-test';
let env: TestWorkflowEnvironment;
let server: EmbeddedPostgres;
let db: TestDatabase;
let recorder: AttemptRecorder;
let rig: TestRig;
let receiver: WebhookReceiver;

beforeAll(async () => {
  [env, server, receiver] = await Promise.all([devServerEnv(), startTestPostgres(), startWebhookReceiver()]);
  db = await freshDatabase(server);
  recorder = new AttemptRecorder(db.pool, { lingerMs: 20 });
  recorder.start();
  rig = await startRig(env, uniqueTaskQueue('notify'), {
    store: { pool: db.pool, recorder },
    // Swept by hand below, so the test says when.
    runReconciler: false,
    notifications: {
      webhooks: [{ url: `${receiver.base}/ops` }],
      secret: KEY,
      consoleUrl: 'https://tapflow.example.com',
      pollMs: 50,
      retry: { initialMs: 50, jitter: 0 },
    },
  });
});
afterAll(async () => {
  await rig?.stop();
  await recorder?.drain();
  await db?.end();
  await Promise.all([server?.stop(), env?.teardown(), receiver?.close()]);
});

/** The payloads `path` got for run `id`. */
function told(path: string, id: string): NotificationPayload[] {
  return receiver
    .at(path)
    .map((r) => JSON.parse(r.body) as NotificationPayload)
    .filter((p) => p.runId === id);
}

async function toldOnce(path: string, id: string, event: string): Promise<NotificationPayload> {
  return eventually(`${path} told ${event} of ${id}`, () => told(path, id).find((p) => p.event === event), { intervalMs: 50 });
}

test('runs completing, failing, held and cancelled are told once per webhook, signed', async () => {
  const stamp = Date.now();
  const ok: PipelineSpec = { name: 'notify-ok', nodes: [{ id: 'a', activity: 'step' }] };
  const failing: PipelineSpec = {
    name: 'notify-fail',
    notify: [{ url: `${receiver.base}/team`, events: ['failed'] }],
    nodes: [{ id: 'a', activity: 'fail', input: { message: 'disk full', nonRetryable: true } }],
  };
  const held: PipelineSpec = { name: 'notify-held', nodes: [{ id: 'a', activity: 'review', input: { review: 'look at it' } }] };
  const [okRun, failRun, heldRun] = await Promise.all([
    rig.tf.startRun(ok, { id: `ok-${stamp}` }),
    rig.tf.startRun(failing, { id: `fail-${stamp}` }),
    rig.tf.startRun(held, { id: `held-${stamp}` }),
  ]);

  const completed = await toldOnce('/ops', okRun.workflowId, 'completed');
  expect(completed).toMatchObject({ pipeline: 'notify-ok', state: 'completed', consoleUrl: `https://tapflow.example.com/console/#/runs/ok-${stamp}` });
  const failed = await toldOnce('/ops', failRun.workflowId, 'failed');
  expect(failed.reason).toContain('disk full');
  const team = await toldOnce('/team', failRun.workflowId, 'failed');
  expect(team.reason).toBe(failed.reason);
  expect(team.id).not.toBe(failed.id);
  const heldTold = await toldOnce('/ops', heldRun.workflowId, 'held');
  expect(heldTold.reason).toContain('look at it');

  await rig.tf.cancel(heldRun.workflowId, { reason: 'not worth it', wait: true });
  const cancelled = await toldOnce('/ops', heldRun.workflowId, 'cancelled');
  expect(cancelled.reason).toContain('not worth it');

  // Every write of these runs has landed (the final records too); nothing more comes.
  await eventually('final rows', async () => {
    const rows = await Promise.all([okRun, failRun, heldRun].map((r) => getRun(db.pool, r.workflowId)));
    return rows.every((r) => r && ['completed', 'failed', 'cancelled'].includes(r.state)) ? true : undefined;
  });
  await delay(300);
  expect(told('/ops', okRun.workflowId).map((p) => p.event)).toEqual(['completed']);
  expect(told('/ops', failRun.workflowId).map((p) => p.event)).toEqual(['failed']);
  expect(told('/team', failRun.workflowId).map((p) => p.event)).toEqual(['failed']);
  expect(told('/ops', heldRun.workflowId).map((p) => p.event)).toEqual(['held', 'cancelled']);
  expect(told('/team', okRun.workflowId)).toEqual([]);
  expect(receiver.received.every((r) => signatureValid(r, KEY))).toBe(true);
  expect((await listRunNotifications(db.pool, heldRun.workflowId)).map((n) => [n.event, n.status])).toEqual([
    ['held', 'delivered'],
    ['cancelled', 'delivered'],
  ]);
});

test('a run Temporal terminated is told once the run reconciler has written it', async () => {
  const id = `terminated-${Date.now()}`;
  const spec: PipelineSpec = {
    name: 'notify-terminated',
    notify: [{ url: `${receiver.base}/team`, events: ['terminated'] }],
    nodes: [{ id: 'long', activity: 'step', input: { sleepMs: 60_000, heartbeatEveryMs: 500 } }],
  };
  await rig.tf.startRun(spec, { id });
  await eventually('the node in flight', async () => ((await listAttempts(db.pool, id)).some((a) => a.outcome === 'running') ? true : undefined));
  await env.client.workflow.getHandle(id).terminate('operator pulled the plug');
  // Nothing is told until the store hears of it: the workflow never runs again.
  await delay(200);
  expect(told('/ops', id)).toEqual([]);

  const reconciler = new RunReconciler({ client: env.client, pool: db.pool, marginMs: 5_000 });
  await eventually('the reconciler writes it', async () => {
    const outcome = await reconciler.sweep();
    return outcome.terminated.includes(id) ? true : undefined;
  }, { intervalMs: 300 });
  const ops = await toldOnce('/ops', id, 'terminated');
  const team = await toldOnce('/team', id, 'terminated');
  expect(ops).toMatchObject({ state: 'terminated', reason: 'operator pulled the plug', pipeline: 'notify-terminated' });
  expect(team.reason).toBe('operator pulled the plug');
  // A second sweep writes nothing new, so tells nothing new.
  await reconciler.sweep();
  await delay(300);
  expect(told('/ops', id)).toHaveLength(1);
  expect(told('/team', id)).toHaveLength(1);
  await reconciler.stop();
});

test('a run queued longer than a webhook says is told once, with how long it waited; one admitted sooner is not', async () => {
  const stamp = Date.now();
  const gated: PipelineSpec = {
    name: 'notify-queued',
    concurrency: { key: `notify-${stamp}`, limit: 1 },
    notify: [{ url: `${receiver.base}/queue`, events: ['queued>1s'] }],
    nodes: [{ id: 'gate', kind: 'event', event: 'go' }],
  };
  const holder = `queue-holder-${stamp}`;
  const waiter = `queue-waiter-${stamp}`;
  await rig.tf.startRun(gated, { id: holder });
  await eventually('the holder to run', async () => ((await rig.tf.getStatus(holder)).state === 'running' ? true : undefined));
  await rig.tf.startRun(gated, { id: waiter });
  const payload = await eventually('the queued waiter told', () => told('/queue', waiter).find((p) => p.event === 'queued'), { timeoutMs: 20_000, intervalMs: 100 });
  expect(payload).toMatchObject({ runId: waiter, pipeline: 'notify-queued', state: 'queued' });
  expect(payload.queuedForMs).toBeGreaterThanOrEqual(1000);
  const received = receiver.at('/queue').find((r) => (JSON.parse(r.body) as NotificationPayload).runId === waiter);
  expect(received && signatureValid(received, KEY)).toBe(true);
  // The holder was never queued: admitted at once.
  await rig.tf.sendEvent(holder, 'go');
  await rig.tf.sendEvent(await eventually('the waiter to run', async () => ((await rig.tf.getStatus(waiter)).state === 'running' ? waiter : undefined)), 'go');
  await eventually('both done', async () => ((await rig.tf.getStatus(waiter)).state === 'completed' ? true : undefined));
  await delay(300);
  expect(told('/queue', holder)).toEqual([]);
  expect(told('/queue', waiter)).toHaveLength(1);
});
