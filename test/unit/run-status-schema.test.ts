/**
 * The API's run status reply documents the fields a client needs the meaning of to show a node
 * skipped (its cause, from the one list, and reason), a templated node's resolved input and a
 * repeated node's round; the node schema stays open, so every other field passes as it is.
 */
import { nodeStatusSchema, runStatusReply } from '../../src/api/schemas';
import { SKIP_CAUSES } from '../../src/core/states';

test("the nodes of a run's status document skipCause, skipReason, input and round", () => {
  expect(runStatusReply.properties.nodes.items).toBe(nodeStatusSchema);
  expect(nodeStatusSchema.additionalProperties).toBe(true);
  expect(nodeStatusSchema.required).toEqual(['id', 'state']);
  expect(nodeStatusSchema.properties.skipCause).toMatchObject({ type: 'string', enum: [...SKIP_CAUSES] });
  expect(nodeStatusSchema.properties.skipReason).toMatchObject({ type: 'string' });
  expect(nodeStatusSchema.properties.round).toMatchObject({ type: 'integer', minimum: 1 });
  // Any JSON: a template may resolve to a string, a number, an object...
  expect(nodeStatusSchema.properties.input).not.toHaveProperty('type');
  for (const field of ['skipCause', 'skipReason', 'input', 'round'] as const) {
    expect(nodeStatusSchema.properties[field].description).toEqual(expect.any(String));
  }
});
