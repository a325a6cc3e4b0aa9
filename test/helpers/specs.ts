/** Specs shared by tests. */
import type { PipelineSpec } from '../../src/core/types';

/** The thumbnails example from PRODUCT.md, as a fresh object each call. */
export function thumbnails(): PipelineSpec {
  return {
    name: 'thumbnails',
    maxParallel: 8,
    nodes: [
      { id: 'fetch', activity: 'fetchImage', input: { url: 'file:///data/a.png' } },
      { id: 'small', activity: 'resize', needs: ['fetch'], input: { width: 64 } },
      {
        id: 'large',
        activity: 'resize',
        needs: ['fetch'],
        input: { width: 512 },
        retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 },
        timeout: '2m',
      },
      { id: 'report', activity: 'writeReport', needs: ['small', 'large'] },
    ],
  };
}
