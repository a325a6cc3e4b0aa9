/**
 * The typed programmatic client: start, inspect and control runs. The command line is a thin
 * layer over it; applications can use it directly.
 *
 * ```ts
 * const tf = await TapflowClient.connect();
 * const { workflowId } = await tf.startRun(spec, { input: { lang: 'en' } });
 * await tf.pause(workflowId, { reason: 'maintenance' });
 * ```
 */
import type { PipelineRunArgs } from './workflows/run-args';
import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  CancelledFailure,
  Client,
  Connection,
  QueryNotRegisteredError,
  TerminatedFailure,
  TimeoutFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { DataConverter, Duration, UpdateDefinition } from '@temporalio/common';
import { findStartInStore } from './control/start-once';
import { runMeta, type RunMetaOptions } from './control/run-meta';
import { initialRunState } from './core/concurrency';
import { PipelineSchedules } from './control/schedules';
import { closedChannelSafeRetryInterceptor } from './control/closed-channel-retry';
import { checkHostedActivitiesIfReadable } from './control/hosted-activities';
import type { Queryable } from './store/pool';
import { storeValueCodec, type StoreValueCodec } from './store/value-codec';
import { loadTemporalSettings } from './control/connection';
import {
  ActionRefusedError,
  PipelineNotFoundError,
  NoWorkerAnsweredError,
  RunAlreadyExistsError,
  RunFailedError,
  RunNotFinishedError,
  RunNotFoundError,
  TemporalUnreachableError,
  UsageError,
} from './core/errors';
import { bulkControl, type BulkControlOptions, type BulkControlResult } from './control/bulk-control';
import { asEndedByTemporal, endedByTemporal, temporalEndReason } from './control/temporal-end';
import { stateClause } from './control/state-query';
import { idempotentRunId, requestHash, startOnce, type StartedRun, type StartOncePolicy } from './control/idempotency';

export type { StartedRun } from './control/idempotency';
export type { Queryable } from './store/pool';
export type { StoreValueCodec } from './store/value-codec';
import { assertValidSpec } from './core/validate';
import type { RerunCondition } from './core/rerun-conditions';
import { parsePipelineRef, type PipelineRef, type PipelineRegistry } from './core/pipeline-registry';
import { assertPayloadFits } from './core/payload-limit';
import { checkPipelineName } from './core/run-text';
import type { PipelineSpec } from './core/types';
import type { ControlAction, RunState, RunStatus } from './core/states';
import {
  cancelUpdate,
  editUpdate,
  rerunUpdate,
  retryUpdate,
  sendEventUpdate,
  skipUpdate,
  type EventAck,
  type NodeAck,
  type RerunAck,
  DEFAULT_TASK_QUEUE,
  pauseUpdate,
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  PROGRESS_SEARCH_ATTRIBUTE,
  resumeUpdate,
  STATE_SEARCH_ATTRIBUTE,
  statusQuery,
  rerunPreviewQuery,
  type RerunPreview,
  type ControlAck,
  type ControlRequest,
  type PipelineRunResult,
} from './workflows/definitions';
import { RUN_CANCELLED } from './core/failure-types';
import type { ReusedOutputs } from './workflows/run-book';

/**
 * `PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED` of Temporal's API (a stable protobuf
 * enum value), written out so the client needs no import of `@temporalio/proto`, which is not
 * one of its own dependencies.
 */
const PENDING_ACTIVITY_STATE_SCHEDULED = 1;

export { runMeta } from './control/run-meta';

/** Options of {@link TapflowClient.startRun}: the run's metadata, and how it is started. */
export interface StartRunOptions extends RunMetaOptions {
  /** The run's input (`params` in every activity call). */
  input?: unknown;
  /** Task queue of the workflow and, unless a node says otherwise, its activities. */
  taskQueue?: string;
  /** Continue-as-new after this many history events (default 8,000): a shorter history per execution. */
  continueAsNewAfterEvents?: number;
  /**
   * A rerun of an ended run: the outputs taken from it (those nodes never run), the run it reruns
   * and the node it reruns from. Set by the rerun of an ended run (`control/rerun.ts`); not for
   * callers.
   */
  reuse?: ReusedOutputs & { of: string; from: string };
  /**
   * Start even when a node names an activity no live worker on its task queue hosts (a worker
   * that is not up yet). The check needs the client's `store`; without one nothing is checked.
   * Default: false.
   */
  allowUnknownActivities?: boolean;
}

