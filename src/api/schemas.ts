/**
 * JSON Schemas of the API's requests and replies. Fastify validates every request against them
 * (all problems at once) and the OpenAPI document is generated from them, so the document and
 * the validation cannot drift apart.
 */

import { RUN_STATES, SKIP_CAUSES } from '../core/states';
import { TRIGGER_RULES } from '../core/types';

const reason = { type: 'string', maxLength: 1000, description: 'Why: recorded with the action.' } as const;
const requestId = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description: 'Makes a resent request count once: the run takes each request id once.',
} as const;

/** `:id` in a run's routes. */
export const runParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 1000, description: 'The run id (workflow id).' } },
} as const;

/** `:id` and `:node`. */
export const nodeParams = {
  type: 'object',
  required: ['id', 'node'],
  properties: { ...runParams.properties, node: { type: 'string', minLength: 1, maxLength: 128, description: 'A node id of the run.' } },
} as const;

/** `:id` and `:event`. */
export const eventParams = {
  type: 'object',
  required: ['id', 'event'],
  properties: { ...runParams.properties, event: { type: 'string', minLength: 1, maxLength: 128, description: 'The event name.' } },
} as const;

/** The body of pause, resume and cancel. */
export const controlBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason, requestId },
} as const;

/** A registered pipeline's name (`:name`, a start's `pipeline`): as the store keeps it, 1 to 200 characters. */
const pipelineName = { type: 'string', minLength: 1, maxLength: 200 } as const;

/** A registered pipeline's version: a whole number from 1 (as `NAME@VERSION` reads it). */
const pipelineVersion = { type: 'integer', minimum: 1, maximum: 999_999_999 } as const;

/**
 * POST /api/runs: a run of a spec sent with the request, or of a registered pipeline, by name.
 * `oneOf` documents that exactly one of `spec` and `pipeline` is given; the route checks it
 * itself (see `routes/runs.ts`), so that the problem is named as one field, not as ajv's
 * "must match exactly one schema" with a problem for each branch.
 */
export const startBody = {
  type: 'object',
  additionalProperties: false,
  oneOf: [{ required: ['spec'] }, { required: ['pipeline'] }],
  properties: {
    spec: { type: 'object', description: 'The pipeline spec, as in a spec file (docs/spec.md). Either this or `pipeline`.' },
    pipeline: { ...pipelineName, description: 'A registered pipeline (PUT /api/pipelines/:name) to start, instead of `spec`.' },
    version: { ...pipelineVersion, description: 'With `pipeline`: the registered version to start. Default: the latest.' },
    input: { description: "The run's input (its params)." },
    id: { type: 'string', minLength: 1, maxLength: 1000, description: 'The run id. Default: <pipeline>-<random>.' },
    tags: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
    groups: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 } },
    site: { type: 'string', maxLength: 200 },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    timeout: { type: ['string', 'integer'], description: 'Wall-clock limit, e.g. "2h".' },
    deadline: { type: ['string', 'integer'], description: 'Limit counting only unpaused time, e.g. "30m".' },
    onFailure: { type: 'string', enum: ['fail', 'hold'] },
    idempotencyKey: { type: 'string', minLength: 1, maxLength: 200, description: 'A second start with the same key returns the first run.' },
    allowUnknownActivities: {
      type: 'boolean',
      description: 'Start even when a node names an activity no live worker on its task queue hosts (a worker not up yet).',
    },
  },
} as const;

/** GET /api/runs. */
export const listQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pipeline: { type: 'string', minLength: 1, maxLength: 200 },
    state: { type: 'string', enum: [...RUN_STATES] },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 },
  },
} as const;

/** GET /api/runs/search: the filters of `tapflow runs search`. Lists repeat the parameter (`state=failed&state=cancelled`). */
export const searchQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pipeline: { type: 'string', minLength: 1, maxLength: 200, description: 'Only runs of this pipeline.' },
    version: { type: 'integer', minimum: 1, description: 'With pipeline: only runs started from this registered version of it.' },
    schedule: { type: 'string', minLength: 1, maxLength: 1000, description: 'Only runs this schedule started.' },
    state: {
      type: 'array',
      maxItems: 8,
      items: { type: 'string', enum: listQuery.properties.state.enum },
      description: 'Runs in any of these states: repeat the parameter (state=failed&state=cancelled).',
    },
    tag: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 }, description: 'Runs carrying all of these tags: repeat the parameter.' },
    user: { type: 'string', minLength: 1, maxLength: 200, description: 'Runs started by this user (a token\'s name for runs the API started).' },
    group: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 }, description: 'Runs in all of these groups: repeat the parameter.' },
    from: { type: 'string', minLength: 1, maxLength: 100, description: 'Created at or after: ISO-8601 (UTC unless it has an offset) or how long ago (30m, 2h, 7d).' },
    to: { type: 'string', minLength: 1, maxLength: 100, description: 'Created before: as from.' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50, description: 'Runs per page.' },
    after: { type: 'string', minLength: 1, maxLength: 4000, description: 'The next of the previous page.' },
  },
} as const;

