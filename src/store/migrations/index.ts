/**
 * The store's migrations, in order. Each is a TypeScript module exporting its `name` and `sql`,
 * so the compiled package carries them without a copy step. Add a migration by adding the next
 * numbered file and its line here; never change one that has shipped.
 *
 * THE RULE FOR A NEW MIGRATION (rolling deploys; docs/store.md, "Migrations and rolling deploys"):
 * while a deploy rolls, workers of the previous tapflow run against the schema the new one
 * migrated, and restart against it. So a migration is expand-only unless it says otherwise:
 * - Expand-only (the default, no `requires`): it only adds what older code does not see or
 *   need: a table, a nullable column or one with a default, an index, a wider CHECK, a
 *   function older code does not call, a comment. Older tapflows keep working with it.
 * - Anything else (drop or rename a table or column, a NOT NULL column without a default, a
 *   narrower CHECK, a changed meaning or type, a trigger that refuses what older code writes)
 *   sets `requires`: the lowest migration a tapflow must know to work with it. Its own number
 *   when no older tapflow can; better, split it (expand, then contract): add the new shape in
 *   one release and make that release stop using the old one, then drop the old shape in a
 *   later release with `requires` = the expanding migration's number, so only the tapflows
 *   that no longer use it are refused.
 * - A table holding records of one run carries a `workflow_id` column: `tapflow store purge`
 *   and `store delete` find such tables by that column and delete a run's rows with the run.
 *   Index it (first column of an index) so the deletes stay cheap.
 * - Create indexes on big tables (`runs`, `node_attempts`) knowing they lock writes while they
 *   build: migrations run in one transaction, so CONCURRENTLY is not available.
 */
import * as m001 from './001-init';
import * as m002 from './002-reconciled-and-large-outputs';
import * as m003 from './003-idempotency-key';
import * as m004 from './004-operator-actions';
import * as m005 from './005-api-tokens';
import * as m006 from './006-change-sequence';
import * as m007 from './007-declared-run-states';
import * as m008 from './008-hosted-activities';
import * as m009 from './009-execution-and-skipped';
import * as m010 from './010-pipeline-registry';
import * as m011 from './011-run-schedule';
import * as m012 from './012-notifications';
import * as m013 from './013-migration-compatibility';

/** One numbered migration. */
export interface Migration {
  /** Its number, from 1, without gaps. */
  id: number;
  /** A short name, recorded with the number. */
  name: string;
  /** The statements, run in one transaction with the others pending. */
  sql: string;
  /**
   * The lowest migration a tapflow must know (as its newest) to work with a schema that has
   * this one, recorded in `tapflow.migrations.requires`. Leave it out for an expand-only
   * migration (recorded as 0: every tapflow that checks works with it); see the rule above.
   */
  requires?: number;
}

/** The migration that added `tapflow.migrations.requires`: rows applied before it have none. */
export const REQUIRES_MIGRATION = 13;

/** Every migration, in the order they apply. */
export const MIGRATIONS: readonly Migration[] = [
  { id: 1, ...m001 },
  { id: 2, ...m002 },
  { id: 3, ...m003 },
  { id: 4, ...m004 },
  { id: 5, ...m005 },
  { id: 6, ...m006 },
  { id: 7, ...m007 },
  { id: 8, ...m008 },
  { id: 9, ...m009 },
  { id: 10, ...m010 },
  { id: 11, ...m011 },
  { id: 12, ...m012 },
  { id: 13, ...m013 },
];