/** One row of {@link TapflowClient.listRuns}. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  pipeline?: string;
  state: RunState | string;
  progressPercent?: number;
  startTime: string;
  closeTime?: string;
}

/** One row of {@link TapflowClient.children}. */
export interface ChildRun {
  /** The parent's `pipeline` node. */
  node: string;
  /** The child's run id. */
  workflowId: string;
  /** The parent node's state. */
  nodeState: string;
  pipeline?: string;
  /** The child run's state (its `TapflowState`, or Temporal's status once it has closed). */
  state?: string;
  progressPercent?: number;
}

/** Filters of {@link TapflowClient.listRuns}. */
export interface ListRunsOptions {
  state?: RunState;
  pipeline?: string;
  /** Most rows returned. Default: 50. */
  limit?: number;
}

/** Options of a {@link TapflowClient}. */
export interface TapflowClientOptions {
  /** Default task queue for new runs. Default: `tapflow`. */
  taskQueue?: string;
  /** How long a status query waits for a worker to answer, in ms. Default: 10,000. */
  queryTimeoutMs?: number;
  /**
   * The run store (a `pg` pool, e.g. `openStore(...).pool` from `tapflow/store`). With it, a start
   * with an idempotency key asks the store first, so it finds the key's run even after Temporal's
   * retention has dropped it. Default: none (Temporal's check alone).
   */
  store?: Queryable;
  /**
   * Where registered pipelines are read, for {@link TapflowClient.startPipeline}: the store's
   * (`new StorePipelineRegistry(pool)` from `tapflow/store`) or any other. Default: none.
   */
  registry?: PipelineRegistry;
}

/** Options of {@link TapflowClient.connect}. */
export interface ConnectOptions extends TapflowClientOptions {
  /** Overrides `TEMPORAL_ADDRESS`. */
  address?: string;
  /** Overrides `TEMPORAL_NAMESPACE`. */
  namespace?: string;
  /**
   * Default task queue for new runs. Default: `TAPFLOW_TASK_QUEUE`, else `tapflow`.
   */
  taskQueue?: string;
  /** How long connecting may take before the server counts as unreachable. Default: 10 s. */
  connectTimeout?: Duration;
  /** Where `address` came from, for the message when it cannot be reached (`from --address`). */
  addressFrom?: string;
  /**
   * How payloads are converted and encoded: give the same data converter (a payload codec that
   * encrypts, say) as the workers, or they cannot read what this client sends. Default: Temporal's.
   */
  dataConverter?: DataConverter;
}

/** See the module comment. */
export class TapflowClient {
  /** Default task queue for new runs. */
  readonly taskQueue: string;
  /** How long a status query waits for a worker to answer, in ms. */
  readonly queryTimeoutMs: number;
  /** The run store, when given. */
  readonly store?: Queryable;
  /** Where registered pipelines are read, when given. */
  readonly registry?: PipelineRegistry;

  /**
   * @param client a connected Temporal client (its data converter is the one used).
   */
  constructor(
    readonly client: Client,
    options: TapflowClientOptions = {},
  ) {
    this.taskQueue = options.taskQueue ?? DEFAULT_TASK_QUEUE;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 10_000;
    if (options.store) this.store = options.store;
    if (options.registry) this.registry = options.registry;
  }

  /**
   * Connects using Temporal's standard settings: `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, TLS
   * and API-key settings and profiles (`@temporalio/envconfig`), overridden by `options`.
   *
   * @throws {TemporalUnreachableError} when the server cannot be reached within `connectTimeout`.
   */
  static async connect(options: ConnectOptions = {}): Promise<TapflowClient> {
    const settings = loadTemporalSettings(options);
    const address = settings.connectionOptions.address ?? '';
    let connection: Connection;
    try {
      connection = await Connection.connect({
        // Temporal's retry, minus the crash when a retry comes due after the connection closed.
        interceptors: [closedChannelSafeRetryInterceptor()],
        ...settings.connectionOptions,
        connectTimeout: options.connectTimeout ?? '10s',
      });
    } catch (err) {
      if (isUnreachable(err)) throw new TemporalUnreachableError(address, firstLine(err), options.addressFrom);
      throw err;
    }
    const client = new Client({ connection, namespace: settings.namespace, ...(options.dataConverter ? { dataConverter: options.dataConverter } : {}) });
    return new TapflowClient(client, { ...options, taskQueue: options.taskQueue ?? process.env.TAPFLOW_TASK_QUEUE ?? DEFAULT_TASK_QUEUE });
  }

