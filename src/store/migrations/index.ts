/**
 * The store's migrations, in order. Each is a TypeScript module exporting its `name` and `sql`,
 * so the compiled package carries them without a copy step. Add a migration by adding the next
 * numbered file and its line here; never change one that has shipped.
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

/** One numbered migration. */
export interface Migration {
  /** Its number, from 1, without gaps. */
  id: number;
  /** A short name, recorded with the number. */
  name: string;
  /** The statements, run in one transaction with the others pending. */
  sql: string;
}

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
];
