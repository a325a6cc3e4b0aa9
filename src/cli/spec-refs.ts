/**
 * File references in specs: a `pipeline` (or `map`) node may name its child spec by path,
 * relative to the spec that names it (`pipeline: ./transcode.yaml`). The command line inlines
 * each one before validating, so what reaches the client and the workflow is one self-contained
 * spec (the workflow reads no files).
 */
import { dirname, relative, resolve } from 'node:path';
import { UsageError } from '../core/errors';
import { MAX_PIPELINE_DEPTH } from '../core/types';
import { isObject } from '../core/value-checks';

/** Deepest chain of file references followed; validation's `maxDepth` applies after. */
const MAX_REF_DEPTH = 16;

/**
 * Returns `spec` with every child spec file reference replaced by the parsed file, recursively.
 * The input is not changed.
 *
 * @param read parses a spec file (the command line's `readSpecFile`).
 * @param depth how deep `spec` is nested in the spec being read. Past {@link MAX_PIPELINE_DEPTH}
 *   the rest is left as it is, for validation to refuse, rather than overflow the stack.
 * @throws {UsageError} naming the node when a referenced file cannot be read or parsed, or when
 *   references form a cycle.
 */
export function inlineSpecRefs(
  spec: unknown,
  path: string,
  read: (path: string) => unknown,
  chain: string[] = [],
  depth = 0,
): unknown {
  const here = resolve(path);
  const seen = [...chain, here];
  if (seen.length > MAX_REF_DEPTH) throw new UsageError(`${path}: child spec files nest more than ${MAX_REF_DEPTH} deep`);
  if (!isObject(spec) || !Array.isArray(spec.nodes) || depth > MAX_PIPELINE_DEPTH) return spec;
  let changed = false;
  const nodes = spec.nodes.map((node: unknown, i: number) => {
    if (!isObject(node) || (node.kind !== 'pipeline' && node.kind !== 'map')) return node;
    const ref = node.pipeline;
    if (isObject(ref)) {
      const inner = inlineSpecRefs(ref, path, read, chain, depth + 1);
      if (inner === ref) return node;
      changed = true;
      return { ...node, pipeline: inner };
    }
    if (typeof ref !== 'string') return node;
    const target = resolve(dirname(here), ref);
    const where = `${path}: nodes[${i}].pipeline`;
    if (seen.includes(target)) {
      const loop = [...seen.slice(seen.indexOf(target)), target].map((p) => relative(process.cwd(), p) || p);
      throw new UsageError(`${where}: "${ref}" makes a cycle of spec files: ${loop.join(' -> ')}`);
    }
    let child: unknown;
    try {
      child = read(target);
    } catch (err) {
      throw new UsageError(`${where}: ${(err as Error).message}`);
    }
    changed = true;
    return { ...node, pipeline: inlineSpecRefs(child, target, read, seen, depth + 1) };
  });
  return changed ? { ...spec, nodes } : spec;
}