  /**
   * How the store's values are read and written for this client's data converter: decoded with
   * its payload codecs when it has any (see `store/value-codec.ts`).
   */
  get valueCodec(): StoreValueCodec {
    return storeValueCodec(this.client.options.loadedDataConverter);
  }

  /** This client with the run store: the same connection, `store` added. */
  withStore(store: Queryable): TapflowClient {
    return new TapflowClient(this.client, {
      taskQueue: this.taskQueue,
      queryTimeoutMs: this.queryTimeoutMs,
      store,
      ...(this.registry ? { registry: this.registry } : {}),
    });
  }

  /**
   * Schedules of registered pipelines on Temporal Schedules (create, list, describe, pause,
   * unpause, trigger, backfill, delete). Creating one reads the client's `registry`.
   */
  get schedules(): PipelineSchedules {
    return new PipelineSchedules(this.client, { taskQueue: this.taskQueue, ...(this.registry ? { registry: this.registry } : {}) });
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.client.connection.close();
  }

  /**
   * Validates a spec and starts a run of it.
   *
   * @throws {InvalidSpecError} when the spec does not validate (nothing is started).
   * @throws {UsageError} when `id`, a label, `priority`, `timeout` or `idempotencyKey` is not valid (nothing is started).
   * @throws {PayloadTooLargeError} when the spec, input and metadata together are past Temporal's
   *   2 MB payload limit (nothing is started).
   * @throws {RunAlreadyExistsError} when `id` is taken by a run Temporal still has (with an
   *   idempotency key: one not started with that key).
   * @throws {IdempotencyConflictError} when the idempotency key's run was started with another
   *   spec or input.
   */
  async startRun(spec: unknown, options: StartRunOptions = {}): Promise<StartedRun> {
    const valid: PipelineSpec = assertValidSpec(spec);
    const meta = runMeta(options);
    const key = meta.idempotencyKey;
    checkPipelineName(valid.name);
    const workflowId = options.id ?? (key === undefined ? `${valid.name}-${randomUUID()}` : idempotentRunId(valid.name, key));
    const args: PipelineRunArgs = { spec: valid, meta };
    if (options.input !== undefined) args.params = options.input;
    if (options.continueAsNewAfterEvents !== undefined) args.continueAsNewAfterEvents = options.continueAsNewAfterEvents;
    if (options.reuse) args.reuse = options.reuse;
    assertPayloadFits("the run's start (its spec, input and metadata)", args);
    if (this.store && !options.allowUnknownActivities) await checkHostedActivitiesIfReadable(this.store, valid, options.taskQueue ?? this.taskQueue);
    const start = async (policy?: StartOncePolicy): Promise<string> => {
      const handle = await this.client.workflow.start(PIPELINE_WORKFLOW_TYPE, {
        ...policy,
        taskQueue: options.taskQueue ?? this.taskQueue,
        workflowId,
        args: [args],
        typedSearchAttributes: [
          { key: PIPELINE_SEARCH_ATTRIBUTE, value: valid.name },
          // A limited run waits for its slot first: the Web UI must not call it running before.
          { key: STATE_SEARCH_ATTRIBUTE, value: initialRunState(valid) },
          { key: PROGRESS_SEARCH_ATTRIBUTE, value: 0 },
        ],
        staticSummary: `tapflow pipeline ${valid.name}`,
        ...(meta.priority === undefined ? {} : { priority: { priorityKey: meta.priority } }),
      });
      return handle.firstExecutionRunId;
    };
    if (key !== undefined) {
      // The store remembers a key after Temporal's retention has dropped its run.
      const stored = this.store ? await findStartInStore(this.store, valid, key, options.input, options.id, this.valueCodec) : undefined;
      if (stored) return stored.started;
      return startOnce(this.client, workflowId, { idempotencyKey: key, hash: requestHash(valid, options.input) }, start);
    }
    try {
      return { workflowId, runId: await start() };
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyExistsError(workflowId);
      throw err;
    }
  }

