/** Waiting for a run to fail, and taking Temporal's failure of it apart. */
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';

/** Waits for run `id` to end, expects it to have failed, and returns its ApplicationFailure. */
export async function runFailure(client: Client, id: string): Promise<ApplicationFailure> {
  const err = await client.workflow
    .getHandle(id)
    .result()
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}