/** POST /api/runs/bulk/pause, /resume, /cancel. */
export const bulkBody = {
  type: 'object',
  additionalProperties: false,
  required: ['query'],
  properties: {
    query: {
      type: 'string',
      minLength: 1,
      maxLength: 10000,
      pattern: '\\S',
      description: "A Temporal visibility query, e.g. TapflowPipeline = 'ingest' AND TapflowState = 'running'; only running pipeline runs are acted on.",
    },
    reason,
    dryRun: { type: 'boolean', description: 'List the matching runs and act on none. Default: false.' },
    rate: { type: 'number', minimum: 0.001, maximum: 1000, description: 'Most actions started per second (0.5: one every 2 s). Default: no limit.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 32, description: 'Most actions in flight at once. Default: 4.' },
  },
} as const;

/** POST .../nodes/:node/retry. */
export const retryBody = {
  type: 'object',
  additionalProperties: false,
  properties: { input: { description: "Replaces the node's input (even null) when given." }, reason, requestId },
} as const;

/** POST .../nodes/:node/skip. */
export const skipBody = {
  type: 'object',
  additionalProperties: false,
  properties: { output: { description: "The node's output. Default: null." }, reason, requestId },
} as const;

/** POST .../nodes/:node/edit. */
export const editBody = {
  type: 'object',
  additionalProperties: false,
  required: ['input'],
  properties: { input: { description: "The node's new input." }, reason, requestId },
} as const;

/** POST .../rerun. */
export const rerunBody = {
  type: 'object',
  additionalProperties: false,
  required: ['from'],
  properties: {
    from: { type: 'string', minLength: 1, maxLength: 128, description: 'The node to rerun from.' },
    id: { type: 'string', minLength: 1, maxLength: 1000, description: 'An ended run only: the new run\'s id. Default: <pipeline>-<random>.' },
    dryRun: { type: 'boolean', description: 'Say what would run again and what is reused; do nothing. Default: false.' },
    version: {
      anyOf: [{ type: 'integer', minimum: 1 }, { type: 'string', enum: ['latest'] }],
      description: 'An ended run only: rerun on this registered version of its pipeline (a number, or "latest"), reusing only the nodes it did not change.',
    },
    reason,
    requestId,
  },
} as const;

/** POST .../events/:event. */
export const eventBody = {
  type: 'object',
  additionalProperties: false,
  properties: { data: { description: "The event's data: the waiting node's output." }, reason, requestId },
} as const;

/**
 * A run's progress, as every view of the run counts it (`Progress` in core/states.ts):
 * `percent` counts skipped nodes as done. `skipped` is absent only from a status answered by a
 * worker older than the count.
 */
export const progressSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['completed', 'total', 'percent'],
  properties: {
    completed: { type: 'integer', minimum: 0, description: 'Nodes completed (skipped ones not included).' },
    skipped: { type: 'integer', minimum: 0, description: 'Nodes skipped (a false condition, an operator, an event timeout, after a failure).' },
    total: { type: 'integer', minimum: 0, description: 'Nodes in all.' },
    running: { type: 'integer', minimum: 0, description: 'Nodes in flight (an event node waiting, a sleep, a map or child run in progress).' },
    failed: { type: 'integer', minimum: 0, description: 'Nodes failed (held ones included).' },
    percent: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      description: 'floor(100 * (completed + skipped) / total); 100 with no nodes. The same number as the TapflowProgress search attribute.',
    },
  },
} as const;

/**
 * One node of a run's status (`NodeStatus` in core/states.ts). Open: the fields not listed here
 * (attempts, times, error, items, waitingFor...) are there as the run has them, and new ones are
 * additive. Listed are the ones a client needs the meaning of to show why a node did not run and
 * what it ran with.
 */
