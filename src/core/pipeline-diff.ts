/**
 * What changed between two versions of a pipeline, node by node: `tapflow pipeline diff`, and a
 * rerun on another version, which may reuse the outputs of nodes that did not change. Pure.
 */
import { canonicalJson } from './pipeline-registry';
import type { NodeSpec, PipelineSpec } from './types';

/** A node in both versions whose definition differs. */
export interface ChangedNode {
  id: string;
  /** The fields that differ (`input`, `needs`, `when`, ...), in sorted order. */
  fields: string[];
}

/** The difference from version `from` to version `to`. */
export interface PipelineDiff {
  /** Nodes only in `to`, in its order. */
  added: string[];
  /** Nodes only in `from`, in its order. */
  removed: string[];
  /** Nodes in both that differ, in `to`'s order. */
  changed: ChangedNode[];
  /** Nodes in both with the same definition, in `to`'s order. */
  unchanged: string[];
  /** Top-level fields that differ (`defaults`, `maxParallel`, `deadline`, ...). `nodes` is never listed. */
  pipelineFields: string[];
}

/** The difference between two specs. */
export function diffPipelines(from: PipelineSpec, to: PipelineSpec): PipelineDiff {
  const before = new Map(from.nodes.map((n) => [n.id, n]));
  const after = new Set(to.nodes.map((n) => n.id));
  const diff: PipelineDiff = { added: [], removed: [], changed: [], unchanged: [], pipelineFields: differingFields(from, to, ['nodes']) };
  for (const node of to.nodes) {
    const old = before.get(node.id);
    if (!old) diff.added.push(node.id);
    else {
      const fields = differingFields(old as unknown as Record<string, unknown>, node as unknown as Record<string, unknown>);
      if (fields.length > 0) diff.changed.push({ id: node.id, fields });
      else diff.unchanged.push(node.id);
    }
  }
  diff.removed = from.nodes.filter((n) => !after.has(n.id)).map((n) => n.id);
  return diff;
}

/**
 * The nodes of `to` whose outputs a run of `from` could stand in for: unchanged themselves, with
 * nothing changed or added upstream of them, and with the pipeline-wide fields the same (defaults
 * reach every node). A changed `description` (free text) does not count.
 */
export function reusableNodes(from: PipelineSpec, to: PipelineSpec): string[] {
  const diff = diffPipelines(from, to);
  // Free text changes nothing a node does.
  const matters = (field: string): boolean => field !== 'description';
  if (diff.pipelineFields.some(matters)) return [];
  const unchanged = new Set([...diff.unchanged, ...diff.changed.filter((c) => !c.fields.some(matters)).map((c) => c.id)]);
  const byId = new Map<string, NodeSpec>(to.nodes.map((n) => [n.id, n]));
  const verdict = new Map<string, boolean>();
  const reusable = (id: string, seen: Set<string>): boolean => {
    const known = verdict.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return false;
    seen.add(id);
    const ok = unchanged.has(id) && (byId.get(id)?.needs ?? []).every((need) => reusable(need, seen));
    verdict.set(id, ok);
    return ok;
  };
  return to.nodes.map((n) => n.id).filter((id) => reusable(id, new Set()));
}

/** Keys whose values differ between two objects (by canonical JSON), sorted; `ignore` left out. */
function differingFields(a: object, b: object, ignore: readonly string[] = []): string[] {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  return [...keys].filter((key) => !ignore.includes(key) && canonicalJson(left[key] ?? null) !== canonicalJson(right[key] ?? null)).sort();
}