  /**
   * Starts a registered pipeline by name: `NAME` or `NAME@latest` (its latest version) or
   * `NAME@3`, read from the client's `registry`. The run records the version it was started from.
   *
   * @throws {UsageError} when the client has no registry, or the reference is malformed.
   * @throws {PipelineNotFoundError} when the registry has no such pipeline or version.
   * @throws what {@link startRun} throws.
   */
  async startPipeline(ref: string | PipelineRef, options: StartRunOptions = {}): Promise<StartedRun & { version: number }> {
    const wanted = typeof ref === 'string' ? parsePipelineRef(ref) : ref;
    if (!this.registry) throw new UsageError('this client has no pipeline registry: give it one (registry: new StorePipelineRegistry(pool) from tapflow/store)');
    const found = await this.registry.get(wanted.name, wanted.version);
    if (!found) throw new PipelineNotFoundError(wanted.name, wanted.version);
    const started = await this.startRun(found.spec, { ...options, pipelineVersion: found.version });
    return { ...started, version: found.version };
  }

  /**
   * The run's status. Asks the run itself (a query); running nodes are completed with live
   * attempt counts and last errors from Temporal's description of the run. A run Temporal ended
   * (terminated, or past its execution timeout) is `terminated` with Temporal's reason: the query
   * of a closed run replays it and answers the state it last had.
   *
   * @throws {RunNotFoundError} when no run has this id.
   * @throws {NoWorkerAnsweredError} when no worker answers the query within `queryTimeoutMs`.
   */
  async getStatus(id: string): Promise<RunStatus> {
    const handle = this.handle(id);
    const description = await this.wrapNotFound(id, () => handle.describe());
    let status: RunStatus;
    try {
      // A query is answered by a worker; without one it would wait for a long time.
      const deadline = Date.now() + this.queryTimeoutMs;
      status = await this.wrapNotFound(id, () =>
        this.client.connection.withDeadline(deadline, () => handle.query(statusQuery)),
      );
    } catch (err) {
      if (isDeadlineExceeded(err)) {
        throw new NoWorkerAnsweredError(id, description.taskQueue, this.queryTimeoutMs);
      }
      throw err;
    }
    if (endedByTemporal(description.status.name)) {
      const reason = await temporalEndReason(this.client, id, description.runId, description.status.name);
      return asEndedByTemporal(status, { reason, closedAt: description.closeTime ?? new Date() });
    }
    for (const pending of description.raw.pendingActivities ?? []) {
      const node = status.nodes.find((n) => n.id === pending.activityId);
      if (!node || node.state !== 'running') continue;
      // While waiting out a retry's backoff, Temporal already counts the attempt to come.
      const waiting = pending.state === PENDING_ACTIVITY_STATE_SCHEDULED;
      const made = (pending.attempt ?? 1) - (waiting ? 1 : 0);
      // A node retried or rerun by an operator numbers on from its earlier rounds' attempts.
      node.attempts = Math.max(node.attempts, (node.earlierAttempts ?? 0) + made, 1);
      const last = pending.lastFailure;
      if (last?.message) {
        node.error = last.message;
        const type = last.applicationFailureInfo?.type;
        if (type) node.errorType = type;
      }
    }
    return status;
  }

  /**
   * Pauses a run: no node starts; nodes in flight finish. Returns once the run has taken it.
   *
   * @throws {ActionRefusedError} when the run cannot pause (ended, already paused, cancelling).
   * @throws {RunNotFoundError} when no run has this id.
   */
  pause(id: string, request: ControlRequest = {}): Promise<ControlAck> {
    return this.control(id, 'pause', request);
  }

  /**
   * Resumes a paused or pausing run.
   *
   * @throws {ActionRefusedError} when the run is not paused.
   * @throws {RunNotFoundError} when no run has this id.
   */
  resume(id: string, request: ControlRequest = {}): Promise<ControlAck> {
    return this.control(id, 'resume', request);
  }

