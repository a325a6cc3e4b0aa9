/**
 * `launchPipelineWorkflow`: starts the latest registered version of a pipeline, whatever it is
 * when the workflow runs. A Temporal Schedule's action has fixed arguments, so a schedule that
 * follows a pipeline's new versions (`tapflow schedule create --pipeline NAME@latest`) starts this
 * workflow instead of `pipelineWorkflow`: it asks its worker for the latest version (a local
 * activity over the store's registry, one marker in the history) and continues as new into
 * `pipelineWorkflow` with that spec. Continue-as-new keeps the workflow id, so the run's id, the
 * schedule's overlap policy (it watches that id) and the Web UI all see one run; the run records
 * the version it started from, as any run started by name does.
 *
 * A pipeline the registry does not have fails this workflow (type `TapflowPipelineNotFound`) and
 * starts nothing; the schedule shows the failure among its recent actions.
 */
import { ApplicationFailure, makeContinueAsNewFunc, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { PIPELINE_NOT_FOUND } from '../core/failure-types';
import { initialRunState } from '../core/concurrency';
import { LATEST_PIPELINE_ACTIVITY, type PipelineSpec } from '../core/types';
import {
  PIPELINE_SEARCH_ATTRIBUTE,
  PIPELINE_WORKFLOW_TYPE,
  PROGRESS_SEARCH_ATTRIBUTE,
  STATE_SEARCH_ATTRIBUTE,
  type LaunchPipelineInput,
  type PipelineRunInput,
} from './definitions';
import type { pipelineWorkflow } from './pipeline-workflow';

/** What the worker finds: the latest version and its spec. */
export interface LatestPipeline {
  spec: PipelineSpec;
  version: number;
}

/** The worker function behind the lookup (see `activities/latest-pipeline.ts`). */
export interface LatestPipelineActivities {
  [LATEST_PIPELINE_ACTIVITY](name: string): Promise<LatestPipeline>;
}

// A store briefly out of reach is retried for a few minutes; a pipeline it does not have is not.
const lookups = proxyLocalActivities<LatestPipelineActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 12, nonRetryableErrorTypes: [PIPELINE_NOT_FOUND] },
});

/** See the module comment. */
export async function launchPipelineWorkflow(input: LaunchPipelineInput): Promise<never> {
  if (typeof input?.pipeline !== 'string' || input.pipeline === '') {
    throw ApplicationFailure.nonRetryable('launchPipelineWorkflow needs { pipeline: NAME }', PIPELINE_NOT_FOUND);
  }
  const latest = await lookups[LATEST_PIPELINE_ACTIVITY](input.pipeline);
  const next: PipelineRunInput = { spec: latest.spec, meta: { ...input.meta, pipelineVersion: latest.version } };
  if (input.params !== undefined) next.params = input.params;
  const toPipeline = makeContinueAsNewFunc<typeof pipelineWorkflow>({
    workflowType: PIPELINE_WORKFLOW_TYPE,
    taskQueue: workflowInfo().taskQueue,
    // The run's search attributes, as a start by tapflow's client sets them (Temporal would copy
    // the launch's, which name the pipeline only).
    typedSearchAttributes: [
      { key: PIPELINE_SEARCH_ATTRIBUTE, value: latest.spec.name },
      { key: STATE_SEARCH_ATTRIBUTE, value: initialRunState(latest.spec) },
      { key: PROGRESS_SEARCH_ATTRIBUTE, value: 0 },
    ],
  });
  return toPipeline(next);
}
