/**
 * The notification dispatcher: turns the store's run events into signed webhook POSTs.
 *
 * Every change of a run's state into a notified one lands in `tapflow.run_events` in the same
 * transaction as the write (a trigger, migration 012), whoever wrote it. Each worker that delivers
 * notifications runs a dispatcher; at each turn it
 * 1. fans out new events: for each, the webhooks that hear it (the deployment's, and the run's
 *    spec's `notify`), one delivery row each, its body fixed; all in one transaction that takes
 *    the events with `FOR UPDATE SKIP LOCKED`, so several workers share the work and none makes a
 *    delivery twice (the delivery is unique per event and URL besides);
 * 2. skips the "queued too long" deliveries whose run left the queue before their time;
 * 3. claims the due deliveries (a lease: see `claim-due-deliveries.ts`), POSTs each, signed, with
 *    a timeout, and records the attempt: delivered on 2xx; stopped on 410 Gone; otherwise tried
 *    again after a backoff (`retry-schedule.ts`) until the last attempt, then given up.
 * It polls the store every `pollMs` while idle, and turns again at once while there is work.
 */
import type { Pool, PoolClient } from 'pg';
import { randomUUID } from 'node:crypto';
import { checkNotifyList, type NotifySpec } from '../core/notify';
import type { WorkerMetrics } from '../observability/metrics';
import { withPgClient } from '../store/pool';
import { claimDueDeliveries, type ClaimedDelivery } from '../store/sql/claim-due-deliveries';
import { claimWaitingRunEvents, type WaitingRunEvent } from '../store/sql/claim-waiting-run-events';
import { insertNotificationDelivery } from '../store/sql/insert-notification-delivery';
import { markRunEventsFannedOut } from '../store/sql/mark-run-events-fanned-out';
import { recordDeliveryAttempt, type DeliveryAttempt } from '../store/sql/record-delivery-attempt';
import { skipLeftQueueDeliveries } from '../store/sql/skip-left-queue-deliveries';
import { PLAIN_VALUES, type StoreValueCodec } from '../store/value-codec';
import { consoleLink, notificationBody } from './notification-payload';
import type { NotificationSettings } from './notification-settings';
import { postWebhook } from './post-webhook';
import { DEFAULT_RETRY_SCHEDULE, retryDelay, type RetrySchedule } from './retry-schedule';
import { SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { webhookTargets } from './webhook-targets';

/** Default time one POST may take, in ms. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** Default poll interval while idle, in ms. */
export const DEFAULT_POLL_MS = 1_000;
/** Default deliveries sent at once. */
export const DEFAULT_CONCURRENCY = 16;
/** Default age past which a new event is not delivered, in ms. */
export const DEFAULT_MAX_EVENT_AGE_MS = 24 * 3600_000;
/** Events fanned out per transaction. */
const FAN_OUT_BATCH = 100;
/** A claim outlives the POST's timeout by this much, in ms, before another worker may take it. */
const LEASE_MARGIN_MS = 30_000;

/** Options of a {@link NotificationDispatcher}. */
export interface NotificationDispatcherOptions extends NotificationSettings {
  /** The store's pool. */
  pool: Pool;
  /** How run values are kept (the spec holding `notify`). Default: as they are. */
  valueCodec?: StoreValueCodec;
  /** Where attempts are counted (`tapflow_notification_attempts_total`). Default: nowhere. */
  metrics?: WorkerMetrics;
  /** Where a failing turn is reported, once until one succeeds. Default: stderr. */
  warn?: (message: string) => void;
}

/** What one turn did. */
export interface DispatchOutcome {
  /** Events fanned out. */
  events: number;
  /** Deliveries made from them. */
  deliveries: number;
  /** Deliveries skipped (a queued run left the queue first). */
  skipped: number;
  /** POSTs made. */
  attempts: number;
}

/** See the module comment. */
export class NotificationDispatcher {
  private readonly retry: RetrySchedule;
  private readonly deployment: NotifySpec[];
  private timer: NodeJS.Timeout | undefined;
  private turn: Promise<unknown> = Promise.resolve();
  private running = false;
  private failing = false;

  constructor(private readonly options: NotificationDispatcherOptions) {
    this.retry = { ...DEFAULT_RETRY_SCHEDULE, ...options.retry };
    this.deployment = options.webhooks ?? [];
  }

  /** Turns now, then again while there is work, else every `pollMs`; the timer never keeps the process alive. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops turning and waits for a turn under way (its POSTs end within their timeout). */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.turn;
  }

  /**
   * One turn: fan out new events, skip queued deliveries whose run left the queue, send what is due.
   *
   * @throws the store's error (a POST's failure is recorded, never thrown).
   */
  async dispatch(): Promise<DispatchOutcome> {
    const outcome: DispatchOutcome = { events: 0, deliveries: 0, skipped: 0, attempts: 0 };
    const { pool } = this.options;
    for (;;) {
      const [events, deliveries] = await withPgClient(pool, (client) => this.fanOut(client));
      outcome.events += events;
      outcome.deliveries += deliveries;
      if (events < FAN_OUT_BATCH) break;
    }
    outcome.skipped = await skipLeftQueueDeliveries(pool);
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const due = await claimDueDeliveries(pool, this.options.concurrency ?? DEFAULT_CONCURRENCY, timeoutMs + LEASE_MARGIN_MS);
    await Promise.all(due.map((delivery) => this.send(delivery, timeoutMs)));
    outcome.attempts = due.length;
    return outcome;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.turn = this.dispatch().then(
        (outcome) => {
          this.failing = false;
          this.schedule(outcome.attempts > 0 || outcome.events > 0 ? 0 : (this.options.pollMs ?? DEFAULT_POLL_MS));
        },
        (err: unknown) => {
          this.report(err);
          this.schedule(this.options.pollMs ?? DEFAULT_POLL_MS);
        },
      );
    }, ms);
    this.timer.unref();
  }

  /** Makes the deliveries of up to {@link FAN_OUT_BATCH} new events, in one transaction. */
  private async fanOut(client: PoolClient): Promise<[events: number, deliveries: number]> {
    await client.query('BEGIN');
    try {
      const events = await claimWaitingRunEvents(client, FAN_OUT_BATCH, this.options.maxEventAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS);
      let made = 0;
      for (const event of events) {
        if (event.tooOld) continue;
        const specWebhooks = await this.specWebhooks(event);
        for (const target of webhookTargets(event.event, this.deployment, specWebhooks)) {
          const id = randomUUID();
          const body = notificationBody({
            id,
            event: event.event,
            runId: event.workflowId,
            pipeline: event.pipeline,
            ...(event.pipelineVersion !== null ? { pipelineVersion: event.pipelineVersion } : {}),
            state: event.event,
            ...(event.reason !== null ? { reason: event.reason } : {}),
            at: event.at.toISOString(),
            ...(event.event === 'queued' ? { queuedForMs: target.afterMs } : {}),
            consoleUrl: consoleLink(this.options.consoleUrl, event.workflowId),
          });
          const inserted = await insertNotificationDelivery(client, {
            id,
            eventId: event.id,
            workflowId: event.workflowId,
            event: event.event,
            url: target.url,
            source: target.source,
            secretName: target.secretName,
            body,
            at: event.at,
            afterMs: target.afterMs,
          });
          if (inserted) made += 1;
        }
      }
      await markRunEventsFannedOut(client, events.map((e) => e.id));
      await client.query('COMMIT');
      return [events.length, made];
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  /** The run's spec's `notify` webhooks; none when it has none or they cannot be read. */
  private async specWebhooks(event: WaitingRunEvent): Promise<NotifySpec[]> {
    if (event.spec === null || event.spec === undefined) return [];
    let spec: unknown;
    try {
      spec = await (this.options.valueCodec ?? PLAIN_VALUES).decode(event.spec);
    } catch (err) {
      this.warn(`notifications: the spec of run ${event.workflowId} could not be decoded, so only the deployment's webhooks hear its ${event.event}: ${(err as Error).message}`);
      return [];
    }
    const notify = (spec as { notify?: unknown } | null)?.notify;
    if (notify === undefined) return [];
    // Checked at start already; a spec written by another writer is checked again, not trusted.
    let valid = true;
    checkNotifyList(notify, 'notify', () => {
      valid = false;
    });
    return valid ? (notify as NotifySpec[]) : [];
  }

  /** One POST of `delivery`, and its record. */
  private async send(delivery: ClaimedDelivery, timeoutMs: number): Promise<void> {
    const startedAt = new Date();
    const key = delivery.secretName === null ? this.options.secret : this.options.secrets?.[delivery.secretName];
    let attempt: DeliveryAttempt;
    if (!key) {
      // Never sent unsigned: kept for a worker that has the key, or until this one is given it.
      const name = delivery.secretName === null ? 'TAPFLOW_WEBHOOK_SECRET' : `TAPFLOW_WEBHOOK_SECRET_${delivery.secretName}`;
      attempt = this.next(delivery, startedAt, { durationMs: 0, error: `not sent: this worker has no signing key (set ${name})` });
    } else {
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'tapflow-notifications',
        'tapflow-event': delivery.event,
        'tapflow-delivery': delivery.id,
        'tapflow-attempt': String(delivery.attempt),
        [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(key, Math.floor(Date.now() / 1000), delivery.body),
      };
      const posted = await postWebhook(delivery.url, delivery.body, headers, timeoutMs);
      attempt = this.next(delivery, startedAt, posted);
    }
    this.options.metrics?.notificationAttempts.inc({ event: delivery.event, outcome: attempt.outcome });
    await recordDeliveryAttempt(this.options.pool, attempt);
  }

  /** How an attempt ended and what comes next. */
  private next(delivery: ClaimedDelivery, startedAt: Date, posted: { statusCode?: number; error?: string; durationMs: number }): DeliveryAttempt {
    const base = { deliveryId: delivery.id, attempt: delivery.attempt, startedAt, durationMs: posted.durationMs };
    const { statusCode } = posted;
    if (statusCode !== undefined && statusCode >= 200 && statusCode < 300) return { ...base, statusCode, outcome: 'delivered' };
    if (statusCode === 410) return { ...base, statusCode, error: 'HTTP 410 Gone: the receiver asked for no more deliveries', outcome: 'failed' };
    const error = posted.error ?? `HTTP ${statusCode}`;
    const wait = retryDelay(this.retry, delivery.attempt);
    const withStatus = statusCode !== undefined ? { statusCode } : {};
    if (wait === undefined) return { ...base, ...withStatus, error: `gave up after ${delivery.attempt} attempts: ${error}`, outcome: 'failed' };
    return { ...base, ...withStatus, error, outcome: 'retry', retryInMs: wait };
  }

  private report(err: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.warn(`notifications: a turn failed (tried again every ${this.options.pollMs ?? DEFAULT_POLL_MS} ms): ${(err as Error).message}`);
  }

  private warn(message: string): void {
    (this.options.warn ?? ((m: string) => process.stderr.write(`${m}\n`)))(message);
  }
}