  /**
   * Cancels a run: nodes in flight are cancelled, then the run ends `cancelled`. Returns once
   * the run has taken the request, or, with `wait`, once it has ended.
   *
   * @throws {ActionRefusedError} when the run has already ended or is being cancelled.
   * @throws {RunNotFoundError} when no run has this id.
   */
  async cancel(id: string, request: ControlRequest & { wait?: boolean } = {}): Promise<ControlAck> {
    const { wait, ...rest } = request;
    const ack = await this.control(id, 'cancel', rest);
    // The run has taken the cancel and is stopping its nodes. Asking Temporal to cancel it too
    // makes Temporal record the run as Canceled rather than Failed; the run waits for this.
    await this.handle(id)
      .cancel()
      .catch(() => undefined);
    if (!wait) return ack;
    await this.handle(id)
      .result()
      .catch(() => undefined);
    return { state: (await this.getState(id)) ?? 'cancelled' };
  }

  /**
   * Runs a held node again with a fresh retry budget; `input`, when given (even `null`), replaces
   * its input. Returns once the run has taken it.
   *
   * @throws {ActionRefusedError} when the node is not held or the run has ended or is cancelling.
   * @throws {RunNotFoundError} when no run has this id.
   */
  retry(id: string, node: string, request: ControlRequest & { input?: unknown } = {}): Promise<NodeAck> {
    return this.runUpdate(id, retryUpdate, { ...request, node }, 'retry');
  }

  /**
   * Marks a held or pending node `skipped` with `output` (default `null`): its dependents take the
   * output and go on.
   *
   * @throws {ActionRefusedError} when the node is neither held nor pending, or the run has ended.
   * @throws {RunNotFoundError} when no run has this id.
   */
  skip(id: string, node: string, request: ControlRequest & { output?: unknown } = {}): Promise<NodeAck> {
    return this.runUpdate(id, skipUpdate, { ...request, node }, 'skip');
  }

  /**
   * Changes a pending node's input while the run is paused (or a held node's input at any time).
   *
   * @throws {ActionRefusedError} when the run is not paused, the node has started, or it takes no input.
   * @throws {RunNotFoundError} when no run has this id.
   */
  edit(id: string, node: string, request: ControlRequest & { input: unknown }): Promise<NodeAck> {
    return this.runUpdate(id, editUpdate, { ...request, node }, 'edit');
  }

  /**
   * Reruns `from` and everything downstream of it in the (live) run, keeping every other node's
   * output. For an ended run, see {@link rerunEnded}.
   *
   * @throws {ActionRefusedError} when a node to rerun is in flight, or the run has ended.
   * @throws {RunNotFoundError} when no run has this id.
   */
  rerun(id: string, from: string, request: ControlRequest = {}): Promise<RerunAck> {
    return this.runUpdate(id, rerunUpdate, { ...request, from }, 'rerun');
  }

  /**
   * Delivers a named event (an approval, a webhook's payload) to the run's event nodes of that
   * name: those waiting complete with `data` as output; pending ones keep it for when they start.
   *
   * @throws {ActionRefusedError} when no unfinished node of the run waits for the event.
   * @throws {RunNotFoundError} when no run has this id.
   */
  sendEvent(id: string, event: string, request: ControlRequest & { data?: unknown } = {}): Promise<EventAck> {
    return this.runUpdate(id, sendEventUpdate, { ...request, event }, 'send an event');
  }

  /**
   * The run's result: each leaf node's output.
   *
   * @param wait when false and the run has not ended, throws a {@link RunNotFinishedError}.
   * @throws {RunFailedError} when the run failed or was cancelled.
   * @throws {RunNotFoundError} when no run has this id.
   */
  async result(id: string, options: { wait?: boolean } = {}): Promise<PipelineRunResult> {
    const handle = this.handle(id);
    if (!options.wait) {
      const description = await this.wrapNotFound(id, () => handle.describe());
      if (description.status.name === 'RUNNING') {
        throw new RunNotFinishedError(id);
      }
    }
    try {
      return await this.wrapNotFound(id, () => handle.result() as Promise<PipelineRunResult>);
    } catch (err) {
      if (err instanceof WorkflowFailedError) {
        const cause = err.cause;
        if (cause instanceof TerminatedFailure || cause instanceof TimeoutFailure) {
          const description = await handle.describe();
          const reason = await temporalEndReason(this.client, id, description.runId, description.status.name);
          throw new RunFailedError(id, 'terminated', reason);
        }
        if (cause instanceof CancelledFailure) {
          // Temporal's cancel carries no reason; the run keeps the one it was given.
          const status = await this.getStatus(id).catch(() => undefined);
          throw new RunFailedError(id, 'cancelled', status?.reason ?? 'cancelled');
        }
        if (cause instanceof ApplicationFailure && cause.type === RUN_CANCELLED) {
          throw new RunFailedError(id, 'cancelled', cause.message);
        }
        throw new RunFailedError(id, 'failed', cause?.message ?? err.message);
      }
      throw err;
    }
  }

