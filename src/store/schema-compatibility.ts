/**
 * Whether this tapflow can work with a store's schema: the rule of rolling deploys, pure.
 *
 * A tapflow knows a list of migrations; the schema has had a list applied. Those it knows but
 * the schema lacks are pending (a migrate applies them). Those the schema has but it does not
 * know were applied by a newer tapflow: each records `requires`, the lowest migration a tapflow
 * must know (as its newest) to work with it. 0 for an expand-only migration; a row from before
 * migration 13 (null) reads as its own number, since a tapflow then worked only with what it knew.
 */
import type { AppliedMigration } from './sql/list-applied-migrations';
import type { Migration } from './migrations';

/** What {@link judgeSchema} found. */
export interface SchemaJudgement {
  /** The schema's newest applied migration; 0 for none. */
  version: number;
  /** This tapflow's newest migration. */
  known: number;
  /** Migrations this tapflow has that the schema lacks, in order. */
  pending: number[];
  /** Applied migrations this tapflow does not know (a newer tapflow applied them), in order. */
  unknown: number[];
  /** Of the unknown, those that need a newer tapflow than this one, with what each requires. */
  blocking: Array<{ id: number; requires: number }>;
}

/** Compares the applied migrations with the ones this tapflow knows. */
export function judgeSchema(applied: readonly AppliedMigration[], migrations: readonly Migration[]): SchemaJudgement {
  const ids = new Set(migrations.map((m) => m.id));
  const done = new Set(applied.map((m) => m.id));
  const known = migrations.reduce((max, m) => Math.max(max, m.id), 0);
  const unknown = applied.filter((m) => !ids.has(m.id));
  return {
    version: applied.reduce((max, m) => Math.max(max, m.id), 0),
    known,
    pending: migrations.filter((m) => !done.has(m.id)).map((m) => m.id).sort((a, b) => a - b),
    unknown: unknown.map((m) => m.id),
    blocking: unknown
      .map((m) => ({ id: m.id, requires: m.requires ?? m.id }))
      .filter((m) => m.requires > known),
  };
}

/**
 * The one line refusing a schema this tapflow cannot work with, or `undefined` when it can
 * (every migration it does not know is compatible with what it knows).
 */
export function incompatibility(judgement: SchemaJudgement): string | undefined {
  if (judgement.blocking.length === 0) return undefined;
  const needs = Math.max(...judgement.blocking.map((m) => m.requires));
  return (
    `the store's schema is at migration ${judgement.version}, which needs a tapflow that knows migration ${needs} ` +
    `(this one knows up to ${judgement.known}; not compatible: ${migrationList(judgement.blocking.map((m) => m.id))}): upgrade tapflow`
  );
}

/** Migration numbers as a short list: `11, 12, 13`. */
export function migrationList(ids: readonly number[]): string {
  return ids.join(', ');
}