export const nodeStatusSchema = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'state'],
  properties: {
    id: { type: 'string' },
    state: { type: 'string' },
    when: { type: 'string', description: "The node's `when` condition from the spec, when it has one." },
    trigger: { type: 'string', enum: TRIGGER_RULES, description: "The node's trigger rule from the spec, when it is not the default all_success." },
    skipCause: {
      type: 'string',
      enum: SKIP_CAUSES,
      description:
        'A skipped node: why. condition: its `when` was false; upstream: its trigger rule can no longer be met (a need failed or was skipped) or the run ended first; ' +
        'operator: skipped by an operator, whose output stands in; timeout: an event node timed out with onTimeout "skip". Absent from statuses written before causes were kept.',
    },
    skipReason: { type: 'string', description: 'A skipped node: the reason in words (`condition false`, `need "a" failed`, `no need completed`, an operator\'s reason).' },
    input: { description: "The input the node was called with, when its spec's input held `${{ }}` templates (resolved when it started)." },
    round: { type: 'integer', minimum: 1, description: 'A repeated `pipeline` node: the round running or last run, from 1.' },
  },
} as const;

/**
 * `GET /api/runs/:id`: the run's status, as `tapflow status --json` prints it and the `status`
 * query answers it. Open (`additionalProperties`): new fields are additive.
 */
export const runStatusReply = {
  type: 'object',
  additionalProperties: true,
  required: ['workflowId', 'pipeline', 'state', 'progress', 'nodes'],
  properties: {
    workflowId: { type: 'string' },
    runId: { type: 'string' },
    pipeline: { type: 'string' },
    pipelineVersion: { type: 'integer', description: 'The registered version the run was started from, when it was started by name.' },
    scheduleId: { type: 'string', description: 'The schedule that started the run, when one did.' },
    state: { type: 'string', description: `One of ${RUN_STATES.join(', ')}; show a state you do not know as it is.` },
    reason: { type: 'string' },
    progress: progressSchema,
    nodes: {
      type: 'array',
      description: "Every node's status as the run itself has it (state, attempts, times, error, items, waitingFor...).",
      items: nodeStatusSchema,
    },
    startedAt: { type: 'string' },
    finishedAt: { type: 'string' },
  },
} as const;

/** `:name` of the pipeline routes. */
export const pipelineParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { ...pipelineName, description: 'The pipeline name (its spec\'s `name`).' } },
} as const;

/** `:name` and `:version`. */
export const pipelineVersionParams = {
  type: 'object',
  required: ['name', 'version'],
  properties: { ...pipelineParams.properties, version: { ...pipelineVersion, description: 'The version, from 1.' } },
} as const;

/** GET /api/pipelines/:name/diff. */
export const pipelineDiffQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { ...pipelineVersion, description: 'The version compared from.' },
    to: { ...pipelineVersion, description: 'The version compared to.' },
  },
} as const;

/**
 * PUT /api/pipelines/:name: the spec itself, as in a spec file. Only its type is checked here:
 * the spec's validation lists every problem at once (as for a start's `spec`), which required
 * fields here would cut short.
 */
export const pipelineSpecBody = {
  type: 'object',
  additionalProperties: true,
  description: 'The pipeline spec, as in a spec file (docs/spec.md); its `name` must be the one in the path.',
} as const;

/** PUT /api/pipelines/:name: the version the spec is. */
export const pipelinePushReply = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'version', 'created'],
  properties: {
    name: { type: 'string' },
    version: { type: 'integer' },
    created: { type: 'boolean', description: 'False when a version with the same content was there already (`version` is that one).' },
    pushedAt: { type: 'string', format: 'date-time', description: 'When that version was pushed.' },
  },
} as const;

const nullableText = { type: ['string', 'null'] } as const;

/** GET /api/pipelines: each registered pipeline the token may read, by name, with its latest version. */
export const pipelineListReply = {
  type: 'object',
  additionalProperties: true,
  required: ['pipelines'],
  properties: {
    pipelines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['name', 'latest', 'versions'],
        properties: {
          name: { type: 'string' },
          latest: { type: 'integer', description: 'Its latest version.' },
          versions: { type: 'integer', description: 'How many versions it has.' },
          description: { ...nullableText, description: "The latest version's description." },
          nodes: { type: 'integer', description: "Nodes in the latest version's spec." },
          pushedAt: { type: 'string', format: 'date-time', description: 'When the latest version was pushed.' },
        },
      },
    },
  },
} as const;

/** One version, as a pipeline's `versions` lists it. */
const pipelineVersionSummary = {
  type: 'object',
  additionalProperties: true,
  required: ['version', 'digest'],
  properties: {
    version: { type: 'integer' },
    digest: { type: 'string', description: "SHA-256 of the spec's canonical JSON: the same content is the same version." },
    pushedAt: { type: 'string', format: 'date-time' },
    pushedBy: { ...nullableText, description: 'The name of the token that pushed it (or who the command line said).' },
  },
} as const;