  /**
   * Pauses, resumes or cancels every running run a visibility query matches (see
   * `bulk-control.ts`): lists them all first, then acts on each through {@link pause},
   * {@link resume} or {@link cancel}, at most `options.rate` per second.
   *
   * @returns every matched run's outcome (accepted, refused or failed) and the counts. A refusal
   *   is an outcome, not an error.
   * @throws {UsageError} when Temporal refuses the query (malformed, unknown attribute) or an
   *   option is out of range; nothing is acted on.
   */
  bulkControl(action: ControlAction, options: BulkControlOptions): Promise<BulkControlResult> {
    return bulkControl(this, action, options);
  }

  /**
   * The child runs of a run's `pipeline` nodes (the latest child of each), with each child's
   * state as Temporal's search attributes have it.
   *
   * @throws {RunNotFoundError} when no run has this id.
   * @throws {NoWorkerAnsweredError} when no worker answers the parent's status query.
   */
  async children(id: string): Promise<ChildRun[]> {
    const status = await this.getStatus(id);
    const rows: ChildRun[] = [];
    for (const node of status.nodes) {
      if (!node.childRunId) continue;
      const row: ChildRun = { node: node.id, workflowId: node.childRunId, nodeState: node.state };
      try {
        const description = await this.handle(node.childRunId).describe();
        const state = description.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE);
        const pipeline = description.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE);
        const percent = description.typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE);
        row.state = endedByTemporal(description.status.name) ? 'terminated' : (state ?? description.status.name.toLowerCase());
        if (pipeline) row.pipeline = pipeline;
        if (percent !== undefined) row.progressPercent = percent;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        row.state = 'unknown to Temporal';
      }
      rows.push(row);
    }
    return rows;
  }

  /**
   * What a rerun of a live run from `from` would meet: the `when` of each node it would run
   * again, judged on the run's own outputs. `undefined` when the run's worker does not answer
   * the question (a worker older than 0.4.0).
   *
   * @throws {ActionRefusedError} when the rerun does not apply.
   * @throws {RunNotFoundError} when no run has this id.
   * @throws {NoWorkerAnsweredError} when no worker answers within `queryTimeoutMs`.
   */
  async rerunPreview(id: string, from: string): Promise<RerunCondition[] | undefined> {
    const handle = this.handle(id);
    const deadline = Date.now() + this.queryTimeoutMs;
    let preview: RerunPreview;
    try {
      preview = await this.wrapNotFound(id, () =>
        this.client.connection.withDeadline(deadline, () => handle.query(rerunPreviewQuery, { from })),
      );
    } catch (err) {
      if (isDeadlineExceeded(err)) throw new NoWorkerAnsweredError(id, (await handle.describe()).taskQueue, this.queryTimeoutMs);
      // An older worker has no such query: the dry run goes without its conditions.
      if (err instanceof QueryNotRegisteredError) return undefined;
      throw err;
    }
    if ('refused' in preview) throw new ActionRefusedError(id, preview.refused);
    return preview.conditions;
  }

  /**
   * The run's pipeline name from its search attributes, without asking the run.
   *
   * @throws {RunNotFoundError} when no run has this id.
   */
  async pipelineOf(id: string): Promise<string | undefined> {
    const description = await this.wrapNotFound(id, () => this.handle(id).describe());
    return description.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE) ?? undefined;
  }

  /**
   * The run's state from its search attributes, without asking the run; `terminated` when
   * Temporal ended it (its `TapflowState` then still says what the run last was).
   */
  async getState(id: string): Promise<RunState | undefined> {
    const description = await this.wrapNotFound(id, () => this.handle(id).describe());
    if (endedByTemporal(description.status.name)) return 'terminated';
    return description.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE) as RunState | undefined;
  }

  /**
   * Runs, newest first, filtered by state and pipeline (through the search attributes). A closed
   * execution's `TapflowState` can no longer change, so the state filter goes with Temporal's
   * `ExecutionStatus` (`stateClause`), and a run Temporal terminated or timed out is listed
   * `terminated`. An execution a reset replaced is left out: its run goes on in the newer one.
   */
  async listRuns(options: ListRunsOptions = {}): Promise<RunSummary[]> {
    const clauses = [`WorkflowType = '${PIPELINE_WORKFLOW_TYPE}'`];
    if (options.state) clauses.push(stateClause(options.state));
    if (options.pipeline) clauses.push(`TapflowPipeline = '${quote(options.pipeline)}'`);
    const limit = options.limit ?? 50;
    const rows: RunSummary[] = [];
    const seen = new Set<string>();
    for await (const wf of this.client.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
      // Newest first: an older execution of a run already listed was replaced (a reset).
      if (seen.has(wf.workflowId)) continue;
      seen.add(wf.workflowId);
      const ended = endedByTemporal(wf.status.name);
      if (ended && (await this.replacedByNewer(wf.workflowId, wf.runId))) continue;
      const row: RunSummary = {
        workflowId: wf.workflowId,
        runId: wf.runId,
        state: ended ? 'terminated' : (wf.typedSearchAttributes.get(STATE_SEARCH_ATTRIBUTE) ?? wf.status.name.toLowerCase()),
        startTime: wf.startTime.toISOString(),
      };
      const pipeline = wf.typedSearchAttributes.get(PIPELINE_SEARCH_ATTRIBUTE);
      if (pipeline) row.pipeline = pipeline;
      const percent = wf.typedSearchAttributes.get(PROGRESS_SEARCH_ATTRIBUTE);
      if (percent !== undefined) row.progressPercent = percent;
      if (wf.closeTime) row.closeTime = wf.closeTime.toISOString();
      rows.push(row);
      if (rows.length >= limit) break;
    }
    return rows;
  }

  /** Whether the workflow's latest execution is another one than `runId` (a reset replaced it). */
  private async replacedByNewer(workflowId: string, runId: string): Promise<boolean> {
    try {
      return (await this.handle(workflowId).describe()).runId !== runId;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  private control(id: string, action: ControlAction, request: ControlRequest): Promise<ControlAck> {
    const update = action === 'pause' ? pauseUpdate : action === 'resume' ? resumeUpdate : cancelUpdate;
    return this.runUpdate(id, update, request, action);
  }

  /**
   * Sends an update the run acknowledges (a control or operator action), mapping its refusal
   * and an ended or unknown run to the client's errors.
   */
  private async runUpdate<Ret, Req extends ControlRequest>(
    id: string,
    update: UpdateDefinition<Ret, [Req]>,
    request: Req,
    action: string,
  ): Promise<Ret> {
    assertPayloadFits(`the ${action} request`, request);
    try {
      // The request id doubles as the update id: Temporal then takes a resent request once.
      const updateId = request.requestId;
      return await this.handle(id).executeUpdate(update, { args: [request], ...(updateId ? { updateId } : {}) });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        throw new ActionRefusedError(id, err.cause?.message ?? err.message);
      }
      // An update to a run that has ended fails as "not found" or "already completed": tell
      // an ended run from an unknown id.
      if (err instanceof WorkflowNotFoundError || (err instanceof Error && /already completed/i.test(err.message))) {
        const state = await this.getState(id);
        throw new ActionRefusedError(id, `cannot ${action}: the run has already ended${state ? ` (${state})` : ''}`);
      }
      throw err;
    }
  }

  private handle(id: string): WorkflowHandle {
    return this.client.workflow.getHandle(id);
  }

  private async wrapNotFound<T>(id: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new RunNotFoundError(id);
      throw err;
    }
  }
}

function isDeadlineExceeded(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } }).code ?? (err as { cause?: { code?: unknown } }).cause?.code;
  return code === 4 || (err instanceof Error && /DEADLINE_EXCEEDED|deadline/i.test(err.message));
}

function quote(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
}

// How a connection that never came up reads (refused, timed out, unknown host).
const UNREACHABLE = /UNAVAILABLE|Failed to connect|ECONNREFUSED|connect.*timed? ?out|Connection refused|before the deadline|ENOTFOUND|EAI_AGAIN/i;

function isUnreachable(err: unknown): boolean {
  return err instanceof Error && UNREACHABLE.test(err.message);
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