/** GET /api/pipelines/:name and .../versions/:version: one version, its spec, and every version. */
export const pipelineReply = {
  type: 'object',
  additionalProperties: true,
  required: ['name', 'version', 'digest', 'spec', 'versions'],
  properties: {
    name: { type: 'string' },
    ...pipelineVersionSummary.properties,
    spec: { type: 'object', additionalProperties: true, description: 'The spec as pushed.' },
    versions: { type: 'array', description: 'Every version, newest first.', items: pipelineVersionSummary },
  },
} as const;

/** GET /api/pipelines/:name/diff: what changed from one version to another, node by node. */
export const pipelineDiffReply = {
  type: 'object',
  additionalProperties: true,
  required: ['from', 'to', 'added', 'removed', 'changed', 'unchanged', 'pipelineFields'],
  properties: {
    from: { type: 'integer' },
    to: { type: 'integer' },
    added: { type: 'array', items: { type: 'string' }, description: 'Nodes only in `to`.' },
    removed: { type: 'array', items: { type: 'string' }, description: 'Nodes only in `from`.' },
    changed: {
      type: 'array',
      description: 'Nodes in both that differ, and the fields that do.',
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['id', 'fields'],
        properties: { id: { type: 'string' }, fields: { type: 'array', items: { type: 'string' } } },
      },
    },
    unchanged: { type: 'array', items: { type: 'string' }, description: 'Nodes in both, the same.' },
    pipelineFields: { type: 'array', items: { type: 'string' }, description: 'Top-level fields that differ (`defaults`, `deadline`...).' },
  },
} as const;

/** Any JSON object reply (documented by its route's description). */
export const objectReply = { type: 'object', additionalProperties: true } as const;

/** The error reply. */
export const errorReply = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
} as const;

/** The overlap policies a schedule takes (`control/schedules.ts` OVERLAP_POLICIES). */
const overlapPolicy = { type: 'string', enum: ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'allow-all'] } as const;

/** `:id` of the schedule routes. */
export const scheduleParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 1000, description: "The schedule's id." } },
} as const;

/** POST /api/schedules: a schedule of a registered pipeline (tapflow schedule create). */
export const scheduleCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'pipeline'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 1000, description: "The schedule's id; its runs are <id>-<scheduled time>." },
    pipeline: {
      type: 'string',
      minLength: 1,
      maxLength: 220,
      description: 'NAME (the latest version now, pinned), NAME@VERSION, or NAME@latest (the latest at each firing).',
    },
    cron: { type: 'string', minLength: 1, maxLength: 200, description: 'A cron expression ("0 3 * * *"). Either this or `every`.' },
    every: { type: 'string', minLength: 1, maxLength: 50, description: 'An interval ("30s", "15m", "1d"). Either this or `cron`.' },
    input: { description: "Each run's input (its params)." },
    overlap: { ...overlapPolicy, description: 'While the last run still goes. Default: skip.' },
    catchupWindow: { type: 'string', minLength: 1, maxLength: 50, description: "How late a missed firing may still start. Default: Temporal's, one year." },
    jitter: { type: 'string', minLength: 1, maxLength: 50, description: 'Delay each firing by a random time up to this.' },
    paused: { type: 'boolean', description: 'Make it paused.' },
    note: { type: 'string', maxLength: 1000, description: 'A note shown with it.' },
    tags: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 100 }, description: 'Labels each run carries.' },
    priority: { type: 'integer', minimum: 1, maximum: 5 },
    timeout: { type: ['string', 'integer'], description: 'Wall-clock limit of each run, e.g. "2h".' },
    deadline: { type: ['string', 'integer'], description: 'Limit of each run counting only unpaused time.' },
    onFailure: { type: 'string', enum: ['fail', 'hold'] },
  },
} as const;

/** POST /api/schedules/:id/trigger. */
export const scheduleTriggerBody = {
  type: 'object',
  additionalProperties: false,
  properties: { overlap: { ...overlapPolicy, description: 'If its last run still goes. Default: allow-all (start anyway).' } },
} as const;

/** POST /api/schedules/:id/backfill. */
export const scheduleBackfillBody = {
  type: 'object',
  additionalProperties: false,
  required: ['from', 'to'],
  properties: {
    from: { type: 'string', minLength: 1, maxLength: 100, description: 'ISO-8601 (UTC unless it has an offset) or how long ago (2h, 7d).' },
    to: { type: 'string', minLength: 1, maxLength: 100, description: 'As `from`; after it.' },
    overlap: { ...overlapPolicy, description: "When those runs overlap. Default: the schedule's policy." },
  },
} as const;

/** POST /api/schedules/:id/pause and /unpause. */
export const scheduleNoteBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 1000, description: 'Why; shown with the schedule.' } },
} as const;
